// A thin, safe layer over the SQLite C API: one connection, prepared statements
// with bound parameters, and errors turned into Status. Internal to hookline_db.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hookline/status.h"

namespace hookline::db {

// Maps a SQLite result code to a Status: BUSY/LOCKED/FULL/IOERR/READONLY/CANTOPEN
// are Unavailable (the database cannot take the write now; the API says 503),
// CONSTRAINT is AlreadyExists, everything else Internal.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

// A prepared statement. Not thread-safe: used by the connection's owner only.
// Parameters are 1-based as in SQLite. Text and blobs are bound SQLITE_TRANSIENT
// (copied), so the caller's buffers need not outlive the call.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int i, int64_t v);
  Statement& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  Statement& Bind(int i, double v);
  Statement& Bind(int i, std::string_view v);
  Statement& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Statement& BindBlob(int i, std::string_view v);
  Statement& BindNull(int i);
  // Binds NULL when the optional is empty.
  Statement& Bind(int i, const std::optional<int64_t>& v);
  Statement& Bind(int i, const std::optional<double>& v);
  Statement& Bind(int i, const std::optional<std::string>& v);

  // Advances: true with a row, false when done, or a Status on error.
  Result<bool> Step();
  // Runs to completion, discarding rows.
  Status Run();
  // Resets for reuse and clears bindings.
  void Reset();

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const;
  std::string_view TextView(int col) const;  // valid until the next Step/Reset
  int changes() const { return sqlite3_changes(db_); }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

struct ConnectionOptions {
  bool synchronous_full = true;  // FULL survives power loss; NORMAL only process crashes
  int busy_timeout_ms = 5000;
  bool read_only = false;
};

// One SQLite connection in WAL mode. Not thread-safe: each thread that uses
// the database owns its own Connection (or serialises access to one).
class Connection {
 public:
  // Opens (creating if needed) and configures WAL, busy timeout, foreign keys.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                  const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // For fixed SQL text only (schema, pragmas): never for values.
  Status Exec(const char* sql);
  Result<Statement> Prepare(std::string_view sql);
  // Prepares once per connection and caches by the SQL text's address, so hot
  // paths pay for parsing once. `sql` must be a string literal (static storage).
  Statement& Cached(const char* sql);

  // Resets every statement still mid-step. A statement left active keeps its
  // read snapshot open, so a pooled reader would keep seeing old data and a
  // writer could not release its savepoint; call this whenever a unit of work ends.
  void ResetBusyStatements();

  Status Begin() { return Exec("BEGIN IMMEDIATE"); }
  Status Commit() { return Exec("COMMIT"); }
  void Rollback();

  sqlite3* handle() { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  // Prepared statements keyed by their SQL literal; finalized in ~Connection
  // before sqlite3_close.
  std::unordered_map<const char*, Statement> cache_;
};

}  // namespace hookline::db
