#include "checkpointer.h"

namespace hookline::db {

Checkpointer::Checkpointer(std::unique_ptr<Connection> conn, std::chrono::milliseconds period)
    : conn_(std::move(conn)), period_(period) {
  thread_ = std::thread([this] { Loop(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Checkpointer::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    bool stop = cv_.wait_for(lock, period_, [&] { return stopping_; });
    lock.unlock();
    // A failure (busy, I/O) is retried next period; the WAL just grows meanwhile.
    (void)conn_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
    lock.lock();
    if (stop) return;
  }
}

}  // namespace hookline::db
