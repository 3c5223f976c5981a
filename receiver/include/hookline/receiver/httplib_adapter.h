// Mounts a Receiver on a cpp-httplib server. Separate target
// (hookline::receiver_httplib) so the core library does not need cpp-httplib.
#pragma once

#include <memory>
#include <string>

#include "hookline/receiver/receiver.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace hookline::receiver {

// Registers `POST path` on `server`, answering with receiver->Handle() on the
// raw request body and headers. The route keeps `receiver` alive. Call before
// the server starts listening (cpp-httplib's routes are not thread-safe to add
// while it serves). Tune the server itself (set_tcp_nodelay, keep-alive, thread
// pool): its defaults are far slower than the receiver.
void MountReceiver(httplib::Server& server, const std::string& path,
                   std::shared_ptr<Receiver> receiver);

}  // namespace hookline::receiver
