// Outbound HTTP for deliveries, behind an interface so the dispatcher can be
// tested with a fake and the transport changed without touching it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "delivery_policy.h"
#include "hookline/net_guard.h"
#include "hookline/url.h"

namespace hookline::sender {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One worker's connections: keep-alive, one per endpoint origin.
// Not thread-safe, except Cancel() and CancelIfOverdue(), which another thread
// may call to abort the request in progress.
class HttpSession {
 public:
  virtual ~HttpSession() = default;
  // POSTs `body`; never follows redirects; reads at most a small excerpt of the
  // response. Network failures come back as status 0 with `error` set.
  virtual AttemptResult Post(const Url& url, const HeaderList& headers, std::string_view body) = 0;
  // Aborts the request in progress, if any (shutdown).
  virtual void Cancel() = 0;
  // Aborts the request in progress if it has run past the attempt timeout:
  // socket timeouts bound each read, not the whole answer, so a receiver
  // trickling bytes would otherwise hold a worker for ever.
  virtual void CancelIfOverdue() = 0;
};

// Thread-safe factory.
class HttpSender {
 public:
  virtual ~HttpSender() = default;
  virtual std::unique_ptr<HttpSession> NewSession() = 0;
};

struct HttpSenderOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{15000};  // per attempt
  size_t excerpt_bytes = 1024;               // kept for the attempt record
  size_t max_response_bytes = 64 * 1024;     // read before the connection is dropped
  // SSRF guard. A session resolves an origin's host when it makes that
  // origin's client (first use, after a failed attempt, and when the client
  // is older than `dns_refresh`) and pins every connection of the client to the
  // checked address (Host and TLS SNI stay the name). Unless private networks
  // are allowed, an origin whose host resolves to any non-public address fails
  // the attempt like a network error, without connecting. Keep-alive reuse
  // does no lookup.
  bool allow_private_networks = false;
  const Resolver* resolver = nullptr;  // nullptr: SystemResolver(); must outlive the sender
  std::chrono::milliseconds dns_refresh{60000};
};

// cpp-httplib with TCP_NODELAY (a measured 100x difference on keep-alive
// connections), certificate verification for https against the system CAs,
// and the SSRF guard described in HttpSenderOptions.
std::unique_ptr<HttpSender> NewHttplibSender(const HttpSenderOptions& options);

}  // namespace hookline::sender
