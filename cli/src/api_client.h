// hookctl's only way to hookd: one JSON request at a time over its v1 HTTP API.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "outcome.h"

namespace hookline::ctl {

// Ordered, so that a body re-serialized by hookctl keeps hookd's key order.
using Json = nlohmann::ordered_json;

// Where hookd is and how hookctl authenticates to it.
struct Connection {
  std::string url = "http://127.0.0.1:8080";  // http(s)://HOST[:PORT][/PATH-PREFIX]
  std::string token;                          // empty: no Authorization header
  // Where the token came from ("--token", "HOOKLINE_TOKEN", "./hookline.db.token"),
  // or empty when there is none; named in the message for a 401.
  std::string token_source;
};

struct Request {
  Request(std::string m, std::string p, std::string nf = "")
      : method(std::move(m)), path(std::move(p)), not_found(std::move(nf)) {}
  Request&& WithBody(Json b) && {
    body = std::move(b);
    return std::move(*this);
  }

  std::string method;  // GET, POST, PATCH or DELETE
  std::string path;    // e.g. "/v1/deliveries/" + EscapePathSegment(id)
  std::vector<std::pair<std::string, std::string>> query;  // escaped by the client
  std::optional<Json> body;                                // sent as application/json
  std::vector<std::pair<std::string, std::string>> headers;
  // The line for a 404, e.g. "no delivery with id 'dlv_x'"; hookd's own
  // message when empty. hookd answers 404 both for an unknown id and for an id
  // its routes reject, so the caller says which thing was not found.
  std::string not_found;
};

// A 2xx answer.
struct Reply {
  int status = 0;
  std::string body;       // exactly as hookd sent it; `--json` prints this
  Json json;              // `body` parsed; null when the body is empty
  bool replayed = false;  // the Idempotent-Replayed header was "true"
};

// Sends requests to one hookd. Not thread-safe: one command uses it at a time.
class ApiClient {
 public:
  virtual ~ApiClient() = default;

  // One request with a 5 s connect timeout and 30 s read and write timeouts.
  // Success: hookd answered 2xx. Failure, by exit code: kUnavailable (network
  // error, timeout, 5xx, a 2xx that is not JSON), kAuth (401), kNotFound (404),
  // kRefused (any other status: 400, 409, ...), each with one line naming the
  // cause and what to do.
  virtual Outcome<Reply> Send(const Request& request) = 0;

  // The base URL requests go to, as the operator gave it (for messages).
  virtual const std::string& url() const = 0;
};

// An ApiClient over cpp-httplib, keeping its connection alive between
// requests. Failure::Usage when `connection.url` is not http(s)://HOST[:PORT].
Outcome<std::unique_ptr<ApiClient>> NewHttpApiClient(const Connection& connection);

// Percent-encodes everything but [A-Za-z0-9-._~], so that an id typed by an
// operator stays one path segment or query value.
std::string EscapePathSegment(std::string_view text);

}  // namespace hookline::ctl
