#include "migrations.h"

#include <string>

namespace hookline::db {

Status Migrate(Connection& conn) {
  HOOKLINE_RETURN_IF_ERROR(
      conn.Exec("CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
  auto current_stmt = conn.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!current_stmt.ok()) return current_stmt.status();
  auto row = current_stmt->Step();
  if (!row.ok()) return row.status();
  int64_t current = current_stmt->Int(0);
  // A statement left running locks the schema: DROP in a migration would fail.
  current_stmt->Reset();
  const auto& all = Migrations();
  int64_t newest = all.empty() ? 0 : all.back().version;
  if (current > newest) {
    return Status::FailedPrecondition("database schema version " + std::to_string(current) +
                                      " is newer than this hookd knows (" + std::to_string(newest) +
                                      "); upgrade hookd");
  }
  for (const Migration& m : all) {
    if (m.version <= current) continue;
    HOOKLINE_RETURN_IF_ERROR(conn.Begin());
    Status s = conn.Exec(m.sql);
    if (s.ok()) {
      auto rec = conn.Prepare(
          "INSERT INTO schema_version(version, name, applied_at) "
          "VALUES(?1, ?2, CAST(strftime('%s', 'now') AS INTEGER) * 1000)");
      s = rec.ok() ? rec->Bind(1, m.version).Bind(2, m.name).Run() : rec.status();
    }
    if (s.ok()) s = conn.Commit();
    if (!s.ok()) {
      conn.Rollback();
      return Status(s.code(), std::string("migration ") + m.name + " failed: " + s.message());
    }
  }
  return Status::Ok();
}

}  // namespace hookline::db
