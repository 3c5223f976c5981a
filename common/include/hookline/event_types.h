// Event type names and endpoint subscription filters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hookline/status.h"

namespace hookline {

constexpr size_t kMaxEventTypeLength = 128;

// A type is 1..128 characters of [A-Za-z0-9._:-], e.g. "invoice.paid".
// InvalidArgument says what is wrong with it.
Status ValidateEventType(std::string_view type);

// A filter is an exact type, "prefix.*" (every type under "prefix."), or "*".
Status ValidateEventTypeFilter(std::string_view filter);

// True if `type` matches any filter; an empty filter list matches every type.
bool MatchesEventType(const std::vector<std::string>& filters, std::string_view type);

}  // namespace hookline
