// Online backup of a hookline database while hookd keeps writing to it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "hookline/status.h"

namespace hookline::db {

struct BackupOptions {
  // Replace `destination` if it exists (atomically, by rename). Off by default,
  // so a typo cannot destroy an earlier backup.
  bool overwrite = false;
  // Pages copied per step, and the pause between steps. Copying reads the
  // source through one WAL snapshot, which never blocks hookd's writer; the
  // pause only leaves disk bandwidth and CPU to hookd on a big database.
  int pages_per_step = 256;
  std::chrono::milliseconds pause{1};
  // How long to wait for a lock on the source (a checkpoint or a recovery).
  std::chrono::milliseconds busy_timeout{5000};
};

struct BackupReport {
  int64_t pages = 0;  // pages in the copy
  int64_t bytes = 0;  // size of the copy
  int steps = 0;      // backup steps taken (more than pages/pages_per_step + 1 = restarts)
  std::chrono::milliseconds elapsed{0};
};

// Copies the hookline database at `source` to `destination` through SQLite's
// online backup API. The copy is one transaction-consistent snapshot: every
// event acknowledged before the call started is in it, and of later writes
// either all of a transaction or none of it. It is written to a temporary file
// next to `destination` (mode 0600: it holds endpoint secrets), checked with
// PRAGMA integrity_check, made durable (fsync) and only then renamed into place,
// so `destination` never holds a partial copy. The copy is in rollback-journal
// mode: a single self-contained file. hookd may be running (it is neither
// locked out nor blocked); the source is never written.
//
// Errors, each with one line naming the file:
//   NotFound           `source` does not exist
//   InvalidArgument    `source` is not a hookline database (not SQLite, or no
//                      hookline schema); `destination` is the source or a directory
//   AlreadyExists      `destination` exists and options.overwrite is false
//   Unavailable        I/O errors: cannot create or write the copy (full disk,
//                      missing directory, permissions), source locked too long
//   Internal           the copy failed its integrity check (nothing is left behind)
// Thread-compatible: concurrent calls must use different destinations.
Result<BackupReport> BackupDatabase(const std::string& source, const std::string& destination,
                                    const BackupOptions& options = {});

}  // namespace hookline::db
