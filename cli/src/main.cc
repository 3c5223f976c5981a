// hookctl: the admin CLI for hookd. Parses the command line, finds the API
// token, runs one command, and turns its outcome into an exit code and at
// most one line on stderr.
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "commands.h"

using namespace hookline::ctl;

namespace {

constexpr const char* kTokenFile = "./hookline.db.token";

constexpr const char* kFooter = R"(Examples:
  hookctl stats
  hookctl deliveries list --status failed --endpoint ep_01J...
  hookctl deliveries show dlv_01J...
  hookctl deliveries retry --all-failed --endpoint ep_01J...
  hookctl --url http://10.0.0.5:8080 --token $TOKEN endpoints list --json

Every command has --help. Tables are for people (colours only on a terminal and
never with NO_COLOR set); --json prints hookd's answers unmodified for scripts.

Exit codes:
  0  success
  1  hookd refused the request (400, 409 or another 4xx); the message says why
  2  usage error: bad flags or arguments, nothing was sent
  3  not found (404): no endpoint, event or delivery with that id
  4  authentication failed (401): pass --token or set HOOKLINE_TOKEN
  5  hookd unreachable, timed out, or failed (5xx): is it running? check --url)";

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

// "hookctl deliveries list": the commands parsed so far, for "see ... --help".
std::string CommandPath(const CLI::App& app) {
  std::string path = "hookctl";
  const CLI::App* at = &app;
  while (at != nullptr) {
    auto parsed = at->get_subcommands();
    at = parsed.empty() ? nullptr : parsed.front();
    if (at != nullptr) path += " " + at->get_name();
  }
  return path;
}

// Fills in the token's source. Without --token or HOOKLINE_TOKEN, hookd's own
// HOOKLINE_API_TOKEN (an operator's shell or unit file often has it), then
// kTokenFile.
void ResolveToken(Connection& c, const char* env_token, const char* hookd_env_token) {
  if (!c.token.empty()) {
    bool from_env = env_token != nullptr && c.token == env_token;
    c.token_source = from_env ? "HOOKLINE_TOKEN" : "--token";
    return;
  }
  if (hookd_env_token != nullptr && *hookd_env_token != '\0') {
    c.token = hookd_env_token;
    c.token_source = "HOOKLINE_API_TOKEN";
    return;
  }
  std::ifstream in(kTokenFile);
  std::string token;
  if (!in || !std::getline(in, token)) return;
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) return;
  c.token = token;
  c.token_source = kTokenFile;
}

int Fail(const Failure& f) {
  std::cerr << "hookctl: " << f.message() << "\n";
  return static_cast<int>(f.code());
}

}  // namespace

int main(int argc, char** argv) {
  Invocation inv;
  CLI::App app{"hookctl: operate hookd, the hookline webhook sender, through its v1 HTTP API"};
  app.name("hookctl");
  // Global options may also follow the command: hookctl stats --url ...
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(kFooter);
  AddConnectionOptions(app, inv);
  AddEndpointCommands(app, inv);
  AddEventCommands(app, inv);
  AddDeliveryCommands(app, inv);
  AddStatsCommand(app, inv);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "hookctl: " << OneLine(e.what()) << "; see " << CommandPath(app) << " --help\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  if (!inv.action) {  // require_subcommand makes this unreachable; stay safe anyway
    return Fail(Failure::Usage("no command given; see hookctl --help"));
  }

  ResolveToken(inv.connection, std::getenv("HOOKLINE_TOKEN"), std::getenv("HOOKLINE_API_TOKEN"));
  auto api = NewHttpApiClient(inv.connection);
  if (!api.ok()) return Fail(api.failure());

  bool terminal = isatty(STDOUT_FILENO) == 1;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  Context ctx{.api = **api,
              .out = std::cout,
              .err = std::cerr,
              .json = inv.json,
              .colour = ColourWanted(),
              .interactive = terminal,
              .now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count()};
  try {
    CommandOutcome outcome = inv.action(ctx);
    std::cout.flush();
    if (!outcome.ok()) return Fail(outcome.failure());
  } catch (const std::exception& e) {
    // Only an answer of an unexpected shape gets here (nlohmann_json's type errors).
    std::cout.flush();
    return Fail(Failure::Unavailable(std::string("unexpected answer from hookd at ") +
                                     inv.connection.url + " (" + e.what() + "); is it hookd?"));
  }
  return 0;
}
