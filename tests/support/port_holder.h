// A plain TCP listener on a free 127.0.0.1 port, closed when it goes out of
// scope. Unlike httplib's servers it does not set SO_REUSEPORT, so nothing else
// can bind the port while it is held.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hookline::testing {

class PortHolder {
 public:
  PortHolder() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || listen(fd_, 4) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      return;
    }
    port_ = ntohs(a.sin_port);
  }
  ~PortHolder() {
    if (fd_ >= 0) close(fd_);
  }
  PortHolder(const PortHolder&) = delete;
  PortHolder& operator=(const PortHolder&) = delete;

  // -1 if no port could be bound.
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = -1;
};

// A port that was free a moment ago (held, then released).
inline int FreePort() { return PortHolder().port(); }

}  // namespace hookline::testing
