// Moves WAL checkpoints off the commit path. Internal to hookline_db.
#pragma once

#include <chrono>
#include <memory>

#include "hookline/periodic_task.h"
#include "sqlite.h"

namespace hookline::db {

// Why: SQLite's automatic checkpoint runs inside whichever commit crosses the
// threshold, adding 7-20 ms (measured here) to that commit and to every request
// waiting in its group. The writer connection turns auto-checkpoints off and
// this runs PASSIVE checkpoints on its own connection instead; PASSIVE never
// blocks the writer or readers, and SQLite restarts the WAL from the top once a
// checkpoint has caught up, so the file stays bounded.
class Checkpointer {
 public:
  Checkpointer(std::unique_ptr<Connection> conn, std::chrono::milliseconds period)
      : conn_(std::move(conn)),
        // A failure (busy, I/O) is retried next period; the WAL just grows meanwhile.
        task_(period, [this] { (void)conn_->Exec("PRAGMA wal_checkpoint(PASSIVE)"); }) {}

 private:
  std::unique_ptr<Connection> conn_;  // used only by task_'s thread
  PeriodicTask task_;                 // declared last: stopped before conn_ closes
};

}  // namespace hookline::db
