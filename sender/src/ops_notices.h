// Operational webhooks: the notices hookd sends about itself to the operations
// endpoint (hookd --ops-endpoint), built as outcomes are judged.
//
// Each is an ordinary signed event, {"type", "timestamp", "data"} like the
// events applications post, delivered with the same outbox, retries and
// webhook-id deduplication. Types and their data:
//   delivery.failed     a delivery failed for good (attempts exhausted or an
//                       answer that retrying cannot fix): delivery_id,
//                       event_id, event_type, endpoint_id, attempts,
//                       last_status_code (null: no response), reason
//   endpoint.disabled   hookd disabled an endpoint (a 410, or every attempt
//                       failed for --auto-disable-after): endpoint_id, reason
//   endpoint.recovered  an attempt succeeded after the endpoint's circuit
//                       breaker had opened: endpoint_id, failing_since,
//                       consecutive_failures (before the success)
// Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "hookline/db/outbox.h"

namespace hookline::sender {

inline constexpr std::string_view kDeliveryFailed = "delivery.failed";
inline constexpr std::string_view kEndpointDisabled = "endpoint.disabled";
inline constexpr std::string_view kEndpointRecovered = "endpoint.recovered";

// `attempts` counts the final one; `reason` says why it is final.
db::Notice DeliveryFailedNotice(const db::ClaimedDelivery& c, int attempts,
                                std::optional<int> last_status_code, std::string_view reason,
                                int64_t now);
// Stored only if this outcome disabled the endpoint (see db::Notice).
db::Notice EndpointDisabledNotice(const db::ClaimedDelivery& c, std::string_view reason,
                                  int64_t now);
// `before`: the endpoint's health before the success cleared it.
db::Notice EndpointRecoveredNotice(const db::ClaimedDelivery& c, const db::EndpointHealth& before,
                                   int64_t now);

}  // namespace hookline::sender
