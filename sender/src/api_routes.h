// Route registration for the v1 API, one function per resource family.
#pragma once

#include <httplib.h>

#include <atomic>

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

// Wraps a handler with bearer-token authentication and turns any escaped
// exception into a 500 with a log line (never a dropped connection).
httplib::Server::Handler Authed(const Context& ctx, httplib::Server::Handler handler);

void RegisterEndpointRoutes(httplib::Server& server, const Context& ctx);
void RegisterEventRoutes(httplib::Server& server, const Context& ctx);
void RegisterDeliveryRoutes(httplib::Server& server, const Context& ctx);

}  // namespace hookline::sender::api
