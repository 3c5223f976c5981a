// The API's JSON request bodies: POST /v1/events, POST /v1/endpoints, PATCH
// /v1/endpoints/{id}, and the time filters of POST /v1/deliveries/retry (and
// of the deliveries list's query), on arbitrary request text.
#include <cstdint>
#include <string>

#include "api_common.h"
#include "api_requests.h"
#include "fuzz_check.h"
#include "hookline/clock.h"
#include "hookline/event_types.h"
#include "hookline/secret.h"
#include "hookline/url.h"

using namespace hookline;
using namespace hookline::sender::api;

namespace {

// The last instant FromUnixMillis can hold: TimePoint counts nanoseconds in
// an int64 (libstdc++'s system_clock), so it ends in 2262, not at RFC 3339's
// 9999. hookd formats only instants it made itself (now, now + delays).
constexpr int64_t kMaxTimePointMillis = INT64_MAX / 1'000'000;

bool SameEvent(const EventRequest& a, const EventRequest& b) {
  return a.type == b.type && a.id == b.id && a.data == b.data;
}

bool SameCreate(const EndpointCreateRequest& a, const EndpointCreateRequest& b) {
  return a.url == b.url && a.secret == b.secret && a.description == b.description &&
         a.event_types == b.event_types && a.disabled == b.disabled;
}

bool SamePatch(const db::EndpointPatch& a, const db::EndpointPatch& b) {
  return a.url == b.url && a.description == b.description && a.event_types == b.event_types &&
         a.disabled == b.disabled && a.disabled_reason == b.disabled_reason;
}

// The request as a client would send it again: the accepted value, serialized
// by the library and parsed by us, must come back unchanged.
Json Reparse(const Json& j) {
  auto again = ParseJsonObject(j.dump());
  FUZZ_CHECK(again.ok());
  return std::move(again).value();
}

void CheckRejected(const Status& s) {
  FUZZ_CHECK(s.code() == StatusCode::kInvalidArgument);
  FUZZ_CHECK(!s.message().empty());
}

void CheckEvent(const Json& body) {
  auto event = ParseEventRequest(body);
  if (!event.ok()) return CheckRejected(event.status());
  FUZZ_CHECK(ValidateEventType(event->type).ok());
  FUZZ_CHECK(!event->id || (!event->id->empty() && event->id->size() <= 64));
  // What hookd stores and signs; strict serialization must not throw (it
  // would on invalid UTF-8, which the parser therefore must have refused).
  Json payload{
      {"type", event->type}, {"timestamp", "2026-01-01T00:00:00.000Z"}, {"data", event->data}};
  std::string stored = payload.dump(-1, ' ', false, Json::error_handler_t::strict);
  FUZZ_CHECK(Json::parse(stored) == payload);

  Json resent{{"type", event->type}, {"data", event->data}};
  if (event->id) resent["id"] = *event->id;
  auto again = ParseEventRequest(Reparse(resent));
  FUZZ_CHECK(again.ok() && SameEvent(*again, *event));
}

void CheckCreate(const Json& body) {
  auto create = ParseEndpointCreateRequest(body);
  if (!create.ok()) return CheckRejected(create.status());
  FUZZ_CHECK(ParseUrl(create->url).ok());
  FUZZ_CHECK(create->description.size() <= 1024);
  FUZZ_CHECK(create->event_types.size() <= 100);
  for (const auto& f : create->event_types) FUZZ_CHECK(ValidateEventTypeFilter(f).ok());
  if (!create->secret.empty()) {
    auto secret = Secret::Parse(create->secret);
    FUZZ_CHECK(secret.ok() && secret->Reveal() == create->secret);
  }
  Json resent{{"url", create->url},
              {"description", create->description},
              {"event_types", create->event_types},
              {"disabled", create->disabled}};
  if (!create->secret.empty()) resent["secret"] = create->secret;
  auto again = ParseEndpointCreateRequest(Reparse(resent));
  FUZZ_CHECK(again.ok() && SameCreate(*again, *create));
}

void CheckPatch(const Json& body) {
  auto patch = ParseEndpointPatchRequest(body);
  if (!patch.ok()) return CheckRejected(patch.status());
  FUZZ_CHECK(!patch->url || ParseUrl(*patch->url).ok());
  FUZZ_CHECK(!patch->description || patch->description->size() <= 1024);
  FUZZ_CHECK(!patch->disabled_reason);  // set by hookd, never by the client
  Json resent = Json::object();
  if (patch->url) resent["url"] = *patch->url;
  if (patch->description) resent["description"] = *patch->description;
  if (patch->disabled) resent["disabled"] = *patch->disabled;
  if (patch->event_types) resent["event_types"] = *patch->event_types;
  auto again = ParseEndpointPatchRequest(Reparse(resent));
  FUZZ_CHECK(again.ok() && SamePatch(*again, *patch));
}

void CheckTime(std::string_view text) {
  auto t = ParseTimeParam("since", text);
  if (!t.ok()) return CheckRejected(t.status());
  FUZZ_CHECK(text.find('\0') == std::string_view::npos);
  // Every accepted instant reads back from our own output.
  if (*t >= 0 && *t <= kMaxTimePointMillis) {
    std::string shown = FormatRfc3339(FromUnixMillis(*t));
    auto again = ParseTimeParam("since", shown);
    FUZZ_CHECK(again.ok() && *again == *t);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::AsText(data, size);
  auto body = ParseJsonObject(text);
  if (!body.ok()) {
    CheckRejected(body.status());
    // Not JSON: the text as a query parameter's time (short texts only; the
    // parser copies its input once, so longer ones add nothing).
    if (text.size() <= 64) CheckTime(text);
    return 0;
  }
  FUZZ_CHECK(body->is_object());
  CheckEvent(*body);
  CheckCreate(*body);
  CheckPatch(*body);
  for (const char* name : {"since", "until"}) {
    auto it = body->find(name);
    if (it != body->end() && it->is_string()) CheckTime(it->get<std::string>());
  }
  return 0;
}
