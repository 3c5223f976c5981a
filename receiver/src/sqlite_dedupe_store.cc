#include "hookline/receiver/sqlite_dedupe_store.h"

#include <sqlite3.h>

#include <mutex>
#include <utility>

namespace hookline::receiver {
namespace {

// The `state` column: 0 in progress, 1 done.
constexpr int kDone = 1;

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS hookline_dedupe (
  id TEXT PRIMARY KEY NOT NULL,
  state INTEGER NOT NULL,     -- 0 in progress, 1 done
  updated_ms INTEGER NOT NULL -- Unix milliseconds when the state began
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS hookline_dedupe_expiry ON hookline_dedupe (state, updated_ms);
)sql";

// Takes the row only if it is new or expired, in one statement, so two claimers
// (threads or processes) can never both get kNew. ?3 / ?4 are the newest
// done / claimed times that count as expired.
constexpr const char* kClaimSql = R"sql(
INSERT INTO hookline_dedupe (id, state, updated_ms) VALUES (?1, 0, ?2)
ON CONFLICT (id) DO UPDATE SET state = 0, updated_ms = excluded.updated_ms
WHERE (hookline_dedupe.state = 1 AND hookline_dedupe.updated_ms <= ?3)
   OR (hookline_dedupe.state = 0 AND hookline_dedupe.updated_ms <= ?4)
RETURNING state
)sql";

constexpr const char* kStateSql = "SELECT state FROM hookline_dedupe WHERE id = ?1";

constexpr const char* kCompleteSql = R"sql(
INSERT INTO hookline_dedupe (id, state, updated_ms) VALUES (?1, 1, ?2)
ON CONFLICT (id) DO UPDATE SET state = 1, updated_ms = excluded.updated_ms
)sql";

constexpr const char* kReleaseSql = "DELETE FROM hookline_dedupe WHERE id = ?1 AND state = 0";

constexpr const char* kPurgeSql = R"sql(
DELETE FROM hookline_dedupe WHERE id IN (
  SELECT id FROM hookline_dedupe
  WHERE (state = 1 AND updated_ms <= ?1) OR (state = 0 AND updated_ms <= ?2)
  LIMIT ?3)
)sql";

// Contention and storage trouble pass with time (the sender retries on 503);
// anything else is a bug or a corrupted file.
Status SqlError(sqlite3* db, int rc, std::string_view what) {
  std::string message = "dedupe store: " + std::string(what) + ": " +
                        (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
      return Status::Unavailable(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// Leaves a cached statement ready for its next use however the caller returns.
class Reset {
 public:
  explicit Reset(sqlite3_stmt* s) : s_(s) {}
  ~Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Reset(const Reset&) = delete;
  Reset& operator=(const Reset&) = delete;

 private:
  sqlite3_stmt* s_;
};

void BindId(sqlite3_stmt* s, std::string_view id) {
  // SQLITE_STATIC: the statement is reset before `id` can go away.
  sqlite3_bind_text(s, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
}

}  // namespace

struct SqliteDedupeStore::Impl {
  Options options;
  std::mutex mu;
  sqlite3* db = nullptr;                        // guarded by mu
  Stmt claim, state, complete, release, purge;  // guarded by mu
  int claims_since_purge = 0;                   // guarded by mu

  ~Impl() {
    claim.reset();
    state.reset();
    complete.reset();
    release.reset();
    purge.reset();
    sqlite3_close(db);
  }

  Status Prepare(const char* sql, Stmt* out) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return SqlError(db, rc, "prepare");
    out->reset(s);
    return Status::Ok();
  }

  int64_t NowMs() const { return options.clock->NowUnixMillis(); }

  // One purge batch; the number of rows deleted.
  Result<int64_t> PurgeBatchLocked(int64_t now_ms) {
    sqlite3_stmt* s = purge.get();
    Reset reset(s);
    sqlite3_bind_int64(s, 1, now_ms - options.ttl.count());
    sqlite3_bind_int64(s, 2, now_ms - options.claim_timeout.count());
    sqlite3_bind_int(s, 3, options.purge_batch);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) return SqlError(db, rc, "purge");
    return static_cast<int64_t>(sqlite3_changes(db));
  }
};

SqliteDedupeStore::SqliteDedupeStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteDedupeStore::~SqliteDedupeStore() = default;

Result<std::unique_ptr<SqliteDedupeStore>> SqliteDedupeStore::Open(const std::string& path,
                                                                   Options options) {
  if (options.clock == nullptr) return Status::InvalidArgument("dedupe store: clock is null");
  if (options.purge_batch <= 0) {
    return Status::InvalidArgument("dedupe store: purge_batch must be positive");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  // NOMUTEX: Impl::mu already serializes every use of the connection.
  int rc =
      sqlite3_open_v2(path.c_str(), &impl->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = Status::Unavailable("dedupe store: cannot open " + path + ": " +
                                   (impl->db ? sqlite3_errmsg(impl->db) : sqlite3_errstr(rc)));
    return s;
  }
  sqlite3_busy_timeout(impl->db, static_cast<int>(options.busy_timeout.count()));
  rc = sqlite3_exec(impl->db, kSchema, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqlError(impl->db, rc, "set up " + path);
  HOOKLINE_RETURN_IF_ERROR(impl->Prepare(kClaimSql, &impl->claim));
  HOOKLINE_RETURN_IF_ERROR(impl->Prepare(kStateSql, &impl->state));
  HOOKLINE_RETURN_IF_ERROR(impl->Prepare(kCompleteSql, &impl->complete));
  HOOKLINE_RETURN_IF_ERROR(impl->Prepare(kReleaseSql, &impl->release));
  HOOKLINE_RETURN_IF_ERROR(impl->Prepare(kPurgeSql, &impl->purge));
  return std::unique_ptr<SqliteDedupeStore>(new SqliteDedupeStore(std::move(impl)));
}

Result<ClaimResult> SqliteDedupeStore::Claim(std::string_view id) {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mu);
  int64_t now = d.NowMs();
  if (d.options.purge_every > 0 && ++d.claims_since_purge >= d.options.purge_every) {
    d.claims_since_purge = 0;
    // Housekeeping only: a failed purge must not fail the claim; the next one retries.
    (void)d.PurgeBatchLocked(now);
  }
  // Another process may delete the row between the upsert and the read (a
  // Release or a purge); then the id is unknown again and the upsert will take it.
  for (int attempt = 0; attempt < 3; ++attempt) {
    {
      sqlite3_stmt* s = d.claim.get();
      Reset reset(s);
      BindId(s, id);
      sqlite3_bind_int64(s, 2, now);
      sqlite3_bind_int64(s, 3, now - d.options.ttl.count());
      sqlite3_bind_int64(s, 4, now - d.options.claim_timeout.count());
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        // Step to the end so the write is finished before the statement is reset.
        rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) return SqlError(d.db, rc, "claim");
        return ClaimResult::kNew;
      }
      if (rc != SQLITE_DONE) return SqlError(d.db, rc, "claim");
    }
    sqlite3_stmt* s = d.state.get();
    Reset reset(s);
    BindId(s, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      return sqlite3_column_int(s, 0) == kDone ? ClaimResult::kDone : ClaimResult::kInProgress;
    }
    if (rc != SQLITE_DONE) return SqlError(d.db, rc, "claim: read state");
  }
  return Status::Unavailable("dedupe store: claim kept racing with concurrent deletes");
}

Status SqliteDedupeStore::Complete(std::string_view id) {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mu);
  sqlite3_stmt* s = d.complete.get();
  Reset reset(s);
  BindId(s, id);
  sqlite3_bind_int64(s, 2, d.NowMs());
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) return SqlError(d.db, rc, "complete");
  return Status::Ok();
}

Status SqliteDedupeStore::Release(std::string_view id) {
  Impl& d = *impl_;
  std::lock_guard<std::mutex> lock(d.mu);
  sqlite3_stmt* s = d.release.get();
  Reset reset(s);
  BindId(s, id);
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE) return SqlError(d.db, rc, "release");
  return Status::Ok();
}

Result<int64_t> SqliteDedupeStore::Purge() {
  int64_t total = 0;
  for (;;) {
    // The lock is dropped between batches so claims are not held up by a long purge.
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto deleted = impl_->PurgeBatchLocked(impl_->NowMs());
    if (!deleted.ok()) return deleted.status();
    total += *deleted;
    if (*deleted < impl_->options.purge_batch) return total;
  }
}

}  // namespace hookline::receiver
