// hookctl's commands: what each registers with CLI11, and the helpers they share.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "api_client.h"
#include "format.h"
#include "outcome.h"

namespace hookline::ctl {

// What a command runs with, built once flags are parsed.
struct Context {
  ApiClient& api;
  std::ostream& out;
  std::ostream& err;         // for all but the last of several failures (main prints that)
  bool json = false;         // print hookd's JSON bodies, unmodified, instead of tables
  bool colour = false;       // ANSI colours in tables (stdout is a terminal, no NO_COLOR)
  bool interactive = false;  // stdout is a terminal: progress lines are worth printing
  int64_t now_ms = 0;        // "now" for relative times
};

using Action = std::function<CommandOutcome(Context&)>;

// What the command line chose. Commands bind their flags to it while the
// command tree is built; CLI11 fills it in while parsing.
struct Invocation {
  Connection connection;
  bool json = false;
  Action action;  // set by the leaf command that was parsed
};

// Adds a leaf command that runs `action`, with a --json flag and `examples`
// as its help footer.
CLI::App* AddLeaf(CLI::App& parent, Invocation& invocation, const std::string& name,
                  const std::string& description, const std::string& examples, Action action);
// Adds hookctl's global options (--url, --token, --json) to the root command.
void AddConnectionOptions(CLI::App& app, Invocation& invocation);

void AddEndpointCommands(CLI::App& app, Invocation& invocation);
void AddEventCommands(CLI::App& app, Invocation& invocation);
void AddDeliveryCommands(CLI::App& app, Invocation& invocation);
void AddRetryCommand(CLI::App& deliveries, Invocation& invocation);
void AddStatsCommand(CLI::App& app, Invocation& invocation);

// --- helpers shared by the commands ---

// Prints a reply's body exactly as hookd sent it, plus a newline (nothing for
// an empty body, e.g. a 204).
void PrintBody(Context& ctx, const Reply& reply);

// Follows next_cursor from `request` until `limit` items (0 = all), asking
// for pages no larger than what is still wanted so the last page ends exactly
// at the limit. Returns {"data": [...], "next_cursor": cursor-or-null}: the
// shape of one page, with next_cursor set where a further listing would go on.
Outcome<Json> ListAll(Context& ctx, Request request, int64_t limit, int page_size);

// An optional time flag for hookd: RFC 3339 and Unix seconds pass through,
// a duration ("30m", "12h", "2d") means that long before `now_ms` and becomes
// Unix seconds. Failure::Usage names `flag` otherwise.
Outcome<std::string> ResolveTimeFlag(const std::string& flag, const std::string& text,
                                     int64_t now_ms);

// A JSON value given on the command line: inline, "@path" for a file, or "@-"
// for stdin. Failure::Usage names `flag` when it cannot be read or parsed.
Outcome<Json> ReadJsonFlag(const std::string& flag, const std::string& text);

// The string at `key`, or "" when it is null or absent.
std::string Str(const Json& object, const char* key);

// "HTTP 500", an error text, or both ("HTTP 410: receiver answered 410 Gone"),
// from a delivery's last_status_code/last_error or an attempt's status_code/error.
std::string ResultText(const Json& status_code, const Json& error);

// A table of deliveries; `show_event` / `show_endpoint` false drop a column
// that would repeat the same id on every row.
Table DeliveryTable(const Json& deliveries, int64_t now_ms, bool show_event, bool show_endpoint);

}  // namespace hookline::ctl
