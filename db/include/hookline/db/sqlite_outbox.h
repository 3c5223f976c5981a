// The embedded outbox: one SQLite file in WAL mode.
#pragma once

#include <memory>
#include <string>

#include "hookline/db/outbox.h"
#include "hookline/metrics.h"

namespace hookline::db {

struct SqliteOutboxOptions {
  // FULL (the default) makes every acknowledged commit survive power loss;
  // NORMAL survives process crashes only.
  bool synchronous_full = true;
  int busy_timeout_ms = 5000;
  // Upper bound on requests that share one commit (group commit).
  int max_batch = 256;
  // Read connections for concurrent reads beside the single writer.
  int read_connections = 4;
  // When set, the store registers and updates hookline_db_commit_duration_seconds
  // and hookline_db_commit_batch_size there. Not owned; must outlive the store.
  metrics::Registry* metrics = nullptr;
};

// Opens (creating and migrating as needed) the database at `path`.
// Writes from all threads are funnelled to one writer thread that commits them
// in groups: callers still block until their own commit, but concurrent
// requests share one fsync. Unavailable / FailedPrecondition if the file cannot
// be opened or migrated.
Result<std::unique_ptr<Outbox>> OpenSqliteOutbox(const std::string& path,
                                                 const SqliteOutboxOptions& options = {});

}  // namespace hookline::db
