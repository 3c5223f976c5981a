// Moves WAL checkpoints off the commit path. Internal to hookline_db.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "sqlite.h"

namespace hookline::db {

// Why: SQLite's automatic checkpoint runs inside whichever commit crosses the
// threshold, adding 7-20 ms (measured here) to that commit and to every request
// waiting in its group. The writer connection turns auto-checkpoints off and
// this thread runs PASSIVE checkpoints on its own connection instead; PASSIVE
// never blocks the writer or readers, and SQLite restarts the WAL from the top
// once a checkpoint has caught up, so the file stays bounded.
class Checkpointer {
 public:
  Checkpointer(std::unique_ptr<Connection> conn, std::chrono::milliseconds period);
  ~Checkpointer();  // stops the thread after a last checkpoint
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  void Loop();
  std::unique_ptr<Connection> conn_;  // used only on thread_
  const std::chrono::milliseconds period_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hookline::db
