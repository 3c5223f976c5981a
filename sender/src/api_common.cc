#include "api_common.h"

#include <charconv>
#include <ctime>

#include "endpoint_gate.h"

namespace hookline::sender::api {

void SendJson(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  // Replace, not throw, on invalid UTF-8: response excerpts come from receivers.
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

void SendError(httplib::Response& res, int status, std::string_view code,
               std::string_view message) {
  SendJson(res, status, Json{{"error", {{"code", code}, {"message", message}}}});
}

void SendStatus(httplib::Response& res, const Status& s) {
  int http = 500;
  switch (s.code()) {
    case StatusCode::kOk:
      http = 200;
      break;
    case StatusCode::kInvalidArgument:
      http = 400;
      break;
    case StatusCode::kUnauthenticated:
      http = 401;
      break;
    case StatusCode::kPermissionDenied:
      http = 403;
      break;
    case StatusCode::kNotFound:
      http = 404;
      break;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      http = 409;
      break;
    case StatusCode::kResourceExhausted:
      http = 429;
      break;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      http = 503;
      break;
    case StatusCode::kInternal:
      http = 500;
      break;
  }
  if (http == 503) res.set_header("Retry-After", "1");
  SendError(res, http, StatusCodeName(s.code()), s.message());
}

std::optional<Json> ParseObjectBody(const httplib::Request& req, httplib::Response& res) {
  std::string type = req.get_header_value("Content-Type");
  std::string_view media(type);
  media = media.substr(0, media.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media != "application/json") {
    SendError(res, 415, "unsupported_media_type",
              "Content-Type must be application/json" +
                  (type.empty() ? std::string() : ", not '" + type.substr(0, 100) + "'"));
    return std::nullopt;
  }
  auto body = ParseJsonObject(req.body);
  if (!body.ok()) {
    SendError(res, 400, "invalid_json", body.status().message());
    return std::nullopt;
  }
  return std::move(body).value();
}

Status CheckFields(const Json& body, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (std::string_view a : allowed) known |= key == a;
    if (!known) return Status::InvalidArgument("unknown field '" + key.substr(0, 64) + "'");
  }
  return Status::Ok();
}

Result<std::optional<std::string>> OptionalString(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string())
    return Status::InvalidArgument(std::string("'") + name + "' must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<bool>> OptionalBool(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean())
    return Status::InvalidArgument(std::string("'") + name + "' must be true or false");
  return std::optional<bool>(it->get<bool>());
}

Result<int64_t> ParseTimeParam(std::string_view name, std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument(std::string(name) + " '" + std::string(text.substr(0, 64)) +
                                   "' must be Unix seconds or RFC 3339 (2026-01-01T00:00:00Z)");
  };
  int64_t secs = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
  if (ec == std::errc() && p == text.data() + text.size()) {
    if (secs < 0 || secs > 253402300799) return bad();
    return secs * 1000;
  }
  std::string s(text);
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return bad();
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  if (*rest == '.') {
    ++rest;
    int digits = 0, frac = 0;
    while (*rest >= '0' && *rest <= '9') {
      if (digits < 3) frac = frac * 10 + (*rest - '0');
      ++digits;
      ++rest;
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 3; ++i) frac *= 10;
    ms += frac;
  }
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    // Exactly "+hh:mm". (sscanf("%2d:%2d") also took "+1:2" and "+-1:-1", and
    // skipping six characters after a short offset read past the text's end.)
    // The && stops at the terminating NUL, so nothing past it is read.
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!(digit(rest[1]) && digit(rest[2]) && rest[3] == ':' && digit(rest[4]) && digit(rest[5]))) {
      return bad();
    }
    int sign = *rest == '+' ? 1 : -1;
    int hh = (rest[1] - '0') * 10 + (rest[2] - '0');
    int mm = (rest[4] - '0') * 10 + (rest[5] - '0');
    if (hh > 23 || mm > 59) return bad();
    ms -= sign * (hh * 3600 + mm * 60) * 1000LL;
    rest += 6;
  } else {
    return bad();
  }
  // The end of the text, not a NUL inside it (a query can carry %00).
  if (rest != s.c_str() + s.size()) return bad();
  return ms;
}

Result<int> ParseLimit(const httplib::Request& req) {
  if (!req.has_param("limit")) return kDefaultPageLimit;
  std::string l = req.get_param_value("limit");
  int limit = 0;
  auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
  if (ec != std::errc() || p != l.data() + l.size() || limit < 1 || limit > kMaxPageLimit) {
    return Status::InvalidArgument("'limit' must be 1.." + std::to_string(kMaxPageLimit));
  }
  return limit;
}

Json EndpointJson(const db::Endpoint& e, int breaker_threshold, int64_t now) {
  auto time_or_null = [](int64_t t) {
    return t == 0 ? Json(nullptr) : Json(FormatRfc3339(FromUnixMillis(t)));
  };
  auto zero_null = [](auto v) { return v == 0 ? Json(nullptr) : Json(v); };
  CircuitState circuit = CircuitStateOf(e.health, breaker_threshold, now);
  Json j{{"id", e.id},
         {"url", e.url},
         {"description", e.description},
         {"event_types", e.event_types},
         {"disabled", e.disabled},
         {"operations", e.operations},
         {"disabled_reason", e.disabled ? Json(e.disabled_reason) : Json(nullptr)},
         {"rate_limit_per_s", zero_null(e.limits.rate_limit_per_s)},
         {"rate_limit_burst", zero_null(e.limits.rate_limit_burst)},
         {"max_in_flight", zero_null(e.limits.max_in_flight)},
         {"circuit",
          {{"state", CircuitStateName(circuit)},
           {"consecutive_failures", e.health.consecutive_failures},
           {"failing_since", time_or_null(e.health.failing_since)},
           {"open_until", circuit == CircuitState::kOpen ? time_or_null(e.health.circuit_open_until)
                                                         : Json(nullptr)}}},
         {"created_at", FormatRfc3339(FromUnixMillis(e.created_at))},
         {"updated_at", FormatRfc3339(FromUnixMillis(e.updated_at))}};
  if (!e.previous_secret.empty()) {
    j["previous_secret_expires_at"] = FormatRfc3339(FromUnixMillis(e.previous_secret_expires_at));
  }
  return j;
}

Json DeliveryJson(const db::Delivery& d) {
  bool waiting = d.status == db::DeliveryStatus::kPending;
  return Json{{"id", d.id},
              {"event_id", d.event_id},
              {"endpoint_id", d.endpoint_id},
              {"status", db::DeliveryStatusName(d.status)},
              {"attempts", d.attempts},
              {"next_attempt_at",
               waiting ? Json(FormatRfc3339(FromUnixMillis(d.next_attempt_at))) : Json(nullptr)},
              {"last_status_code", d.last_status_code ? Json(*d.last_status_code) : Json(nullptr)},
              {"last_error", d.last_error.empty() ? Json(nullptr) : Json(d.last_error)},
              {"created_at", FormatRfc3339(FromUnixMillis(d.created_at))},
              {"updated_at", FormatRfc3339(FromUnixMillis(d.updated_at))}};
}

Json AttemptJson(const db::Attempt& a) {
  return Json{{"attempted_at", FormatRfc3339(FromUnixMillis(a.attempted_at))},
              {"status_code", a.status_code ? Json(*a.status_code) : Json(nullptr)},
              {"error", a.error.empty() ? Json(nullptr) : Json(a.error)},
              {"latency_ms", a.latency_ms},
              {"response_excerpt", a.response_excerpt}};
}

}  // namespace hookline::sender::api
