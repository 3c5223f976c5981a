#include "http_sender.h"

#include <httplib.h>

#include <map>
#include <mutex>
#include <optional>

namespace hookline::sender {
namespace {

std::string Describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return "connection failed (refused, unreachable or DNS)";
    case httplib::Error::BindIPAddress:
      return "cannot bind local address";
    case httplib::Error::Read:
      return "read failed (connection closed or read timeout)";
    case httplib::Error::Write:
      return "write failed (connection closed)";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load CA certificates";
    case httplib::Error::SSLServerVerification:
      return "TLS certificate verification failed";
    case httplib::Error::ConnectionTimeout:
      return "connect timeout";
    case httplib::Error::Canceled:
      return "response larger than the read cap";
    default:
      return "network error (" + httplib::to_string(e) + ")";
  }
}

class HttplibSession final : public HttpSession {
 public:
  explicit HttplibSession(const HttpSenderOptions& options) : options_(options) {}

  AttemptResult Post(const Url& url, const HeaderList& headers, std::string_view body) override {
    auto pooled = ClientFor(url);
    if (!pooled.ok()) {
      AttemptResult refused;
      refused.status = 0;
      refused.error = pooled.status().message();
      return refused;
    }
    httplib::Client& client = **pooled;
    auto started = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mu_);
      active_ = &client;
      deadline_ = started + options_.timeout;
      cancel_reason_.clear();
    }
    httplib::Request req;
    req.method = "POST";
    req.path = url.target;
    for (const auto& [name, value] : headers) req.headers.emplace(name, value);
    req.body.assign(body.data(), body.size());
    std::string excerpt;
    size_t received = 0;
    // Read a bounded amount: a receiver streaming megabytes must not hold a worker.
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (excerpt.size() < options_.excerpt_bytes) {
        excerpt.append(data, std::min(n, options_.excerpt_bytes - excerpt.size()));
      }
      received += n;
      return received <= options_.max_response_bytes;
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    bool sent = client.send(req, res, error);
    auto elapsed = std::chrono::steady_clock::now() - started;
    std::string cancel_reason;
    {
      std::lock_guard lock(mu_);
      active_ = nullptr;
      cancel_reason.swap(cancel_reason_);
    }
    AttemptResult out;
    if (cancel_reason.empty() && (sent || (error == httplib::Error::Canceled && res.status > 0))) {
      out.status = res.status;
      out.excerpt = std::move(excerpt);
      if (res.has_header("Retry-After")) out.retry_after = res.get_header_value("Retry-After");
      return out;
    }
    out.status = 0;
    if (!cancel_reason.empty()) {
      out.error = cancel_reason;
    } else if (elapsed >= options_.timeout) {
      out.error = "timeout after " + std::to_string(options_.timeout.count()) + " ms";
    } else {
      out.error = Describe(error);
    }
    // The connection may be half-used; start clean next time.
    clients_.erase(url.Origin());
    return out;
  }

  void Cancel() override {
    std::lock_guard lock(mu_);
    if (active_ != nullptr) {
      cancel_reason_ = "cancelled: hookd is shutting down";
      active_->stop();
    }
  }

  void CancelIfOverdue() override {
    std::lock_guard lock(mu_);
    if (active_ != nullptr && cancel_reason_.empty() &&
        std::chrono::steady_clock::now() >= deadline_) {
      cancel_reason_ =
          "timeout: no complete answer within " + std::to_string(options_.timeout.count()) + " ms";
      active_->stop();
    }
  }

 private:
  // The address `host` may be connected to: checked by the guard, or (private
  // networks allowed) the resolver's first answer. nullopt when private
  // networks are allowed and no resolver was given: httplib then resolves at
  // each connect and tries every address, which "localhost" (::1 first, a
  // receiver often on 127.0.0.1 only) needs.
  Result<std::optional<IpAddress>> AddressFor(const std::string& host) const {
    if (options_.allow_private_networks) {
      if (options_.resolver == nullptr) return std::optional<IpAddress>();
      auto all = options_.resolver->Resolve(host);
      if (!all.ok()) return Status::Unavailable("DNS: " + all.status().message());
      return std::optional<IpAddress>(all->front());
    }
    const Resolver& resolver = options_.resolver ? *options_.resolver : SystemResolver();
    auto checked = ResolvePublicAddress(resolver, host);
    if (checked.status().code() == StatusCode::kPermissionDenied) {
      return Status::PermissionDenied("refused by the SSRF guard: " + checked.status().message() +
                                      ", which is not allowed (--allow-private-networks)");
    }
    if (!checked.ok()) return Status::Unavailable("DNS: " + checked.status().message());
    return std::optional<IpAddress>(*checked);
  }

  // The origin's keep-alive client, pinned to a checked address. Clients are
  // re-resolved only when made and after `dns_refresh`, so keep-alive reuse
  // costs no lookup; httplib's own reconnects reuse the pinned address.
  Result<httplib::Client*> ClientFor(const Url& url) {
    std::string origin = url.Origin();
    auto now = std::chrono::steady_clock::now();
    auto it = clients_.find(origin);
    if (it != clients_.end() && now - it->second.resolved_at < options_.dns_refresh) {
      return it->second.client.get();
    }
    auto address = AddressFor(url.host);
    if (!address.ok()) {
      clients_.erase(origin);
      return address.status();
    }
    std::string pinned = *address ? (*address)->ToString() : "";
    if (it != clients_.end() && it->second.pinned == pinned) {
      it->second.resolved_at = now;
      return it->second.client.get();
    }
    auto client = std::make_unique<httplib::Client>(origin);
    // Host and SNI stay url.host; the socket connects to the checked address.
    if (!pinned.empty()) client->set_hostname_addr_map({{url.host, pinned}});
    auto seconds = [](std::chrono::milliseconds d) {
      return static_cast<time_t>(d.count() / 1000);
    };
    auto micros = [](std::chrono::milliseconds d) {
      return static_cast<time_t>((d.count() % 1000) * 1000);
    };
    client->set_connection_timeout(seconds(options_.connect_timeout),
                                   micros(options_.connect_timeout));
    client->set_read_timeout(seconds(options_.timeout), micros(options_.timeout));
    client->set_write_timeout(seconds(options_.timeout), micros(options_.timeout));
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    client->set_follow_location(false);
    client->enable_server_certificate_verification(true);
    Pooled& slot = clients_[origin];
    slot = Pooled{std::move(client), pinned, now};
    return slot.client.get();
  }

  struct Pooled {
    std::unique_ptr<httplib::Client> client;
    std::string pinned;  // the address every connection goes to; "" = httplib resolves
    std::chrono::steady_clock::time_point resolved_at;
  };

  const HttpSenderOptions options_;
  std::map<std::string, Pooled> clients_;  // by origin; owner thread only
  std::mutex mu_;
  httplib::Client* active_ = nullptr;               // guarded by mu_
  std::chrono::steady_clock::time_point deadline_;  // guarded by mu_
  std::string cancel_reason_;                       // guarded by mu_; "" = not cancelled
};

class HttplibSender final : public HttpSender {
 public:
  explicit HttplibSender(const HttpSenderOptions& options) : options_(options) {}
  std::unique_ptr<HttpSession> NewSession() override {
    return std::make_unique<HttplibSession>(options_);
  }

 private:
  const HttpSenderOptions options_;
};

}  // namespace

std::unique_ptr<HttpSender> NewHttplibSender(const HttpSenderOptions& options) {
  return std::make_unique<HttplibSender>(options);
}

}  // namespace hookline::sender
