// Route registration for the v1 API, one function per resource family.
#pragma once

#include <httplib.h>

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "api_server.h"
#include "dispatcher.h"
#include "hookline/clock.h"
#include "hookline/db/outbox.h"

namespace hookline::sender::api {

struct Context {
  db::Outbox& outbox;
  Dispatcher& dispatcher;
  const Clock& clock;
  const ApiOptions& options;
  std::atomic<int>& in_flight;  // authenticated requests being handled
};

// Registers routes on an httplib::Server and remembers each (method, regex
// pattern), so the routes hookd serves are known in one place: ApiServer::Routes()
// hands them to the test that holds api/openapi.json to them. Not thread-safe;
// used while the server is built, before it serves.
class Router {
 public:
  using Handler = httplib::Server::Handler;
  explicit Router(httplib::Server& server) : server_(server) {}
  void Get(const std::string& pattern, Handler h) {
    Add("GET", pattern);
    server_.Get(pattern, std::move(h));
  }
  void Post(const std::string& pattern, Handler h) {
    Add("POST", pattern);
    server_.Post(pattern, std::move(h));
  }
  void Patch(const std::string& pattern, Handler h) {
    Add("PATCH", pattern);
    server_.Patch(pattern, std::move(h));
  }
  void Delete(const std::string& pattern, Handler h) {
    Add("DELETE", pattern);
    server_.Delete(pattern, std::move(h));
  }
  httplib::Server& raw() { return server_; }  // for hooks that are not routes
  const std::vector<std::pair<std::string, std::string>>& routes() const { return routes_; }

 private:
  void Add(const char* method, const std::string& pattern) {
    routes_.emplace_back(method, pattern);
  }
  httplib::Server& server_;
  std::vector<std::pair<std::string, std::string>> routes_;
};

// Wraps a handler with bearer-token authentication and turns any escaped
// exception into a 500 with a log line (never a dropped connection).
httplib::Server::Handler Authed(const Context& ctx, httplib::Server::Handler handler);

void RegisterEndpointRoutes(Router& server, const Context& ctx);
void RegisterEventRoutes(Router& server, const Context& ctx);
void RegisterDeliveryRoutes(Router& server, const Context& ctx);

// api/openapi.json, embedded at build time (sender/embed_openapi.cmake).
const std::string& OpenApiDocument();

}  // namespace hookline::sender::api
