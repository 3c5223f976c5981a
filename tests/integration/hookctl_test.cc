// hookctl, the admin CLI, run as a subprocess against a real hookd: every
// command in table and --json form, and every exit code.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <sstream>

#include "support/hookd_fixture.h"
#include "support/port_holder.h"
#include "support/test_receiver.h"

#ifndef HOOKCTL_PATH
#error "HOOKCTL_PATH must name the hookctl binary"
#endif

extern char** environ;

using namespace hookline::testing;
using namespace std::chrono_literals;

namespace {

struct CtlRun {
  int exit_code = -1;  // 128+signal if killed; -1 if it outlived its time limit
  std::string out, err;

  Json json() const { return Json::parse(out, nullptr, false); }
  size_t lines() const { return static_cast<size_t>(std::count(out.begin(), out.end(), '\n')); }
  // One line on stderr, as every failure must print.
  bool one_error_line() const {
    return !err.empty() && err.back() == '\n' && std::count(err.begin(), err.end(), '\n') == 1 &&
           err.rfind("hookctl: ", 0) == 0;
  }
};

std::ostream& operator<<(std::ostream& os, const CtlRun& r) {
  return os << "exit " << r.exit_code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

// Runs hookctl in `cwd` with the test's environment minus HOOKLINE_* and
// NO_COLOR, plus NO_COLOR=1 and `env`; kills it after 30 s.
CtlRun RunHookctl(const std::vector<std::string>& args,
                  const std::vector<std::pair<std::string, std::string>>& env,
                  const std::string& cwd, const std::string& input = "") {
  std::vector<std::string> env_strings = {"NO_COLOR=1"};
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view v(*e);
    if (v.rfind("HOOKLINE_", 0) != 0 && v.rfind("NO_COLOR=", 0) != 0) env_strings.emplace_back(v);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<std::string> argv_strings = {HOOKCTL_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv, envp;
  for (auto& a : argv_strings) argv.push_back(a.data());
  for (auto& e : env_strings) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);

  int in[2], out[2], err[2];
  REQUIRE(pipe2(in, O_CLOEXEC) == 0);
  REQUIRE(pipe2(out, O_CLOEXEC) == 0);
  REQUIRE(pipe2(err, O_CLOEXEC) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!input.empty()) REQUIRE(write(in[1], input.data(), input.size()) == ssize_t(input.size()));
  close(in[1]);

  CtlRun run;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&run.out, &run.err};
  int open_fds = 2;
  while (open_fds > 0 && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  if (open_fds > 0) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  if (open_fds > 0) return run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

// hookctl pointed at one hookd through HOOKLINE_URL and HOOKLINE_TOKEN.
class Hookctl {
 public:
  Hookctl(const Hookd& hookd, const TempDir& dir)
      : url_("http://127.0.0.1:" + std::to_string(hookd.port())), cwd_(dir.path().string()) {}

  CtlRun operator()(const std::vector<std::string>& args, const std::string& input = "") const {
    return RunHookctl(args, {{"HOOKLINE_URL", url_}, {"HOOKLINE_TOKEN", Hookd::kToken}}, cwd_,
                      input);
  }
  const std::string& url() const { return url_; }
  const std::string& cwd() const { return cwd_; }

 private:
  std::string url_, cwd_;
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Matchers on a whole run, so that a failed check prints its stdout and stderr.
class RunMatcher : public Catch::MatcherBase<CtlRun> {
 public:
  RunMatcher(std::function<bool(const CtlRun&)> test, std::string what)
      : test_(std::move(test)), what_(std::move(what)) {}
  bool match(const CtlRun& run) const override { return test_(run); }
  std::string describe() const override { return what_; }

 private:
  std::function<bool(const CtlRun&)> test_;
  std::string what_;
};

RunMatcher Exits(int code) {
  return {[code](const CtlRun& r) { return r.exit_code == code; },
          "exits with " + std::to_string(code)};
}
RunMatcher Prints(const std::string& text) {
  return {[text](const CtlRun& r) { return Contains(r.out, text); }, "prints \"" + text + "\""};
}
RunMatcher Says(const std::string& text) {
  return {[text](const CtlRun& r) { return Contains(r.err, text); },
          "says \"" + text + "\" on stderr"};
}
// Exit code `code` and exactly "hookctl: <line>\n" on stderr.
RunMatcher FailsWith(int code, const std::string& line) {
  return {
      [=](const CtlRun& r) { return r.exit_code == code && r.err == "hookctl: " + line + "\n"; },
      "exits with " + std::to_string(code) + " saying \"hookctl: " + line + "\""};
}
RunMatcher OneErrorLine() {
  return {[](const CtlRun& r) { return r.one_error_line(); },
          "prints one \"hookctl: \" line on stderr"};
}

// The raw body of GET `path`, to check that --json prints it unmodified.
std::string RawGet(const Hookd& hookd, const std::string& path) {
  httplib::Client cli("127.0.0.1", hookd.port());
  cli.set_connection_timeout(5);
  cli.set_read_timeout(10);
  auto r = cli.Get(path.c_str(), {{"Authorization", std::string("Bearer ") + Hookd::kToken}});
  return r ? r->body : "";
}

size_t CountDeliveries(const Hookd& hookd, const std::string& query) {
  return hookd.Get("/v1/deliveries?limit=1000&" + query).body["data"].size();
}

}  // namespace

TEST_CASE("hookctl endpoints: create, list, show, update, disable, enable, secrets, delete",
          "[integration][hookctl]") {
  TempDir dir;
  Hookd hookd(dir);
  REQUIRE(hookd.port() > 0);
  Hookctl ctl(hookd, dir);

  CtlRun created = ctl({"endpoints", "create", "http://127.0.0.1:9/a", "--event-type", "invoice.*",
                        "--event-type", "user.created", "--description", "billing", "--json"});
  REQUIRE_THAT(created, Exits(0));
  std::string id = created.json()["id"];
  CHECK(created.json()["secret"].get<std::string>().rfind("whsec_", 0) == 0);
  CtlRun table = ctl({"endpoints", "create", "http://127.0.0.1:9/b"});
  REQUIRE_THAT(table, Exits(0));
  CHECK_THAT(table, Prints("event types  all\n"));
  CHECK_THAT(table, Prints("secret       whsec_"));

  CtlRun list = ctl({"endpoints", "list"});
  CHECK_THAT(list, Exits(0));
  CHECK(list.out.rfind("ID ", 0) == 0);
  CHECK(list.lines() == 3);
  CHECK_THAT(list,
             Prints(id + "  http://127.0.0.1:9/a  invoice.*, user.created  enabled  billing"));
  CHECK_THAT(list, Prints("just now (20"));  // relative and absolute times
  CtlRun list_json = ctl({"endpoints", "list", "--json"});
  CHECK(list_json.json()["data"].size() == 2);
  CHECK(list_json.json()["next_cursor"].is_null());

  CtlRun show = ctl({"endpoints", "show", id});
  CHECK_THAT(show, Exits(0));
  CHECK_THAT(show, Prints("description  billing\n"));
  CHECK_THAT(show, Prints("event types  invoice.*, user.created\n"));
  CHECK_THAT(show, Prints("status       enabled\n"));
  CHECK(ctl({"endpoints", "show", id, "--json"}).out ==
        RawGet(hookd, "/v1/endpoints/" + id) + "\n");

  CtlRun updated = ctl({"endpoints", "update", id, "--url", "http://127.0.0.1:9/new",
                        "--all-event-types", "--description", ""});
  CHECK_THAT(updated, Exits(0));
  CHECK_THAT(updated, Prints("url          http://127.0.0.1:9/new\n"));
  Json now = hookd.Get("/v1/endpoints/" + id).body;
  CHECK(now["url"] == "http://127.0.0.1:9/new");
  CHECK(now["event_types"].empty());
  CHECK(now["description"] == "");
  CHECK(ctl({"endpoints", "update", id, "--event-type", "a.b", "--json"}).json()["event_types"] ==
        Json::array({"a.b"}));
  CtlRun nothing = ctl({"endpoints", "update", id});
  CHECK_THAT(nothing, Exits(2));
  CHECK_THAT(nothing, OneErrorLine());

  CtlRun disabled = ctl({"endpoints", "disable", id});
  CHECK_THAT(disabled, Exits(0));
  CHECK_THAT(disabled, Prints("Disabled endpoint " + id));
  CHECK(hookd.Get("/v1/endpoints/" + id).body["disabled"] == true);
  CHECK_THAT(ctl({"endpoints", "show", id}), Prints("status       disabled"));
  CHECK(ctl({"endpoints", "enable", id, "--json"}).json()["disabled"] == false);
  CHECK(ctl({"endpoints", "disable", id, "--json"}).json()["disabled"] == true);
  CHECK_THAT(ctl({"endpoints", "enable", id}), Prints("Enabled endpoint " + id));

  CtlRun rotated = ctl({"endpoints", "rotate-secret", id});
  CHECK_THAT(rotated, Exits(0));
  std::string secret = hookd.Get("/v1/endpoints/" + id + "/secret").body["secret"];
  CHECK_THAT(rotated, Prints("New secret for " + id + ": " + secret + "\n"));
  CHECK_THAT(rotated, Prints("The previous secret keeps signing too; it expires in "));
  CHECK(ctl({"endpoints", "secret", id}).out == secret + "\n");
  Json rotated_json = ctl({"endpoints", "rotate-secret", id, "--json"}).json();
  CHECK(rotated_json["secret"] != secret);
  CHECK(ctl({"endpoints", "secret", id, "--json"}).json() ==
        Json{{"secret", rotated_json["secret"]}});

  CtlRun deleted = ctl({"endpoints", "delete", id});
  CHECK_THAT(deleted, Exits(0));
  CHECK_THAT(deleted, Prints("Deleted endpoint " + id));
  CtlRun gone = ctl({"endpoints", "show", id});
  CHECK_THAT(gone, FailsWith(3, "no endpoint with id '" + id + "'"));
  std::string other = list_json.json()["data"][1]["id"];
  CtlRun deleted_json = ctl({"endpoints", "delete", other, "--json"});
  CHECK_THAT(deleted_json, Exits(0));
  CHECK(deleted_json.out.empty());  // hookd answers 204 with no body
  CHECK_THAT(ctl({"endpoints", "list"}), Prints("No endpoints yet"));
}

TEST_CASE("hookctl events: send inline, @file and stdin, idempotency, show with deliveries",
          "[integration][hookctl]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir);
  Hookctl ctl(hookd, dir);
  std::string ep = hookd.CreateEndpoint(receiver.url(), Json{{"event_types", {"order.*"}}});
  REQUIRE_FALSE(ep.empty());

  CtlRun sent = ctl({"events", "send", "order.created", "--data", R"({"order": 42})"});
  REQUIRE_THAT(sent, Exits(0));
  CHECK_THAT(sent, Prints("Sent event evt_"));
  CHECK_THAT(sent, Prints("(order.created): 1 delivery queued"));

  std::ofstream(dir.File("data.json")) << R"({"order": 43, "lines": [1, 2]})";
  CtlRun from_file = ctl({"events", "send", "order.paid", "--data", "@" + dir.File("data.json"),
                          "--id", "evt_custom_1", "--idempotency-key", "order-43-paid", "--json"});
  CHECK_THAT(from_file, Exits(0));
  CHECK(from_file.json() == Json{{"id", "evt_custom_1"}, {"deliveries", 1}});
  CtlRun replayed = ctl({"events", "send", "order.paid", "--data", "@" + dir.File("data.json"),
                         "--id", "evt_custom_1", "--idempotency-key", "order-43-paid"});
  CHECK_THAT(replayed, Exits(0));
  CHECK_THAT(replayed, Prints("already sent with this idempotency key"));
  CtlRun from_stdin = ctl({"events", "send", "user.created", "--data", "@-"}, R"({"u": 1})");
  CHECK_THAT(from_stdin, Exits(0));
  CHECK_THAT(from_stdin, Prints("no enabled endpoint subscribes to it"));
  CtlRun duplicate = ctl({"events", "send", "order.paid", "--data", "{}", "--id", "evt_custom_1"});
  CHECK_THAT(duplicate, Exits(1));  // 409: the id exists
  CHECK_THAT(duplicate, OneErrorLine());
  CHECK_THAT(duplicate, Says("(409 already_exists)"));

  for (const auto& bad : {std::vector<std::string>{"events", "send", "x", "--data", "{nope"},
                          {"events", "send", "x", "--data", "@" + dir.File("missing.json")},
                          {"events", "send", "x"}}) {
    CtlRun r = ctl(bad);
    CHECK_THAT(r, Exits(2));
    CHECK_THAT(r, OneErrorLine());
  }

  REQUIRE(Eventually([&] { return CountDeliveries(hookd, "status=succeeded") == 2; }));
  CtlRun show = ctl({"events", "show", "evt_custom_1"});
  CHECK_THAT(show, Exits(0));
  CHECK_THAT(show, Prints("type     order.paid\n"));
  CHECK_THAT(show, Prints(R"(data     {"order":43,"lines":[1,2]})"));
  CHECK_THAT(show, Prints("Deliveries (1):\n"));
  CHECK_THAT(show, Prints(ep + "  succeeded  1         HTTP 200"));
  Json show_json = ctl({"events", "show", "evt_custom_1", "--json"}).json();
  CHECK(show_json["deliveries"].size() == 1);
  CHECK(show_json["payload"]["data"]["order"] == 43);
  CtlRun unknown = ctl({"events", "show", "evt_nope"});
  CHECK_THAT(unknown, FailsWith(3, "no event with id 'evt_nope'"));
}

TEST_CASE("hookctl deliveries: a receiver down all night, then list, show, retry, succeed",
          "[integration][hookctl]") {
  TempDir dir;
  std::atomic<bool> healthy{false};
  TestReceiver down([&](int, const ReceivedRequest&) {
    return healthy ? Answer{} : Answer{500, "receiver down", {}};
  });
  TestReceiver fine;
  // 429 with Retry-After keeps a delivery pending for a minute.
  TestReceiver slow([](int, const ReceivedRequest&) {
    return Answer{429, "slow down", {{"Retry-After", "60"}}};
  });
  // Declared after the receivers so that it stops first, closing its keep-alive connections.
  Hookd hookd(dir, {"--retry-schedule", "10ms,10ms"});
  Hookctl ctl(hookd, dir);
  std::string a = hookd.CreateEndpoint(down.url());
  std::string b = hookd.CreateEndpoint(fine.url());
  REQUIRE_FALSE(a.empty());
  REQUIRE_FALSE(b.empty());
  std::vector<std::string> events;
  for (int i = 0; i < 5; ++i) events.push_back(hookd.PostEvent("order.created", Json{{"n", i}}));
  INFO(hookd.Log());
  REQUIRE(Eventually([&] {
    return CountDeliveries(hookd, "status=failed&endpoint_id=" + a) == 5 &&
           CountDeliveries(hookd, "status=succeeded&endpoint_id=" + b) == 5;
  }));

  // Find what failed, and see why.
  CtlRun failed = ctl({"deliveries", "list", "--status", "failed", "--endpoint", a});
  CHECK_THAT(failed, Exits(0));
  CHECK(failed.lines() == 6);
  CHECK_FALSE(Contains(failed.out, "ENDPOINT "));  // the filter's value, not repeated per row
  CHECK_THAT(failed, Prints("  failed  3         attempts exhausted (3); last: HTTP 500  "));
  Json failed_json =
      ctl({"deliveries", "list", "--status", "failed", "--endpoint", a, "--json"}).json();
  REQUIRE(failed_json["data"].size() == 5);
  for (const auto& d : failed_json["data"]) CHECK(d["status"] == "failed");
  std::string first = failed_json["data"][0]["id"];
  CHECK_THAT(ctl({"deliveries", "list", "--event", events[0]}), Prints(first + "  " + a));

  CtlRun show = ctl({"deliveries", "show", first});
  CHECK_THAT(show, Exits(0));
  CHECK_THAT(show, Prints("status       failed\n"));
  CHECK_THAT(show, Prints("History (3 attempts):\n"));
  CHECK_THAT(show, Prints("\n1  "));
  CHECK_THAT(show, Prints("\n3  "));
  CHECK_THAT(show, Prints("  HTTP 500  "));
  CHECK_THAT(show, Prints(" ms"));
  CHECK_THAT(show, Prints("  receiver down\n"));  // the response excerpt
  CHECK(ctl({"deliveries", "show", first, "--json"}).json()["history"].size() == 3);

  // Every page, one page at a time, up to a limit, and time filters.
  Json all_api = hookd.Get("/v1/deliveries?limit=1000").body["data"];
  REQUIRE(all_api.size() == 10);
  CtlRun paged = ctl({"deliveries", "list", "--limit", "0", "--page-size", "3", "--json"});
  CHECK(paged.json()["data"] == all_api);
  CHECK(paged.json()["next_cursor"].is_null());
  CtlRun limited = ctl({"deliveries", "list", "--limit", "4", "--page-size", "3", "--json"});
  REQUIRE(limited.json()["data"].size() == 4);
  CHECK(limited.json()["data"][3] == all_api[3]);
  CHECK(limited.json()["next_cursor"] == all_api[3]["id"]);
  CtlRun limited_table = ctl({"deliveries", "list", "--limit", "4", "--page-size", "3"});
  CHECK(limited_table.lines() == 6);
  CHECK_THAT(limited_table, Prints("Showing the first 4; more match"));
  CHECK(ctl({"deliveries", "list", "--since", "1h", "--json"}).json()["data"].size() == 10);
  CHECK(ctl({"deliveries", "list", "--since", "2020-01-01T00:00:00Z", "--json"})
            .json()["data"]
            .size() == 10);
  CHECK(ctl({"deliveries", "list", "--until", "1h"}).out == "No deliveries match\n");
  CHECK_THAT(ctl({"deliveries", "list", "--since", "yesterday"}), Exits(2));
  CHECK_THAT(ctl({"deliveries", "list", "--status", "lost"}), Exits(2));

  // The receiver is back: re-drive one, then dry-run and re-drive the rest.
  healthy = true;
  CtlRun one = ctl({"deliveries", "retry", first});
  CHECK_THAT(one, Exits(0));
  CHECK(one.out == "Requeued " + first + "; it goes out again now\n");
  REQUIRE(
      Eventually([&] { return CountDeliveries(hookd, "status=failed&endpoint_id=" + a) == 4; }));
  CtlRun dry = ctl({"deliveries", "retry", "--all-failed", "--endpoint", a, "--dry-run"});
  CHECK(dry.out == "Would requeue 4 failed deliveries for " + a + " (dry run: nothing changed)\n");
  CHECK(
      ctl({"deliveries", "retry", "--all-failed", "--endpoint", a, "--dry-run", "--json"}).json() ==
      Json{{"count", 4}, {"dry_run", true}});
  CHECK(CountDeliveries(hookd, "status=failed&endpoint_id=" + a) == 4);
  CtlRun all = ctl({"deliveries", "retry", "--all-failed", "--endpoint", a});
  CHECK_THAT(all, Exits(0));
  CHECK_THAT(all, Prints("Requeued 4 failed deliveries for " + a + "\n"));
  REQUIRE(Eventually([&] { return CountDeliveries(hookd, "status=succeeded") == 10; }));
  CHECK(ctl({"deliveries", "list", "--status", "failed", "--endpoint", a}).out ==
        "No deliveries match\n");
  CtlRun watched = ctl({"deliveries", "list", "--event", events[4]});
  CHECK_THAT(watched, Prints(a + "  succeeded  4         HTTP 200"));
  CHECK_THAT(watched, Prints(b + "  succeeded  1         HTTP 200"));
  CHECK(ctl({"deliveries", "retry", "--all-failed", "--json"}).json() ==
        Json{{"count", 0}, {"dry_run", false}});
  CHECK(ctl({"deliveries", "retry", first, "--json"}).json()["status"] == "pending");

  // Refusals: usage, unknown ids, and a delivery that is already pending.
  for (const auto& bad : {std::vector<std::string>{"deliveries", "retry"},
                          {"deliveries", "retry", first, "--all-failed"},
                          {"deliveries", "retry", first, "--dry-run"}}) {
    CtlRun r = ctl(bad);
    CHECK_THAT(r, Exits(2));
    CHECK_THAT(r, OneErrorLine());
  }
  CtlRun no_ep = ctl({"deliveries", "retry", "--all-failed", "--endpoint", "ep_nope"});
  CHECK_THAT(no_ep, FailsWith(3, "no endpoint with id 'ep_nope'"));
  std::string c = hookd.CreateEndpoint(slow.url(), Json{{"event_types", {"slow.*"}}});
  std::string pending;
  for (const auto& d : hookd.Deliveries(hookd.PostEvent("slow.event"))) {
    if (d["endpoint_id"] == c) pending = d["id"];
  }
  REQUIRE(Eventually([&] { return slow.count() == 1; }));
  CtlRun busy = ctl({"deliveries", "retry", pending});
  CHECK_THAT(busy, Exits(1));  // 409
  CHECK_THAT(busy, OneErrorLine());
  CHECK_THAT(busy, Says("(409 failed_precondition)"));
  REQUIRE(Eventually(
      [&] { return hookd.Get("/v1/deliveries/" + first).body["status"] == "succeeded"; }));
  CtlRun mixed = ctl({"deliveries", "retry", "dlv_nope", first});
  CHECK_THAT(mixed, FailsWith(3, "no delivery with id 'dlv_nope'"));
  CHECK_THAT(mixed, Prints("Requeued 1 of 2 deliveries"));
}

TEST_CASE("hookctl stats: counts, oldest pending, failing endpoints", "[integration][hookctl]") {
  TempDir dir;
  TestReceiver down([](int, const ReceivedRequest&) { return Answer{500, "no", {}}; });
  TestReceiver slow([](int, const ReceivedRequest&) {
    return Answer{429, "slow down", {{"Retry-After", "60"}}};
  });
  Hookd hookd(dir, {"--retry-schedule", "10ms,10ms"});
  Hookctl ctl(hookd, dir);
  std::string a = hookd.CreateEndpoint(down.url(), Json{{"event_types", {"order.*"}}});
  REQUIRE_FALSE(hookd.CreateEndpoint(slow.url(), Json{{"event_types", {"slow.*"}}}).empty());
  for (int i = 0; i < 3; ++i) hookd.PostEvent("order.created");
  hookd.PostEvent("slow.event");
  REQUIRE(Eventually(
      [&] { return CountDeliveries(hookd, "status=failed") == 3 && slow.count() == 1; }));

  CtlRun stats = ctl({"stats"});
  CHECK_THAT(stats, Exits(0));
  CHECK(stats.out.rfind("STATUS     DELIVERIES\npending    1\ninflight   0\nfailed     3\n", 0) ==
        0);
  CHECK_THAT(stats, Prints("Oldest pending: due in "));
  CHECK_THAT(stats, Prints("Failing endpoints (most failed deliveries first):\n"));
  CHECK_THAT(stats, Prints(a + "  " + down.url() + "  enabled  3\n"));
  Json json = ctl({"stats", "--json"}).json();
  CHECK(json["deliveries"]["pending"] == 1);
  CHECK(json["deliveries"]["failed"] == 3);
  CHECK(json["failing_endpoints"].size() == 1);
  CHECK(json["failing_endpoints"][0]["id"] == a);
}

TEST_CASE("hookctl endpoints show: limits and an open circuit", "[integration][hookctl]") {
  TempDir dir;
  TestReceiver down([](int, const ReceivedRequest&) { return Answer{500, "no", {}}; });
  Hookd hookd(dir, {"--breaker-threshold", "2", "--breaker-cooldown", "60s"});
  Hookctl ctl(hookd, dir);
  std::string id = hookd.CreateEndpoint(down.url(), Json{{"rate_limit_per_s", 5}});
  REQUIRE_FALSE(id.empty());
  CHECK_THAT(ctl({"endpoints", "show", id}), Prints("circuit      closed\n"));
  for (int i = 0; i < 2; ++i) REQUIRE_FALSE(hookd.PostEvent("order.paid").empty());
  REQUIRE(Eventually(
      [&] { return hookd.Get("/v1/endpoints/" + id).body["circuit"]["state"] == "open"; }));
  CtlRun shown = ctl({"endpoints", "show", id});
  CHECK_THAT(shown, Exits(0));
  CHECK_THAT(shown, Prints("status       enabled, circuit open\n"));
  CHECK_THAT(shown, Prints("circuit      open, 2 failures in a row since just now"));
  CHECK_THAT(shown,
             Prints("; holds deliveries until in 59s") || Prints("; holds deliveries until in 1m"));
  CHECK_THAT(shown, Prints("limits       rate/s 5\n"));
  CHECK_THAT(ctl({"endpoints", "list"}), Prints("enabled, circuit open"));
}

TEST_CASE("hookctl endpoints: the operations endpoint says what it receives",
          "[integration][hookctl][ops]") {
  TempDir dir;
  TestReceiver ops;
  Hookd hookd(dir, {"--ops-endpoint", ops.url("/ops")});
  Hookctl ctl(hookd, dir);
  CtlRun listed = ctl({"endpoints", "list"});
  CHECK_THAT(listed, Exits(0));
  CHECK_THAT(listed, Prints("hookd operational webhooks"));
  CHECK_THAT(listed, Prints(ops.url("/ops")));
}

TEST_CASE("hookctl failures: exit codes and one line on stderr", "[integration][hookctl]") {
  TempDir dir;
  Hookd hookd(dir);
  Hookctl ctl(hookd, dir);

  CtlRun bad_token =
      RunHookctl({"stats"}, {{"HOOKLINE_URL", ctl.url()}, {"HOOKLINE_TOKEN", "x"}}, ctl.cwd());
  CHECK_THAT(bad_token, FailsWith(4,
                                  "token rejected by hookd (401; token from HOOKLINE_TOKEN); "
                                  "pass --token or set HOOKLINE_TOKEN"));
  CtlRun flag_token = RunHookctl({"stats", "--url", ctl.url(), "--token", "x"}, {}, ctl.cwd());
  CHECK_THAT(flag_token, Exits(4));
  CHECK_THAT(flag_token, Says("token from --token"));
  CtlRun no_token = RunHookctl({"stats"}, {{"HOOKLINE_URL", ctl.url()}}, ctl.cwd());
  CHECK_THAT(no_token, Exits(4));
  CHECK_THAT(no_token, Says("hookd needs an API token (401)"));
  // hookd's own variable, for a shell set up to run hookd; HOOKLINE_TOKEN wins over it.
  CtlRun hookd_env = RunHookctl(
      {"stats"}, {{"HOOKLINE_URL", ctl.url()}, {"HOOKLINE_API_TOKEN", Hookd::kToken}}, ctl.cwd());
  CHECK_THAT(hookd_env, Exits(0));
  CtlRun both = RunHookctl(
      {"stats"},
      {{"HOOKLINE_URL", ctl.url()}, {"HOOKLINE_API_TOKEN", Hookd::kToken}, {"HOOKLINE_TOKEN", "x"}},
      ctl.cwd());
  CHECK_THAT(both, Exits(4));
  CHECK_THAT(both, Says("token from HOOKLINE_TOKEN"));
  std::ofstream(dir.File("hookline.db.token")) << Hookd::kToken << "\n";
  CtlRun file_token = RunHookctl({"stats", "--url", ctl.url()}, {}, ctl.cwd());
  CHECK_THAT(file_token, Exits(0));

  std::string nowhere = "http://127.0.0.1:" + std::to_string(FreePort());
  CtlRun down = RunHookctl({"endpoints", "list"}, {{"HOOKLINE_URL", nowhere}}, ctl.cwd());
  CHECK_THAT(down, FailsWith(5, "cannot reach hookd at " + nowhere +
                                    " (connection refused); is it running? set --url or "
                                    "HOOKLINE_URL"));

  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"endpoints", "show", "ep_nope"}, "no endpoint with id 'ep_nope'"},
           {{"deliveries", "show", "dlv_nope"}, "no delivery with id 'dlv_nope'"},
           {{"deliveries", "show", "not/a-delivery"}, "no delivery with id 'not/a-delivery'"},
           {{"deliveries", "retry", "dlv_nope"}, "no delivery with id 'dlv_nope'"},
           {{"endpoints", "delete", "ep_nope"}, "no endpoint with id 'ep_nope'"}}) {
    CtlRun r = ctl(args);
    CHECK_THAT(r, FailsWith(3, message));
  }

  CtlRun refused = ctl({"endpoints", "create", "ftp://example.com/x"});
  CHECK_THAT(refused, Exits(1));
  CHECK_THAT(refused, OneErrorLine());
  CHECK_THAT(refused, Says("url scheme must be http or https, not 'ftp' (400 invalid_argument)"));
  CHECK(hookd.Get("/v1/endpoints").body["data"].empty());

  for (const auto& args :
       std::vector<std::vector<std::string>>{{},
                                             {"frobnicate"},
                                             {"endpoints"},
                                             {"endpoints", "create"},
                                             {"deliveries", "list", "--bogus"},
                                             {"deliveries", "list", "--limit", "-1"},
                                             {"deliveries", "list", "--page-size", "0"},
                                             {"stats", "--url", "ftp://x"}}) {
    CtlRun r = ctl(args);
    CHECK_THAT(r, Exits(2));
    CHECK_THAT(r, OneErrorLine());
    CHECK(r.out.empty());
  }

  // hookd's 5xx and things that are not hookd at all: exit 5.
  TestReceiver unavailable([](int, const ReceivedRequest&) {
    return Answer{503, R"({"error":{"code":"unavailable","message":"database is locked"}})", {}};
  });
  CtlRun r503 =
      RunHookctl({"events", "send", "x", "--data", "{}"},
                 {{"HOOKLINE_URL", unavailable.url("")}, {"HOOKLINE_TOKEN", "t"}}, ctl.cwd());
  CHECK_THAT(r503, FailsWith(5,
                             "hookd is unavailable: database is locked (503 unavailable); "
                             "try again shortly"));
  TestReceiver not_hookd;  // answers 200 "ok"
  CtlRun odd =
      RunHookctl({"events", "send", "x", "--data", "{}"},
                 {{"HOOKLINE_URL", not_hookd.url("")}, {"HOOKLINE_TOKEN", "t"}}, ctl.cwd());
  CHECK_THAT(odd, Exits(5));
  CHECK_THAT(odd, OneErrorLine());
}

TEST_CASE("hookctl --help on every command, with examples and exit codes",
          "[integration][hookctl]") {
  TempDir dir;
  CtlRun root = RunHookctl({"--help"}, {}, dir.path().string());
  CHECK_THAT(root, Exits(0));
  CHECK_THAT(root, Prints("Exit codes:\n  0  success"));
  CHECK_THAT(root, Prints("./hookline.db.token"));
  CHECK_THAT(root, Prints("HOOKLINE_URL"));
  for (const std::string command :
       {"endpoints list", "endpoints create", "endpoints show", "endpoints update",
        "endpoints disable", "endpoints enable", "endpoints delete", "endpoints rotate-secret",
        "endpoints secret", "events send", "events show", "deliveries list", "deliveries show",
        "deliveries retry", "stats"}) {
    std::vector<std::string> args;
    std::stringstream words(command);
    for (std::string w; words >> w;) args.push_back(w);
    args.push_back("--help");
    CtlRun r = RunHookctl(args, {}, dir.path().string());
    CHECK_THAT(r, Exits(0));
    CHECK_THAT(r, Prints("Usage: hookctl " + command));
    CHECK_THAT(r, Prints("Examples:\n  hookctl " + command.substr(0, command.find(' '))));
    CHECK_THAT(r, Prints("--json"));
    CHECK(r.out.find('\033') == std::string::npos);
  }
}
