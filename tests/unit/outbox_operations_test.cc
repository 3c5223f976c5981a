// The outbox's side of operational webhooks: the operations endpoint and the
// notices stored with outcomes.
#include <catch2/catch.hpp>

#include "hookline/db/sqlite_outbox.h"
#include "hookline/ids.h"
#include "support/outbox_fixture.h"
#include "support/temp_dir.h"

using namespace hookline;
using namespace hookline::db;
using hookline::testing::DeliveriesOf;
using hookline::testing::TempDir;

namespace {

constexpr int64_t kNow = hookline::testing::kOutboxNow;
const auto OpenOrDie = hookline::testing::OpenOutboxOrDie;
constexpr const char* kSecretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kSecretB = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

OperationsEndpointSpec Spec(std::string url, std::string secret = kSecretA, bool replace = false,
                            int64_t now = kNow) {
  return OperationsEndpointSpec{std::move(url), std::move(secret), replace, now};
}

Endpoint ConfigureOrDie(Outbox& outbox, const OperationsEndpointSpec& spec) {
  auto ops = outbox.ConfigureOperationsEndpoint(spec);
  REQUIRE(ops.ok());
  REQUIRE(ops->has_value());
  return **ops;
}

std::string AddEndpoint(Outbox& outbox) {
  Endpoint e;
  e.url = "http://127.0.0.1:9/user";
  e.secret = kSecretA;
  e.created_at = kNow;
  auto created = outbox.CreateEndpoint(e);
  REQUIRE(created.ok());
  return created->id;
}

IngestResult Ingest(Outbox& outbox) {
  IngestRequest r;
  r.event.id = NewEventId();
  r.event.type = "a.b";
  r.event.body = "{}";
  r.event.created_at = kNow;
  r.now = kNow;
  auto result = outbox.Ingest(r);
  REQUIRE(result.ok());
  return *result;
}

Notice MakeNotice(const std::string& type, bool only_if_disabled_now = false) {
  Notice n;
  n.event = Event{NewEventId(), type, "{\"type\":\"" + type + "\"}", kNow};
  n.only_if_disabled_now = only_if_disabled_now;
  return n;
}

ClaimedDelivery ClaimOne(Outbox& outbox) {
  auto claimed = outbox.ClaimDue(kNow, 1, kNow + 60000, ClaimLimits{});
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 1);
  return claimed->front();
}

Outcome FailedOutcome(const ClaimedDelivery& c, std::vector<Notice> notices,
                      std::string disable_reason = "") {
  Outcome o;
  o.delivery_id = c.delivery_id;
  o.endpoint_id = c.endpoint_id;
  o.attempt.attempted_at = kNow + 1;
  o.attempt.status_code = 410;
  o.next_status = DeliveryStatus::kFailed;
  o.disable_endpoint_reason = std::move(disable_reason);
  o.notices = std::move(notices);
  return o;
}

}  // namespace

TEST_CASE("the operations endpoint is created once and kept across start-ups", "[db][ops]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  auto none = outbox->ConfigureOperationsEndpoint(Spec(""));
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  Endpoint first = ConfigureOrDie(*outbox, Spec("http://127.0.0.1:9/ops"));
  CHECK(first.operations);
  CHECK(first.secret == kSecretA);
  CHECK_FALSE(first.disabled);
  auto stored = outbox->GetEndpoint(first.id);
  REQUIRE(stored.ok());
  CHECK(stored->operations);

  // A restart with another generated secret keeps the stored one (receivers
  // were configured for it) but takes the new url.
  Endpoint again = ConfigureOrDie(*outbox, Spec("http://127.0.0.1:9/ops2", kSecretB));
  CHECK(again.id == first.id);
  CHECK(again.url == "http://127.0.0.1:9/ops2");
  CHECK(again.secret == kSecretA);
  // An explicit secret replaces it.
  Endpoint replaced = ConfigureOrDie(*outbox, Spec("http://127.0.0.1:9/ops2", kSecretB, true));
  CHECK(replaced.id == first.id);
  CHECK(replaced.secret == kSecretB);
  CHECK(outbox->GetEndpoint(first.id)->secret == kSecretB);
}

TEST_CASE("events applications post never route to the operations endpoint", "[db][ops]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  Endpoint ops = ConfigureOrDie(*outbox, Spec("http://127.0.0.1:9/ops"));
  CHECK(Ingest(*outbox).deliveries == 0);
  std::string user = AddEndpoint(*outbox);
  CHECK(Ingest(*outbox).deliveries == 1);
  CHECK(DeliveriesOf(*outbox, ops.id).empty());
  CHECK(DeliveriesOf(*outbox, user).size() == 1);
}

TEST_CASE("notices are stored with the outcome, as deliveries to the operations endpoint",
          "[db][ops]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  Endpoint ops = ConfigureOrDie(*outbox, Spec("http://127.0.0.1:9/ops"));
  std::string user = AddEndpoint(*outbox);
  Ingest(*outbox);
  Ingest(*outbox);
  ClaimedDelivery first = ClaimOne(*outbox);
  ClaimedDelivery second = ClaimOne(*outbox);

  Notice failed = MakeNotice("delivery.failed");
  Notice disabled = MakeNotice("endpoint.disabled", true);
  REQUIRE(outbox->RecordOutcomes({FailedOutcome(first, {failed, disabled}, "410 Gone")}).ok());
  // The second attempt in flight asked to disable it too: the endpoint was
  // already disabled, so its endpoint.disabled is not stored again.
  Notice failed2 = MakeNotice("delivery.failed");
  Notice disabled2 = MakeNotice("endpoint.disabled", true);
  REQUIRE(outbox->RecordOutcomes({FailedOutcome(second, {failed2, disabled2}, "410 Gone")}).ok());

  auto to_ops = DeliveriesOf(*outbox, ops.id);
  REQUIRE(to_ops.size() == 3);
  for (const auto& d : to_ops) CHECK(d.status == DeliveryStatus::kPending);
  auto stored = outbox->GetEvent(failed.event.id);
  REQUIRE(stored.ok());
  CHECK(stored->type == "delivery.failed");
  CHECK(stored->body == failed.event.body);
  CHECK(outbox->GetEvent(disabled.event.id).ok());
  CHECK(outbox->GetEvent(failed2.event.id).ok());
  CHECK(outbox->GetEvent(disabled2.event.id).status().code() == StatusCode::kNotFound);
  CHECK(outbox->GetEndpoint(user)->disabled);
  // The dispatcher claims them like any delivery, with the operations secret.
  auto claimed = outbox->ClaimDue(kNow + 2, 10, kNow + 60000, ClaimLimits{});
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 3);
  for (const auto& c : *claimed) {
    CHECK(c.endpoint_id == ops.id);
    CHECK(c.secrets == std::vector<std::string>{kSecretA});
  }
}

TEST_CASE("notices wait while the operations endpoint is disabled, and go when it is back",
          "[db][ops]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  Endpoint ops = ConfigureOrDie(*outbox, Spec("http://127.0.0.1:9/ops"));
  AddEndpoint(*outbox);
  Ingest(*outbox);
  Ingest(*outbox);
  ClaimedDelivery first = ClaimOne(*outbox);
  REQUIRE(outbox->RecordOutcomes({FailedOutcome(first, {MakeNotice("delivery.failed")})}).ok());

  // Started without --ops-endpoint: disabled, its waiting notice paused.
  auto off = outbox->ConfigureOperationsEndpoint(Spec("", kSecretB, false, kNow + 10));
  REQUIRE(off.ok());
  REQUIRE(off->has_value());
  CHECK((*off)->disabled);
  CHECK((*off)->disabled_reason == kOperationsNotConfigured);
  ClaimedDelivery second = ClaimOne(*outbox);
  REQUIRE(outbox->RecordOutcomes({FailedOutcome(second, {MakeNotice("delivery.failed")})}).ok());
  auto to_ops = DeliveriesOf(*outbox, ops.id);
  REQUIRE(to_ops.size() == 2);
  for (const auto& d : to_ops) CHECK(d.status == DeliveryStatus::kPaused);

  // Configured again: enabled, both due.
  Endpoint on = ConfigureOrDie(*outbox, Spec("http://127.0.0.1:9/ops", kSecretB, false, kNow + 20));
  CHECK_FALSE(on.disabled);
  for (const auto& d : DeliveriesOf(*outbox, ops.id)) CHECK(d.status == DeliveryStatus::kPending);

  // An operator's disable is the operator's: a restart does not undo it.
  EndpointPatch patch;
  patch.disabled = true;
  REQUIRE(outbox->UpdateEndpoint(ops.id, patch, kNow + 30).ok());
  Endpoint kept =
      ConfigureOrDie(*outbox, Spec("http://127.0.0.1:9/ops", kSecretB, false, kNow + 40));
  CHECK(kept.disabled);
  CHECK(kept.disabled_reason == "disabled by an operator");
}

TEST_CASE("without an operations endpoint, notices are dropped and the outcome recorded",
          "[db][ops]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  std::string user = AddEndpoint(*outbox);
  Ingest(*outbox);
  ClaimedDelivery c = ClaimOne(*outbox);
  Notice n = MakeNotice("delivery.failed");
  REQUIRE(outbox->RecordOutcomes({FailedOutcome(c, {n})}).ok());
  CHECK(outbox->GetDelivery(c.delivery_id)->status == DeliveryStatus::kFailed);
  CHECK(outbox->GetEvent(n.event.id).status().code() == StatusCode::kNotFound);
}
