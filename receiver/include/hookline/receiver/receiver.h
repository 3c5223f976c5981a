// The whole receiving side in one call: verify -> parse -> dedupe -> your
// handler -> an HTTP status that makes the sender do the right thing.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "hookline/receiver/dedupe_store.h"
#include "hookline/receiver/headers.h"
#include "hookline/receiver/verifier.h"
#include "hookline/status.h"

namespace hookline::receiver {

// One verified, first-time delivery. Valid only during the handler call.
struct Event {
  std::string id;             // webhook-id: the same on every attempt of this event
  std::string type;           // the body's "type"
  std::string timestamp;      // the body's "timestamp" (RFC 3339 as sent); empty if absent
  std::string data;           // the body's "data" as JSON text ("null" if absent)
  std::string_view raw_body;  // the exact bytes that were signed
};

// What to answer. `body` is a small JSON object, e.g. {"status":"processed"}.
struct Response {
  int status = 200;
  std::string body;
};

// Returns OK once the event is handled (its effects are durable). Any other
// Status (or an exception) answers 500 and releases the id, so the sender's
// retry processes it again: the handler must be safe to run again after a
// failure. Called concurrently from many threads when the server is.
using Handler = std::function<Status(const Event&)>;

// Thread-safe: Handle() may run on any number of threads at once. For each
// event id the handler runs once (per dedupe-store TTL) across all of them and
// across redeliveries, unless it fails.
//
// Status codes, chosen for how a Standard Webhooks sender reacts:
//   200 {"status":"processed"}  handled now
//   200 {"status":"duplicate"}  handled before; the handler is not called
//   400  missing header, malformed timestamp, or a body that is not a JSON
//        object with a string "type" (a sender bug: retrying will not help)
//   401  timestamp outside the tolerance, or no matching signature
//   409  the same id is being handled right now (retryable)
//   500  the handler failed or threw (retryable; the id was released)
//   503  the dedupe store failed (retryable)
// Error bodies are {"status":"rejected"|"error", "reason":..., "message":...}.
// The body is parsed before the id is claimed, so a 400 leaves no trace in the
// store. If the done mark cannot be written after the handler succeeded, the
// answer is still 200 (the work happened; a retry would repeat it) and the id
// stays claimed until the store's claim timeout.
class Receiver {
 public:
  // `store` is shared; it may also be shared with other Receivers.
  Receiver(Verifier verifier, std::shared_ptr<DedupeStore> store, Handler handler);
  // `store` is not owned and must outlive the Receiver.
  Receiver(Verifier verifier, DedupeStore& store, Handler handler);
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // `body` is the raw request body exactly as received. Never throws.
  Response Handle(const Headers& headers, std::string_view body) const;

 private:
  Verifier verifier_;
  std::shared_ptr<DedupeStore> store_;
  Handler handler_;
};

}  // namespace hookline::receiver
