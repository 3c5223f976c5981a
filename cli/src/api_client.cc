#include "api_client.h"

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

namespace hookline::ctl {
namespace {

constexpr int kConnectTimeoutSeconds = 5;
constexpr int kReadWriteTimeoutSeconds = 30;

// hookd's messages are one line, but a proxy in front of it may say anything.
std::string OneLine(std::string_view text, size_t max = 300) {
  std::string out;
  for (char c : text.substr(0, max)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (text.size() > max) out += "...";
  return out;
}

// "MESSAGE (404 not_found)" from hookd's {"error": {"code", "message"}}, or
// what there is when the body has another shape.
std::string Describe(int status, const std::string& body) {
  std::string code, message;
  Json j = Json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const Json& e = j["error"];
    if (e.contains("code") && e["code"].is_string()) code = e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string()) message = e["message"];
  }
  if (message.empty()) message = body.empty() ? "no details" : OneLine(body, 200);
  std::string tag = std::to_string(status) + (code.empty() ? "" : " " + code);
  return OneLine(message) + " (" + tag + ")";
}

// Why a connect to host:port fails, by trying once more with plain sockets:
// cpp-httplib reports refused, unreachable and unresolvable all as
// Error::Connection, and an operator needs to know which.
std::string DiagnoseConnect(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string bare =
      host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  if (getaddrinfo(bare.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return "cannot resolve host '" + bare + "'";
  }
  int err = 0;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    timeval timeout{kConnectTimeoutSeconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    int r = connect(fd, a->ai_addr, a->ai_addrlen);
    err = r == 0 ? 0 : errno;
    close(fd);
    if (r == 0) break;
  }
  freeaddrinfo(found);
  switch (err) {
    case 0:
      return "connection failed";  // it answers now: hookd was starting or restarting
    case ECONNREFUSED:
      return "connection refused";
    case ETIMEDOUT:
    case EINPROGRESS:
    case EAGAIN:
      return "no connection within " + std::to_string(kConnectTimeoutSeconds) + " s";
    case EHOSTUNREACH:
    case ENETUNREACH:
      return "no route to host";
    default:
      return std::strerror(err);
  }
}

std::string NetworkReason(httplib::Error error) {
  switch (error) {
    case httplib::Error::ConnectionTimeout:
      return "no connection within " + std::to_string(kConnectTimeoutSeconds) + " s";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "its TLS certificate is not trusted";
    case httplib::Error::Read:
      return "no answer within " + std::to_string(kReadWriteTimeoutSeconds) +
             " s, or the connection closed";
    case httplib::Error::Write:
      return "the request could not be sent";
    default:
      return httplib::to_string(error);
  }
}

class HttpApiClient final : public ApiClient {
 public:
  HttpApiClient(const Connection& connection, const std::string& origin, std::string host, int port,
                std::string prefix)
      : connection_(connection),
        host_(std::move(host)),
        port_(port),
        prefix_(std::move(prefix)),
        client_(origin) {
    client_.set_tcp_nodelay(true);
    client_.set_keep_alive(true);  // list pages and bulk retries reuse one connection
    client_.set_connection_timeout(kConnectTimeoutSeconds, 0);
    client_.set_read_timeout(kReadWriteTimeoutSeconds, 0);
    client_.set_write_timeout(kReadWriteTimeoutSeconds, 0);
    client_.enable_server_certificate_verification(true);  // https: the system's trusted CAs
  }

  const std::string& url() const override { return connection_.url; }

  Outcome<Reply> Send(const Request& request) override {
    httplib::Request req;
    req.method = request.method;
    req.path = prefix_ + request.path;
    char separator = '?';
    for (const auto& [name, value] : request.query) {
      req.path += separator + EscapePathSegment(name) + "=" + EscapePathSegment(value);
      separator = '&';
    }
    req.headers.emplace("Accept", "application/json");
    if (!connection_.token.empty()) {
      req.headers.emplace("Authorization", "Bearer " + connection_.token);
    }
    for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
    if (request.body) {
      req.headers.emplace("Content-Type", "application/json");
      req.body = request.body->dump();
    }
    httplib::Result result = client_.send(req);
    if (!result) {
      httplib::Error error = result.error();
      if (error == httplib::Error::Read || error == httplib::Error::Write) {
        return Failure::Unavailable("lost hookd at " + url() + " during " + request.method + " " +
                                    request.path + " (" + NetworkReason(error) +
                                    "); it may or may not have been applied, see hookd's log");
      }
      std::string reason = error == httplib::Error::Connection ? DiagnoseConnect(host_, port_)
                                                               : NetworkReason(error);
      return Failure::Unavailable("cannot reach hookd at " + url() + " (" + reason +
                                  "); is it running? set --url or HOOKLINE_URL");
    }
    return Interpret(request, *result);
  }

 private:
  Outcome<Reply> Interpret(const Request& request, const httplib::Response& res) const {
    int status = res.status;
    if (status >= 200 && status < 300) {
      Reply reply;
      reply.status = status;
      reply.body = res.body;
      reply.replayed = res.get_header_value("Idempotent-Replayed") == "true";
      if (!res.body.empty()) {
        reply.json = Json::parse(res.body, nullptr, false);
        if (reply.json.is_discarded()) {
          return Failure::Unavailable(url() + " answered " + std::to_string(status) +
                                      " without JSON; is it hookd? check --url or HOOKLINE_URL");
        }
      }
      return reply;
    }
    std::string what = Describe(status, res.body);
    if (status == 401) {
      if (connection_.token.empty()) {
        return Failure::Auth(
            "hookd needs an API token (401); pass --token, set HOOKLINE_TOKEN, or "
            "run hookctl beside hookd's hookline.db.token");
      }
      return Failure::Auth("token rejected by hookd (401; token from " + connection_.token_source +
                           "); pass --token or set HOOKLINE_TOKEN");
    }
    if (status == 404) {
      return Failure::NotFound(request.not_found.empty() ? what : request.not_found);
    }
    if (status == 503) {
      return Failure::Unavailable("hookd is unavailable: " + what + "; try again shortly");
    }
    if (status >= 500) return Failure::Unavailable("hookd failed: " + what + "; see hookd's log");
    return Failure::Refused("hookd refused the request: " + what);
  }

  Connection connection_;
  std::string host_;
  int port_;
  std::string prefix_;
  httplib::Client client_;
};

}  // namespace

std::string EscapePathSegment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Outcome<std::unique_ptr<ApiClient>> NewHttpApiClient(const Connection& connection) {
  // scheme, host (a name, IPv4, or [IPv6]), optional port, optional path prefix.
  static const std::regex kUrl(
      R"(^(https?)://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(connection.url, m, kUrl)) {
    return Failure::Usage("--url '" + OneLine(connection.url, 100) +
                          "' must look like http://HOST[:PORT] or https://HOST[:PORT]");
  }
  std::string scheme = m[1].str();
  int port = scheme == "https" ? 443 : 80;
  if (m[3].matched) {
    port = std::stoi(m[3].str().substr(1));
    if (port == 0 || port > 65535) {
      return Failure::Usage("--url '" + OneLine(connection.url, 100) + "': port must be 1..65535");
    }
  }
  std::string prefix = m[4].str();
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  std::string origin = scheme + "://" + m[2].str() + ":" + std::to_string(port);
  return std::unique_ptr<ApiClient>(
      std::make_unique<HttpApiClient>(connection, origin, m[2].str(), port, prefix));
}

}  // namespace hookline::ctl
