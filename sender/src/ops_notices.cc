#include "ops_notices.h"

#include <nlohmann/json.hpp>

#include "hookline/clock.h"
#include "hookline/ids.h"

namespace hookline::sender {
namespace {

using Json = nlohmann::json;

db::Notice Make(std::string_view type, Json data, int64_t now) {
  db::Notice n;
  n.event.id = NewEventId();
  n.event.type = std::string(type);
  n.event.created_at = now;
  Json body{{"type", type}, {"timestamp", FormatRfc3339(FromUnixMillis(now))}, {"data", data}};
  // Our own strings may carry a receiver's bytes (an error text): replace what
  // is not UTF-8 rather than fail to serialize a notice.
  n.event.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return n;
}

}  // namespace

db::Notice DeliveryFailedNotice(const db::ClaimedDelivery& c, int attempts,
                                std::optional<int> last_status_code, std::string_view reason,
                                int64_t now) {
  return Make(kDeliveryFailed,
              Json{{"delivery_id", c.delivery_id},
                   {"event_id", c.event_id},
                   {"event_type", c.event_type},
                   {"endpoint_id", c.endpoint_id},
                   {"attempts", attempts},
                   {"last_status_code", last_status_code ? Json(*last_status_code) : Json()},
                   {"reason", reason}},
              now);
}

db::Notice EndpointDisabledNotice(const db::ClaimedDelivery& c, std::string_view reason,
                                  int64_t now) {
  db::Notice n =
      Make(kEndpointDisabled, Json{{"endpoint_id", c.endpoint_id}, {"reason", reason}}, now);
  n.only_if_disabled_now = true;
  return n;
}

db::Notice EndpointRecoveredNotice(const db::ClaimedDelivery& c, const db::EndpointHealth& before,
                                   int64_t now) {
  return Make(
      kEndpointRecovered,
      Json{{"endpoint_id", c.endpoint_id},
           {"failing_since", before.failing_since == 0
                                 ? Json()
                                 : Json(FormatRfc3339(FromUnixMillis(before.failing_since)))},
           {"consecutive_failures", before.consecutive_failures}},
      now);
}

}  // namespace hookline::sender
