// An in-process HTTP receiver on 127.0.0.1 with a programmable answer, which
// records every request it gets (for asserting on attempts, gaps and headers).
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hookline::testing {

struct ReceivedRequest {
  std::chrono::steady_clock::time_point at;
  std::string id, timestamp, signature, body, content_type;
};

struct Answer {
  int status = 200;
  std::string body = "ok";
  std::vector<std::pair<std::string, std::string>> headers;
};

class TestReceiver {
 public:
  // `answer` gets the request number (0-based) and the request.
  using Program = std::function<Answer(int n, const ReceivedRequest& r)>;

  // Binds `port` (0 = any free port).
  explicit TestReceiver(
      Program program = [](int, const ReceivedRequest&) { return Answer{}; }, int port = 0)
      : program_(std::move(program)) {
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(100000);
    server_.Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
      ReceivedRequest r{std::chrono::steady_clock::now(),
                        req.get_header_value("webhook-id"),
                        req.get_header_value("webhook-timestamp"),
                        req.get_header_value("webhook-signature"),
                        req.body,
                        req.get_header_value("content-type")};
      int n;
      {
        std::lock_guard lock(mu_);
        n = static_cast<int>(requests_.size());
        requests_.push_back(r);
      }
      Answer a = program_(n, r);
      res.status = a.status;
      for (auto& [k, v] : a.headers) res.set_header(k, v);
      res.set_content(a.body, "text/plain");
    });
    port_ = port == 0 ? server_.bind_to_any_port("127.0.0.1")
                      : (server_.bind_to_port("127.0.0.1", port) ? port : -1);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestReceiver() {
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<ReceivedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }

 private:
  Program program_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<ReceivedRequest> requests_;  // guarded by mu_
};

}  // namespace hookline::testing
