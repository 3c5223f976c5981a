// Funnels writes from many threads into one SQLite connection and commits them
// in groups. Internal to hookline_db.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "hookline/metrics.h"
#include "hookline/status.h"
#include "sqlite.h"

namespace hookline::db {

// Optional histograms the writer thread observes for each committed group
// (not owned; must outlive the committer).
struct CommitObserver {
  metrics::Histogram* commit_seconds = nullptr;  // BEGIN to the end of COMMIT
  metrics::Histogram* group_jobs = nullptr;      // jobs in the group
};

// Why: with synchronous=FULL every commit is an fsync (~4k commits/s here),
// while 100 writes per commit reach ~27k/s. Callers still wait for their own
// commit, so nothing is acknowledged before it is durable.
//
// Each job runs inside a SAVEPOINT: a job that fails (a conflict, bad input) is
// rolled back alone and the rest of its group commits. If the COMMIT itself
// fails, every job of the group gets that failure and nothing is written.
//
// Thread-safe. Jobs run on the writer thread, one at a time, so state touched
// only by jobs needs no locking.
class GroupCommitter {
 public:
  using Job = std::function<Status(Connection&)>;

  // What a job's commit must survive.
  enum class Durability {
    kPowerLoss,     // fsync before the caller returns (what a 2xx to a client promises)
    kProcessCrash,  // in the OS page cache is enough: losing it costs a redelivery,
                    // never an acknowledged event (claims, attempt records)
  };

  // `synchronous_full` false: no group is ever fsynced at commit (--synchronous normal).
  GroupCommitter(std::unique_ptr<Connection> conn, int max_batch, bool synchronous_full,
                 CommitObserver observer = {});
  // Finishes the queued jobs, then stops the writer thread.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Runs `job` in the next group and blocks until that group committed (OK) or
  // failed (the job's own Status, or the commit's).
  // A group is committed with synchronous=FULL if any of its jobs needs
  // kPowerLoss, else NORMAL; an fsync also makes every earlier WAL frame durable.
  Status Run(Job job, Durability durability = Durability::kPowerLoss);

  // Called on the writer thread after a group's commit failed, so that callers
  // can drop caches that assumed the group's writes.
  void set_on_commit_failure(std::function<void()> f) { on_commit_failure_ = std::move(f); }

  // Sizes of the groups committed so far (for metrics and tests).
  uint64_t commits() const;
  uint64_t jobs_committed() const;
  // How long the oldest job not yet finished has waited (queued or running);
  // 0 when none is waiting. A large value means the writer is stuck.
  std::chrono::milliseconds oldest_wait() const;

 private:
  struct Pending {
    Job job;
    Durability durability;
    std::chrono::steady_clock::time_point enqueued_at;
    Status result;
    bool done = false;           // guarded by mu_
    std::condition_variable cv;  // wakes only this job's caller
  };
  void Loop();
  void RunGroup(std::deque<Pending*>& group);

  std::unique_ptr<Connection> conn_;  // used only on the writer thread
  const size_t max_batch_;
  const bool synchronous_full_;
  bool connection_full_ = true;  // the connection's current mode; writer thread only
  std::function<void()> on_commit_failure_;
  const CommitObserver observer_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Pending*> queue_;   // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  uint64_t commits_ = 0;         // guarded by mu_
  uint64_t jobs_committed_ = 0;  // guarded by mu_
  // The oldest enqueue time of the group being run; nullopt between groups.
  std::optional<std::chrono::steady_clock::time_point> running_since_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hookline::db
