#include "hookline/receiver/receiver.h"

#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

namespace hookline::receiver {
namespace {

using nlohmann::json;

Response Reply(int status, std::string_view kind, std::string_view reason,
               std::string_view message) {
  json body = {{"status", kind}, {"reason", reason}, {"message", message}};
  // Messages may quote untrusted bytes; replace invalid UTF-8 rather than throw.
  return {status, body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

int StatusForOutcome(VerifyOutcome outcome) {
  switch (outcome) {
    case VerifyOutcome::kMissingHeader:
    case VerifyOutcome::kMalformedTimestamp:
      return 400;
    default:
      return 401;
  }
}

// The body's parts the handler sees, or nullopt with `error` set.
std::optional<Event> ParseEvent(std::string_view body, std::string* error) {
  try {
    json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      *error = "body is not valid JSON";
      return std::nullopt;
    }
    if (!doc.is_object()) {
      *error = "body is not a JSON object";
      return std::nullopt;
    }
    auto type = doc.find("type");
    if (type == doc.end() || !type->is_string()) {
      *error = "body has no string \"type\"";
      return std::nullopt;
    }
    Event event;
    event.type = type->get<std::string>();
    if (auto ts = doc.find("timestamp"); ts != doc.end() && ts->is_string()) {
      event.timestamp = ts->get<std::string>();
    }
    auto data = doc.find("data");
    event.data = data == doc.end() ? "null" : data->dump();
    event.raw_body = body;
    return event;
  } catch (const std::exception& e) {
    *error = std::string("body could not be read: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace

Receiver::Receiver(Verifier verifier, std::shared_ptr<DedupeStore> store, Handler handler)
    : verifier_(std::move(verifier)), store_(std::move(store)), handler_(std::move(handler)) {}

Receiver::Receiver(Verifier verifier, DedupeStore& store, Handler handler)
    : Receiver(std::move(verifier), std::shared_ptr<DedupeStore>(&store, [](DedupeStore*) {}),
               std::move(handler)) {}

Response Receiver::Handle(const Headers& headers, std::string_view body) const {
  VerifyResult verified = verifier_.Verify(headers, body);
  if (!verified.ok()) {
    return Reply(StatusForOutcome(verified.outcome), "rejected",
                 VerifyOutcomeName(verified.outcome), verified.message);
  }

  // Parsed before the claim: a body that can never be handled must not leave a
  // claim or a done mark behind.
  std::string error;
  std::optional<Event> event = ParseEvent(body, &error);
  if (!event) return Reply(400, "rejected", "bad_body", error);
  event->id = std::move(verified.id);

  Result<ClaimResult> claim = store_->Claim(event->id);
  if (!claim.ok()) return Reply(503, "error", "dedupe_unavailable", claim.status().message());
  switch (*claim) {
    case ClaimResult::kDone:
      return {200, R"({"status":"duplicate"})"};
    case ClaimResult::kInProgress:
      return Reply(409, "error", "in_progress", "this event is being processed right now");
    case ClaimResult::kNew:
      break;
  }

  Status handled;
  try {
    handled = handler_(*event);
  } catch (const std::exception& e) {
    handled = Status::Internal(std::string("handler threw: ") + e.what());
  } catch (...) {
    handled = Status::Internal("handler threw a non-standard exception");
  }
  if (!handled.ok()) {
    // The sender retries on 500; a release failure only delays that retry until
    // the claim times out, so the handler's error is what to report.
    (void)store_->Release(event->id);
    return Reply(500, "error", "handler_failed", handled.ToString());
  }
  // The work is done: answer 200 even if the done mark cannot be written, since a
  // 5xx would make the sender redeliver work that already happened. The id then
  // stays claimed until the claim timeout.
  (void)store_->Complete(event->id);
  return {200, R"({"status":"processed"})"};
}

}  // namespace hookline::receiver
