// A real hookd process for integration tests, with a JSON client for its API.
#pragma once

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

#ifndef HOOKD_PATH
#error "HOOKD_PATH must name the hookd binary"
#endif

namespace hookline::testing {

using Json = nlohmann::json;

struct ApiReply {
  int status = 0;  // 0: no HTTP response
  Json body;
  httplib::Headers headers;
};

class Hookd {
 public:
  static constexpr const char* kToken = "test-token-0123456789";

  // Fast schedule by default; `args` are added (and may override) after it.
  // Receivers in tests are on loopback, so the SSRF guard is off
  // (--allow-private-networks) unless `ssrf_guard` is true.
  Hookd(const TempDir& dir, std::vector<std::string> args = {}, std::string db_name = "hookline.db",
        bool ssrf_guard = false)
      : dir_(dir), args_(std::move(args)), db_(dir.File(db_name)), ssrf_guard_(ssrf_guard) {
    Start();
  }

  void Start() {
    std::vector<std::string> argv = {
        HOOKD_PATH, "--listen", "127.0.0.1:" + std::to_string(next_port_), "--db", db_,
        "--api-token", kToken, "--retry-schedule", "100ms,200ms,400ms", "--timeout", "2s",
        "--shutdown-grace", "2s", "--log-level", "debug",
        // Tests of retries want every attempt made; the
        // breaker's own tests turn it on.
        "--breaker-threshold", "0"};
    if (!ssrf_guard_) argv.push_back("--allow-private-networks");
    argv.insert(argv.end(), args_.begin(), args_.end());
    process_ = std::make_unique<ChildProcess>(argv, dir_.File("hookd.log"));
    port_ = process_->WaitListening();
    next_port_ = port_ > 0 ? port_ : 0;  // a restart keeps the port clients know
  }

  int port() const { return port_; }
  ChildProcess& process() { return *process_; }
  std::string Log() const { return process_->Log(); }
  const std::string& db_path() const { return db_; }

  ApiReply Call(const std::string& method, const std::string& path, const std::string& body = "",
                httplib::Headers headers = {}, bool auth = true) const {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(5);
    cli.set_read_timeout(10);
    if (auth) headers.emplace("Authorization", std::string("Bearer ") + kToken);
    httplib::Result r = method == "GET"      ? cli.Get(path.c_str(), headers)
                        : method == "DELETE" ? cli.Delete(path.c_str(), headers)
                        : method == "PATCH"
                            ? cli.Patch(path.c_str(), headers, body, "application/json")
                            : cli.Post(path.c_str(), headers, body, "application/json");
    ApiReply reply;
    if (!r) return reply;
    reply.status = r->status;
    reply.headers = r->headers;
    reply.body = Json::parse(r->body, nullptr, false);
    return reply;
  }
  ApiReply Post(const std::string& path, const Json& body, httplib::Headers headers = {}) const {
    return Call("POST", path, body.dump(), std::move(headers));
  }
  ApiReply Get(const std::string& path) const { return Call("GET", path); }

  // Creates an endpoint and returns its id (REQUIRE-free: "" on failure).
  std::string CreateEndpoint(const std::string& url, const Json& extra = Json::object()) const {
    Json body = extra;
    body["url"] = url;
    ApiReply r = Post("/v1/endpoints", body);
    return r.status == 201 ? r.body["id"].get<std::string>() : "";
  }
  std::string PostEvent(const std::string& type, const Json& data = Json::object()) const {
    ApiReply r = Post("/v1/events", Json{{"type", type}, {"data", data}});
    return r.status == 202 ? r.body["id"].get<std::string>() : "";
  }
  // The deliveries of one event.
  Json Deliveries(const std::string& event_id) const {
    return Get("/v1/deliveries?event_id=" + event_id).body["data"];
  }

 private:
  const TempDir& dir_;
  std::vector<std::string> args_;
  std::string db_;
  bool ssrf_guard_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = -1;
  int next_port_ = 0;
};

}  // namespace hookline::testing
