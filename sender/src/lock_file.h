// One hookd per database.
#pragma once

#include <string>

#include "hookline/status.h"

namespace hookline::sender {

// Takes an exclusive lock on `<db_path>.lock` for the life of the process.
// Why: a hookd releases every inflight delivery at start-up, assuming the
// previous owner is dead; a second live hookd on the same file would re-send
// the first one's work. FailedPrecondition if another process holds the lock,
// Unavailable if the lock file cannot be created.
Status LockDatabase(const std::string& db_path);

}  // namespace hookline::sender
