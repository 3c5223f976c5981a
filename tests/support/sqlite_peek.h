// Direct reads of a hookd database file, for checking what a (dead) hookd left
// behind. Tests only: hookd's own code reaches SQLite through hookline_db.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

namespace hookline::testing {

using Db = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;

// Opens `path` read-write with a 5 s busy timeout (null inside if it failed).
inline Db OpenDb(const std::string& path) {
  sqlite3* raw = nullptr;
  sqlite3_open(path.c_str(), &raw);
  sqlite3_busy_timeout(raw, 5000);
  return Db(raw, &sqlite3_close);
}

// The first column of the first row of `sql`, or -1 if it failed or had no row.
inline int64_t QueryInt(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return v;
}

}  // namespace hookline::testing
