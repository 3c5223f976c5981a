// Shared by the API's route files: request parsing, error replies, JSON views.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api_limits.h"
#include "api_requests.h"
#include "hookline/clock.h"
#include "hookline/db/outbox.h"
#include "hookline/status.h"

namespace hookline::sender::api {

// {"error": {"code": ..., "message": ...}} with `status`.
void SendError(httplib::Response& res, int status, std::string_view code, std::string_view message);
// Maps a Status to its HTTP status and error code.
void SendStatus(httplib::Response& res, const Status& status);
void SendJson(httplib::Response& res, int status, const Json& body);

// The request body as a JSON object. 415 unless the content type is
// application/json; 400 if it is not valid JSON, nests deeper than
// kMaxJsonDepth, or is not an object. On failure the response is already sent.
std::optional<Json> ParseObjectBody(const httplib::Request& req, httplib::Response& res);

// Fails with InvalidArgument naming the first member of `body` not in `allowed`.
Status CheckFields(const Json& body, std::initializer_list<std::string_view> allowed);

// Optional typed members: InvalidArgument when present with the wrong type.
Result<std::optional<std::string>> OptionalString(const Json& body, const char* name);
Result<std::optional<bool>> OptionalBool(const Json& body, const char* name);

// Unix seconds ("1767225600") or RFC 3339 ("2026-01-01T00:00:00Z",
// fractions and +hh:mm offsets allowed) -> Unix milliseconds.
Result<int64_t> ParseTimeParam(std::string_view name, std::string_view text);

// The `limit` query parameter: 1..kMaxPageLimit, kDefaultPageLimit when absent.
Result<int> ParseLimit(const httplib::Request& req);

// {"data": [to_json(item)...], "next_cursor": cursor or null}
template <typename T, typename F>
Json PageJson(const db::Page<T>& page, F to_json) {
  Json data = Json::array();
  for (const auto& item : page.items) data.push_back(to_json(item));
  return Json{{"data", data},
              {"next_cursor", page.next_cursor.empty() ? Json(nullptr) : Json(page.next_cursor)}};
}

// The endpoint as the API shows it; its circuit state as the dispatcher sees it
// with `breaker_threshold` at `now`. Never the secret.
Json EndpointJson(const db::Endpoint& e, int breaker_threshold, int64_t now);
Json DeliveryJson(const db::Delivery& d);
Json AttemptJson(const db::Attempt& a);

}  // namespace hookline::sender::api
