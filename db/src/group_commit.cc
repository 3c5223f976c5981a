#include "group_commit.h"

namespace hookline::db {

GroupCommitter::GroupCommitter(std::unique_ptr<Connection> conn, int max_batch,
                               bool synchronous_full, CommitObserver observer)
    : conn_(std::move(conn)),
      max_batch_(static_cast<size_t>(max_batch < 1 ? 1 : max_batch)),
      synchronous_full_(synchronous_full),
      connection_full_(synchronous_full),
      observer_(observer) {
  thread_ = std::thread([this] { Loop(); });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

Status GroupCommitter::Run(Job job, Durability durability) {
  Pending pending{std::move(job), durability, std::chrono::steady_clock::now(),
                  Status::Ok(),   false,      {}};
  std::unique_lock lock(mu_);
  if (stopping_) return Status::Unavailable("the database writer is shutting down");
  queue_.push_back(&pending);
  work_cv_.notify_one();
  pending.cv.wait(lock, [&] { return pending.done; });
  return pending.result;
}

uint64_t GroupCommitter::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

uint64_t GroupCommitter::jobs_committed() const {
  std::lock_guard lock(mu_);
  return jobs_committed_;
}

std::chrono::milliseconds GroupCommitter::oldest_wait() const {
  std::lock_guard lock(mu_);
  std::optional<std::chrono::steady_clock::time_point> oldest = running_since_;
  if (!oldest && !queue_.empty()) oldest = queue_.front()->enqueued_at;
  if (!oldest) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               *oldest);
}

void GroupCommitter::Loop() {
  std::deque<Pending*> group;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has been served
      while (!queue_.empty() && group.size() < max_batch_) {
        group.push_back(queue_.front());
        queue_.pop_front();
      }
      running_since_ = group.front()->enqueued_at;
    }
    RunGroup(group);
    {
      // Notified under the lock: a Pending lives on its caller's stack, which may
      // unwind as soon as the caller can see `done`.
      std::lock_guard lock(mu_);
      for (Pending* p : group) {
        p->done = true;
        p->cv.notify_one();
      }
      running_since_.reset();
    }
    group.clear();
  }
}

void GroupCommitter::RunGroup(std::deque<Pending*>& group) {
  bool full = false;
  for (const Pending* p : group) full |= p->durability == Durability::kPowerLoss;
  full &= synchronous_full_;
  if (full != connection_full_) {
    Status mode = conn_->Exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    if (!mode.ok()) {
      for (Pending* p : group) p->result = mode;
      return;
    }
    connection_full_ = full;
  }
  auto began = std::chrono::steady_clock::now();
  Status begin = conn_->Begin();
  if (!begin.ok()) {
    for (Pending* p : group) p->result = begin;
    return;
  }
  size_t ok_jobs = 0;
  for (Pending* p : group) {
    Status s = conn_->Cached("SAVEPOINT job").Run();
    if (s.ok()) {
      try {
        s = p->job(*conn_);
      } catch (const std::exception& e) {
        s = Status::Internal(std::string("write job threw: ") + e.what());
      }
      conn_->ResetBusyStatements();
      if (!s.ok()) (void)conn_->Cached("ROLLBACK TO job").Run();
      Status release = conn_->Cached("RELEASE job").Run();
      if (s.ok() && !release.ok()) s = release;
    }
    p->result = s;
    if (s.ok()) ++ok_jobs;
  }
  Status commit = conn_->Commit();
  if (!commit.ok()) {
    conn_->Rollback();
    for (Pending* p : group) {
      if (p->result.ok()) p->result = commit;
    }
    if (on_commit_failure_) on_commit_failure_();
    return;
  }
  if (observer_.commit_seconds) {
    observer_.commit_seconds->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  }
  if (observer_.group_jobs) observer_.group_jobs->Observe(static_cast<double>(group.size()));
  std::lock_guard lock(mu_);
  ++commits_;
  jobs_committed_ += ok_jobs;
}

}  // namespace hookline::db
