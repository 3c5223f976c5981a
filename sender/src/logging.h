// hookd's log set-up: text for people, or one JSON object per line for
// collectors (--log-format json).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "hookline/status.h"

namespace spdlog {
class formatter;
}

namespace hookline::sender {

// Writes `"msg":"<message>"` followed by one member per `key=value` token of
// the message (e.g. `delivered event=evt_1 attempt=2 result="HTTP 503"` adds
// "event":"evt_1","attempt":2,"result":"HTTP 503"), so that the dispatcher's
// outcome lines are queryable fields without a second logging API. Keys are
// [a-z_]+; a value is a double-quoted string (no escapes inside) or runs to
// the next space; all-digit values become JSON numbers. A key already seen,
// or one of time/level/msg, is left in the message only. Strings are escaped
// per RFC 8259, and bytes that are not UTF-8 become U+FFFD.
void AppendJsonMessage(std::string_view message, std::string& out);

// A formatter for {"time":"<RFC 3339 UTC>","level":"info","msg":...,<fields>}.
std::unique_ptr<spdlog::formatter> NewJsonLogFormatter();

// Sends the default logger to stderr in `format` ("text" or "json") at `level`
// (trace, debug, info, warn, error). InvalidArgument names a bad value.
Status ConfigureLogging(std::string_view format, std::string_view level);

}  // namespace hookline::sender
