// The API token: given, or generated once and kept beside the database.
#pragma once

#include <string>

#include "hookline/status.h"

namespace hookline::sender {

// Returns the token in `<db_path>.token`, creating it (mode 0600, random) if
// missing; `created` says which. FailedPrecondition if the file is readable by
// others or empty; Unavailable if it cannot be read or written.
Result<std::string> LoadOrCreateToken(const std::string& db_path, bool& created);

}  // namespace hookline::sender
