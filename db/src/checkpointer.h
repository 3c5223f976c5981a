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
// blocks the writer or readers.
//
// PASSIVE alone does not bound the WAL: SQLite restarts the log from the top
// only when a write begins after a checkpoint caught up with every frame, and
// under a steady load the writer always has newer frames. Measured: a 30 MB WAL
// after 8 s of ~100 events/s beside a 0.5 MB database. So once the log passes
// kTruncateFrames, a TRUNCATE checkpoint (which holds off the writer for the
// few frames PASSIVE left, then empties the file) resets it. The connection's
// busy timeout should be short: a reader in the way makes it give up and try
// again next period rather than stall commits.
class Checkpointer {
 public:
  static constexpr int kTruncateFrames = 1024;  // 4 MiB of 4 KiB pages

  Checkpointer(std::unique_ptr<Connection> conn, std::chrono::milliseconds period)
      : conn_(std::move(conn)), task_(period, [this] { RunOnce(); }) {}

 private:
  void RunOnce() {
    // A failure (busy, I/O) is retried next period; the WAL just grows meanwhile.
    int frames = 0;
    int rc = sqlite3_wal_checkpoint_v2(conn_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames,
                                       nullptr);
    if (rc != SQLITE_OK || frames < kTruncateFrames) return;
    (void)sqlite3_wal_checkpoint_v2(conn_->handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                    nullptr);
  }

  std::unique_ptr<Connection> conn_;  // used only by task_'s thread
  PeriodicTask task_;                 // declared last: stopped before conn_ closes
};

}  // namespace hookline::db
