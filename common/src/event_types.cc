#include "hookline/event_types.h"

namespace hookline {
namespace {

bool IsTypeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == ':';
}

}  // namespace

Status ValidateEventType(std::string_view type) {
  if (type.empty()) return Status::InvalidArgument("event type is empty");
  if (type.size() > kMaxEventTypeLength) {
    return Status::InvalidArgument("event type is longer than " +
                                   std::to_string(kMaxEventTypeLength) + " characters");
  }
  for (char c : type) {
    if (!IsTypeChar(c)) {
      return Status::InvalidArgument(
          "event type may contain only letters, digits and . _ - : (got '" +
          std::string(type.substr(0, 64)) + "')");
    }
  }
  return Status::Ok();
}

Status ValidateEventTypeFilter(std::string_view filter) {
  if (filter == "*") return Status::Ok();
  if (filter.size() > 2 && filter.substr(filter.size() - 2) == ".*") {
    return ValidateEventType(filter.substr(0, filter.size() - 2));
  }
  if (filter.find('*') != std::string_view::npos) {
    return Status::InvalidArgument("event type filter '" + std::string(filter.substr(0, 64)) +
                                   "': '*' is allowed only alone or as a final '.*'");
  }
  return ValidateEventType(filter);
}

bool MatchesEventType(const std::vector<std::string>& filters, std::string_view type) {
  if (filters.empty()) return true;
  for (const std::string& f : filters) {
    if (f == "*" || f == type) return true;
    if (f.size() > 2 && f.compare(f.size() - 2, 2, ".*") == 0) {
      std::string_view prefix(f.data(), f.size() - 1);  // keeps the dot: "invoice."
      if (type.size() > prefix.size() && type.substr(0, prefix.size()) == prefix) return true;
    }
  }
  return false;
}

}  // namespace hookline
