// The API's JSON request bodies, from text to a validated request, with no
// server and no database: the handlers call these, and so do the fuzzers
// (fuzz/fuzz_api_requests.cc). Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api_limits.h"
#include "hookline/db/outbox.h"
#include "hookline/status.h"

namespace hookline::sender::api {

using Json = nlohmann::ordered_json;

// `text` as a JSON object. InvalidArgument, with a message fit for the client,
// if it is not valid JSON (including invalid UTF-8), nests deeper than
// kMaxJsonDepth, or is not an object. Never throws.
Result<Json> ParseJsonObject(std::string_view text);

// POST /v1/events: {"type": ..., "data": ..., "id"?: ...}.
struct EventRequest {
  std::string type;               // passes ValidateEventType
  std::optional<std::string> id;  // 1..64 of [A-Za-z0-9_.:-]; nullopt: hookd makes one
  Json data;                      // any JSON value, null included
};
// InvalidArgument naming the first problem: an unknown member, a member of the
// wrong type, a missing type or data, a bad type or id.
Result<EventRequest> ParseEventRequest(const Json& body);

// POST /v1/endpoints.
struct EndpointCreateRequest {
  std::string url;                       // passes ParseUrl
  std::string secret;                    // "whsec_..." normalized; "" means generate one
  std::string description;               // at most 1024 characters
  std::vector<std::string> event_types;  // each passes ValidateEventTypeFilter; at most 100
  bool disabled = false;
  db::EndpointLimits limits;  // 0 = not set
};
// InvalidArgument naming the first problem; a bad secret's message never contains it.
Result<EndpointCreateRequest> ParseEndpointCreateRequest(const Json& body);

// PATCH /v1/endpoints/{id}: members absent or null are left unchanged, except
// that "event_types": null clears the filters (every type matches) and a null
// limit (rate_limit_per_s, rate_limit_burst, max_in_flight) clears that limit.
// InvalidArgument naming the first problem.
Result<db::EndpointPatch> ParseEndpointPatchRequest(const Json& body);

}  // namespace hookline::sender::api
