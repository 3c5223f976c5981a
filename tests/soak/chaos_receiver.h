// A misbehaving webhook receiver on 127.0.0.1 for the chaos soak: each request
// is, at random, answered 500, dropped (the connection closed without an
// answer), answered 200 slowly, or answered 200 at once. It records the
// webhook-id, arrival time and fate of every request.
//
// Raw sockets rather than httplib: an httplib handler cannot close its
// connection without answering. HTTP/1.1 keep-alive, Content-Length bodies only
// (what hookd sends). One thread per connection; the destructor stops and joins
// them all (bounded: every wait polls the stop flag every 50 ms).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace hookline::soak {

class ChaosReceiver {
 public:
  struct Options {
    double fail_500 = 0.30;  // answered 500
    double drop = 0.05;      // closed without an answer
    double slow = 0.10;      // answered 200 after `slow_delay`
    std::chrono::milliseconds slow_delay{300};
    unsigned seed = 1;
  };
  enum class Fate { kOk, k500, kDrop, kSlow };
  struct Arrival {
    std::string id;
    std::chrono::steady_clock::time_point at;
    Fate fate;
  };

  explicit ChaosReceiver(Options options) : options_(options), rng_(options.seed) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        listen(listen_fd_, 128) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;  // port() stays -1
    }
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~ChaosReceiver() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> conns;
    {
      std::lock_guard lock(mu_);
      conns.swap(connections_);
    }
    for (auto& t : conns) t.join();
    if (listen_fd_ >= 0) close(listen_fd_);
  }
  ChaosReceiver(const ChaosReceiver&) = delete;
  ChaosReceiver& operator=(const ChaosReceiver&) = delete;

  // -1 if no port could be bound.
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<Arrival> arrivals() const {
    std::lock_guard lock(mu_);
    return arrivals_;
  }
  size_t connections() const {
    std::lock_guard lock(mu_);
    return connections_.size();
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mu_);
      connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // Waits up to `d`, or less if stopping.
  void Sleep(std::chrono::milliseconds d) {
    for (auto end = std::chrono::steady_clock::now() + d;
         !stop_ && std::chrono::steady_clock::now() < end;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // The value of header `name` (lower case) in `head`, or "".
  static std::string Header(const std::string& head, const std::string& name) {
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    size_t at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return "";
    at += name.size() + 3;
    size_t eol = head.find("\r\n", at);
    std::string v = head.substr(at, eol - at);
    v.erase(0, v.find_first_not_of(' '));
    v.erase(v.find_last_not_of(' ') + 1);
    return v;
  }

  Fate Draw() {
    std::lock_guard lock(mu_);
    double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < options_.fail_500) return Fate::k500;
    if (r < options_.fail_500 + options_.drop) return Fate::kDrop;
    if (r < options_.fail_500 + options_.drop + options_.slow) return Fate::kSlow;
    return Fate::kOk;
  }

  static bool SendAll(int fd, const std::string& s) {
    for (size_t sent = 0; sent < s.size();) {
      ssize_t n = send(fd, s.data() + sent, s.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  void Serve(int fd) {
    std::string buf;
    while (!stop_) {
      size_t head_end = buf.find("\r\n\r\n");
      size_t need = std::string::npos;
      if (head_end != std::string::npos) {
        std::string head = buf.substr(0, head_end + 2);
        need = head_end + 4 + std::strtoul(Header(head, "content-length").c_str(), nullptr, 10);
        if (buf.size() >= need) {
          Arrival arrival{Header(head, "webhook-id"), std::chrono::steady_clock::now(), Draw()};
          {
            std::lock_guard lock(mu_);
            arrivals_.push_back(arrival);
          }
          buf.erase(0, need);
          if (arrival.fate == Fate::kDrop) break;
          if (arrival.fate == Fate::kSlow) Sleep(options_.slow_delay);
          bool ok = arrival.fate == Fate::k500
                        ? SendAll(fd,
                                  "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n"
                                  "Content-Type: text/plain\r\n\r\nboom")
                        : SendAll(fd,
                                  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                                  "Content-Type: text/plain\r\n\r\nok");
          if (!ok) break;
          continue;
        }
      }
      pollfd p{fd, POLLIN, 0};
      int ready = poll(&p, 1, 50);
      if (ready < 0) break;
      if (ready == 0) continue;
      char chunk[8192];
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;  // the peer closed
      buf.append(chunk, static_cast<size_t>(n));
    }
    close(fd);
  }

  const Options options_;
  int listen_fd_ = -1;
  int port_ = -1;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::mt19937 rng_;                      // guarded by mu_
  std::vector<Arrival> arrivals_;         // guarded by mu_
  std::vector<std::thread> connections_;  // guarded by mu_
};

}  // namespace hookline::soak
