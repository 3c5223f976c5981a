// Numbered schema migrations, applied in order and recorded in schema_version.
#pragma once

#include <string>
#include <vector>

#include "hookline/status.h"
#include "sqlite.h"

namespace hookline::db {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Every migration under db/migrations, ascending (generated at build time).
const std::vector<Migration>& Migrations();

// Applies the migrations newer than the database's schema_version, each in its
// own transaction. FailedPrecondition if the database is newer than this
// binary (an old hookd must not write a schema it does not know).
Status Migrate(Connection& conn);

}  // namespace hookline::db
