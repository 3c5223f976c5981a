#include "api_requests.h"

#include "api_common.h"
#include "hookline/event_types.h"
#include "hookline/secret.h"
#include "hookline/url.h"

namespace hookline::sender::api {
namespace {

// rate_limit_per_s, rate_limit_burst and max_in_flight as a patch: absent
// fields stay unset, null sets 0 (no limit / hookd's default).
Result<db::EndpointPatch> ParseLimits(const Json& body) {
  db::EndpointPatch p;
  if (auto it = body.find("rate_limit_per_s"); it != body.end()) {
    if (it->is_null()) {
      p.rate_limit_per_s = 0;
    } else if (!it->is_number() || !(it->get<double>() > 0) ||
               it->get<double>() > kMaxRatePerSecond) {
      return Status::InvalidArgument("'rate_limit_per_s' must be a number > 0 and <= " +
                                     std::to_string(static_cast<int>(kMaxRatePerSecond)) +
                                     ", or null for no limit");
    } else {
      p.rate_limit_per_s = it->get<double>();
    }
  }
  struct IntLimit {
    const char* name;
    int max;
    std::optional<int>* field;
  };
  for (IntLimit f : {IntLimit{"rate_limit_burst", kMaxBurst, &p.rate_limit_burst},
                     IntLimit{"max_in_flight", kMaxInFlight, &p.max_in_flight}}) {
    auto it = body.find(f.name);
    if (it == body.end()) continue;
    if (it->is_null()) {
      *f.field = 0;
    } else if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > f.max) {
      return Status::InvalidArgument(std::string("'") + f.name + "' must be an integer 1.." +
                                     std::to_string(f.max) + ", or null for the default");
    } else {
      *f.field = static_cast<int>(it->get<int64_t>());
    }
  }
  return p;
}

Status ValidateEventId(const std::string& id) {
  if (id.empty() || id.size() > kMaxEventId) {
    return Status::InvalidArgument("'id' must be 1.." + std::to_string(kMaxEventId) +
                                   " characters");
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == ':';
    if (!ok) return Status::InvalidArgument("'id' may contain only letters, digits and _ - . :");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ParseFilters(const Json& body) {
  auto it = body.find("event_types");
  std::vector<std::string> out;
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) return Status::InvalidArgument("'event_types' must be an array of strings");
  if (it->size() > kMaxFilters) {
    return Status::InvalidArgument("'event_types' has more than " + std::to_string(kMaxFilters) +
                                   " entries");
  }
  for (const auto& v : *it) {
    if (!v.is_string()) return Status::InvalidArgument("'event_types' must be an array of strings");
    std::string f = v.get<std::string>();
    Status s = ValidateEventTypeFilter(f);
    if (!s.ok()) return s;
    out.push_back(std::move(f));
  }
  return out;
}

Status ValidateUrl(const std::string& url) {
  auto parsed = ParseUrl(url);
  return parsed.ok() ? Status::Ok() : parsed.status();
}

Status ValidateDescription(const std::optional<std::string>& d) {
  if (d && d->size() > kMaxDescription) {
    return Status::InvalidArgument("'description' is longer than " +
                                   std::to_string(kMaxDescription) + " characters");
  }
  return Status::Ok();
}

}  // namespace

Result<Json> ParseJsonObject(std::string_view text) {
  bool too_deep = false;
  Json::parser_callback_t depth_guard = [&](int depth, Json::parse_event_t, Json&) {
    if (depth > kMaxJsonDepth) too_deep = true;
    return true;
  };
  Json body;
  try {
    body = Json::parse(text.begin(), text.end(), depth_guard);
  } catch (const Json::exception& e) {
    // Not only parse_error: a number beyond double's range (1e400) is an
    // out_of_range, and it is the client's mistake as much as a syntax error.
    return Status::InvalidArgument(std::string("request body is not valid JSON: ") + e.what());
  }
  if (too_deep) {
    return Status::InvalidArgument("request body nests deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  }
  if (!body.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return body;
}

Result<EventRequest> ParseEventRequest(const Json& body) {
  Status s = CheckFields(body, {"type", "data", "id"});
  auto type = OptionalString(body, "type");
  auto id = OptionalString(body, "id");
  if (s.ok()) s = type.status();
  if (s.ok()) s = id.status();
  if (s.ok() && !*type) s = Status::InvalidArgument("'type' is required");
  if (s.ok()) s = ValidateEventType(**type);
  if (s.ok() && !body.contains("data")) s = Status::InvalidArgument("'data' is required");
  if (s.ok() && *id) s = ValidateEventId(**id);
  if (!s.ok()) return s;
  return EventRequest{**type, *id, body["data"]};
}

Result<EndpointCreateRequest> ParseEndpointCreateRequest(const Json& body) {
  Status s = CheckFields(body, {"url", "event_types", "secret", "description", "disabled",
                                "rate_limit_per_s", "rate_limit_burst", "max_in_flight"});
  auto url = OptionalString(body, "url");
  auto secret_text = OptionalString(body, "secret");
  auto description = OptionalString(body, "description");
  auto disabled = OptionalBool(body, "disabled");
  auto filters = ParseFilters(body);
  for (const Status* st : {&url.status(), &secret_text.status(), &description.status(),
                           &disabled.status(), &filters.status()}) {
    if (s.ok()) s = *st;
  }
  if (s.ok() && !*url) s = Status::InvalidArgument("'url' is required");
  if (s.ok()) s = ValidateUrl(**url);
  if (s.ok()) s = ValidateDescription(*description);
  auto limits = ParseLimits(body);
  if (s.ok()) s = limits.status();
  EndpointCreateRequest out;
  if (s.ok() && *secret_text) {
    auto secret = Secret::Parse(**secret_text);
    if (secret.ok()) {
      out.secret = secret->Reveal();
    } else {
      s = Status::InvalidArgument("'secret': " + secret.status().message());
    }
  }
  if (!s.ok()) return s;
  out.url = **url;
  out.description = description->value_or("");
  out.event_types = std::move(filters).value();
  out.disabled = disabled->value_or(false);
  out.limits.rate_limit_per_s = limits->rate_limit_per_s.value_or(0);
  out.limits.rate_limit_burst = limits->rate_limit_burst.value_or(0);
  out.limits.max_in_flight = limits->max_in_flight.value_or(0);
  return out;
}

Result<db::EndpointPatch> ParseEndpointPatchRequest(const Json& body) {
  Status s = CheckFields(body, {"url", "event_types", "description", "disabled", "rate_limit_per_s",
                                "rate_limit_burst", "max_in_flight"});
  auto url = OptionalString(body, "url");
  auto description = OptionalString(body, "description");
  auto disabled = OptionalBool(body, "disabled");
  auto filters = ParseFilters(body);
  for (const Status* st :
       {&url.status(), &description.status(), &disabled.status(), &filters.status()}) {
    if (s.ok()) s = *st;
  }
  if (s.ok() && *url) s = ValidateUrl(**url);
  if (s.ok()) s = ValidateDescription(*description);
  auto limits = ParseLimits(body);
  if (s.ok()) s = limits.status();
  if (!s.ok()) return s;
  db::EndpointPatch patch = *limits;
  patch.url = *url;
  patch.description = *description;
  patch.disabled = *disabled;
  if (body.contains("event_types")) patch.event_types = std::move(filters).value();
  return patch;
}

}  // namespace hookline::sender::api
