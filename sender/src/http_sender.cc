#include "http_sender.h"

#include <httplib.h>

#include <map>
#include <mutex>

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
    httplib::Client& client = ClientFor(url);
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
  httplib::Client& ClientFor(const Url& url) {
    std::string origin = url.Origin();
    auto it = clients_.find(origin);
    if (it != clients_.end()) return *it->second;
    auto client = std::make_unique<httplib::Client>(origin);
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
    return *clients_.emplace(origin, std::move(client)).first->second;
  }

  const HttpSenderOptions options_;
  std::map<std::string, std::unique_ptr<httplib::Client>> clients_;  // owner thread only
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
