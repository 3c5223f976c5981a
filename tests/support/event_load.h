// A load generator for hookd's ingest API: `clients` threads, each with one
// keep-alive connection, post events until told to stop or a post budget is
// spent, and remember exactly which events were acknowledged (202).
//
// Built for crash tests: a post that gets no answer or a 5xx was never
// acknowledged (a producer would retry it), so the client backs off briefly and
// goes on; httplib reconnects after hookd was killed and restarted on the same
// port. Thread-safe: the accessors may be called while the clients run.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace hookline::testing {

class EventLoad {
 public:
  // Starts posting to 127.0.0.1:`port` with `token`; at most `max_posts` posts
  // in all (answered or not). A non-zero `interval` paces each client to one
  // post per interval (else each posts as fast as it is answered).
  EventLoad(int port, std::string token, int clients, int max_posts, std::string type,
            std::chrono::microseconds interval = std::chrono::microseconds(0))
      : port_(port),
        token_(std::move(token)),
        type_(std::move(type)),
        max_posts_(max_posts),
        interval_(interval) {
    for (int t = 0; t < clients; ++t) threads_.emplace_back([this, t] { Client(t); });
  }
  ~EventLoad() { Stop(); }
  EventLoad(const EventLoad&) = delete;
  EventLoad& operator=(const EventLoad&) = delete;

  // Stops the clients after their current post; idempotent.
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  // The ids of the events acknowledged with 202, in the order the answers came.
  std::vector<std::string> acked() const {
    std::lock_guard lock(mu_);
    return acked_;
  }
  size_t acked_count() const {
    std::lock_guard lock(mu_);
    return acked_.size();
  }
  int posts() const { return std::min(posts_.load(), max_posts_); }
  int unanswered() const { return unanswered_; }        // no HTTP answer (hookd down, reset)
  int server_errors() const { return server_errors_; }  // 5xx (e.g. 503 while the disk is full)
  int unexpected() const { return unexpected_; }        // anything else but 202: a test failure
  // How many posts were answered with `status`.
  int answered_with(int status) const {
    std::lock_guard lock(mu_);
    auto it = statuses_.find(status);
    return it == statuses_.end() ? 0 : it->second;
  }

 private:
  void Client(int thread) {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_keep_alive(true);  // reconnects after a kill
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(1);
    cli.set_read_timeout(5);
    httplib::Headers auth{{"Authorization", "Bearer " + token_}};
    auto next = std::chrono::steady_clock::now();
    for (int n = 0; !stop_ && posts_++ < max_posts_; ++n) {
      if (interval_.count() > 0) {
        std::this_thread::sleep_until(next);
        next += interval_;
      }
      nlohmann::json body{{"type", type_}, {"data", {{"thread", thread}, {"n", n}}}};
      auto r = cli.Post("/v1/events", auth, body.dump(), "application/json");
      if (r) {
        std::lock_guard lock(mu_);
        ++statuses_[r->status];
      }
      if (!r || r->status >= 500) {
        // Never acknowledged. Back off while hookd is down or cannot write.
        ++(r ? server_errors_ : unanswered_);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      } else if (r->status == 202) {
        auto id = nlohmann::json::parse(r->body, nullptr, false);
        std::lock_guard lock(mu_);
        if (id.is_object() && id.contains("id") && id["id"].is_string()) {
          acked_.push_back(id["id"].get<std::string>());
        } else {
          ++unexpected_;
        }
      } else {
        ++unexpected_;
      }
    }
  }

  const int port_;
  const std::string token_, type_;
  const int max_posts_;
  const std::chrono::microseconds interval_;
  std::atomic<bool> stop_{false};
  std::atomic<int> posts_{0}, unanswered_{0}, server_errors_{0}, unexpected_{0};
  mutable std::mutex mu_;
  std::vector<std::string> acked_;  // guarded by mu_
  std::map<int, int> statuses_;     // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace hookline::testing
