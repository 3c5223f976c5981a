// A DedupeStore in a SQLite file: done ids stay done across restarts, and
// several receiver processes on one machine may share the file.
// Separate target (hookline::receiver_sqlite) so the verifier needs no SQLite.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "hookline/clock.h"
#include "hookline/receiver/dedupe_store.h"

namespace hookline::receiver {

// Thread-safe: one connection, serialized by a mutex (each operation is one
// short statement, so a pool would buy little). Claim() is a single atomic
// upsert, so it is also correct between processes sharing the file.
//
// Durability: WAL with synchronous=NORMAL. A process crash loses nothing; a
// power loss may forget the last few Complete() calls, which means those ids
// are processed again (at-least-once), never lost.
class SqliteDedupeStore final : public DedupeStore {
 public:
  struct Options {
    // How long a done id is remembered; keep it longer than the sender's retries.
    std::chrono::milliseconds ttl = std::chrono::hours(24);
    // After this long an in-progress claim counts as abandoned (crashed handler).
    std::chrono::milliseconds claim_timeout = std::chrono::minutes(5);
    // How long a statement waits for another process's write lock before failing
    // with Unavailable.
    std::chrono::milliseconds busy_timeout = std::chrono::seconds(5);
    // Every this many claims, one batch of expired rows is purged (0 = never;
    // then call Purge() yourself).
    int purge_every = 1000;
    // Rows deleted per purge statement, so no single write holds the lock long.
    int purge_batch = 500;
    // Not owned; must outlive the store.
    const Clock* clock = &SystemClock::Get();
  };

  // Opens or creates the database at `path` and its table. Unavailable if the
  // file cannot be opened or set up; InvalidArgument for bad options.
  static Result<std::unique_ptr<SqliteDedupeStore>> Open(const std::string& path, Options options);
  static Result<std::unique_ptr<SqliteDedupeStore>> Open(const std::string& path) {
    return Open(path, Options());
  }

  ~SqliteDedupeStore() override;
  SqliteDedupeStore(const SqliteDedupeStore&) = delete;
  SqliteDedupeStore& operator=(const SqliteDedupeStore&) = delete;

  // Storage errors (busy past busy_timeout, I/O, full disk) are Unavailable;
  // anything else SQLite reports is Internal.
  Result<ClaimResult> Claim(std::string_view id) override;
  Status Complete(std::string_view id) override;
  Status Release(std::string_view id) override;

  // Deletes every expired row (done past the TTL, claims past the claim
  // timeout) in batches of purge_batch; returns how many were deleted.
  Result<int64_t> Purge();

 private:
  struct Impl;
  explicit SqliteDedupeStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookline::receiver
