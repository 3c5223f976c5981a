// The outbox's side of per-endpoint limits, the circuit breaker, paused
// deliveries of disabled endpoints, and retention.
#include <catch2/catch.hpp>

#include "hookline/db/sqlite_outbox.h"
#include "hookline/ids.h"
#include "support/outbox_fixture.h"
#include "support/sqlite_peek.h"
#include "support/temp_dir.h"

using namespace hookline;
using namespace hookline::db;
using hookline::testing::DeliveriesOf;
using hookline::testing::TempDir;

namespace {

constexpr int64_t kNow = hookline::testing::kOutboxNow;
const auto OpenOrDie = hookline::testing::OpenOutboxOrDie;

std::string AddEndpoint(Outbox& outbox, const std::string& path, EndpointLimits limits = {}) {
  Endpoint e;
  e.url = "http://127.0.0.1:9/" + path;
  e.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  e.created_at = kNow;
  e.limits = limits;
  auto created = outbox.CreateEndpoint(e);
  REQUIRE(created.ok());
  return created->id;
}

std::string Ingest(Outbox& outbox, int64_t now = kNow) {
  IngestRequest r;
  r.event.id = NewEventId();
  r.event.type = "a.b";
  r.event.body = "{}";
  r.event.created_at = now;
  r.now = now;
  REQUIRE(outbox.Ingest(r).ok());
  return r.event.id;
}

Outcome Finished(const ClaimedDelivery& c, int64_t at, DeliveryStatus next, int code) {
  Outcome o;
  o.delivery_id = c.delivery_id;
  o.endpoint_id = c.endpoint_id;
  o.attempt.attempted_at = at;
  o.attempt.status_code = code;
  o.next_status = next;
  o.next_attempt_at = at + 100;
  return o;
}

}  // namespace

TEST_CASE("a claim takes no more of an endpoint than its allowance", "[db][limits]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  std::string busy = AddEndpoint(*outbox, "busy");
  std::string quiet = AddEndpoint(*outbox, "quiet");
  for (int i = 0; i < 10; ++i) Ingest(*outbox);
  ClaimLimits limits;
  limits.default_per_endpoint = 3;
  limits.per_endpoint = {{busy, 0}};
  auto claimed = outbox->ClaimDue(kNow, 100, kNow + 1000, limits);
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 3);
  for (const auto& c : *claimed) CHECK(c.endpoint_id == quiet);
  // The rest of the endpoint's work is still pending and due.
  CHECK(**outbox->NextDueAt() == kNow);
  limits.per_endpoint = {{busy, 2}};
  claimed = outbox->ClaimDue(kNow, 100, kNow + 1000, limits);
  REQUIRE(claimed->size() == 5);  // 2 of busy, 3 more of quiet
}

TEST_CASE("work behind another endpoint's backlog is reached, a bounded walk per claim",
          "[db][limits]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  std::string busy = AddEndpoint(*outbox, "busy");
  // 50 older deliveries of busy, then 3 events for both behind them in the
  // due index.
  for (int i = 0; i < 50; ++i) Ingest(*outbox, kNow - 1000 + i);
  std::string quiet = AddEndpoint(*outbox, "quiet");
  for (int i = 0; i < 3; ++i) Ingest(*outbox, kNow - 100 + i);
  ClaimLimits limits;
  limits.per_endpoint = {{busy, 0}};  // at its allowance: every claim skips its rows
  limits.max_skip = 10;
  // Each claim skips 10 from the head and 10 more from where the last one
  // stopped: the fifth reaches quiet's work. (A walk bounded from the head
  // alone never would: the old claim stopped after 5000 rows.)
  size_t claims = 0;
  std::vector<ClaimedDelivery> got;
  while (got.empty() && claims < 10) {
    auto claimed = outbox->ClaimDue(kNow, 100, kNow + 1000, limits);
    REQUIRE(claimed.ok());
    got = *claimed;
    ++claims;
  }
  CHECK(claims == 5);
  REQUIRE(got.size() == 3);
  for (const auto& c : got) CHECK(c.endpoint_id == quiet);
  // That walk saw everything due: the next one starts from the head again.
  limits.per_endpoint = {};
  auto all = outbox->ClaimDue(kNow, 100, kNow + 1000, limits);
  REQUIRE(all.ok());
  CHECK(all->size() == 53);
}

TEST_CASE("a claim carries the endpoint's limits and stored health", "[db][limits]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  EndpointLimits limits{2.5, 7, 3};
  std::string ep = AddEndpoint(*outbox, "x", limits);
  Ingest(*outbox);
  auto claimed = outbox->ClaimDue(kNow, 10, kNow + 1000, {});
  REQUIRE(claimed->size() == 1);
  const ClaimedDelivery& c = claimed->front();
  CHECK(c.limits.rate_limit_per_s == 2.5);
  CHECK(c.limits.rate_limit_burst == 7);
  CHECK(c.limits.max_in_flight == 3);
  CHECK(c.health.consecutive_failures == 0);

  // A patch changes only the limits it names; 0 clears one.
  EndpointPatch patch;
  patch.max_in_flight = 0;
  auto updated = outbox->UpdateEndpoint(ep, patch, kNow);
  REQUIRE(updated.ok());
  CHECK(updated->limits.rate_limit_per_s == 2.5);
  CHECK(updated->limits.max_in_flight == 0);
}

TEST_CASE("an opened breaker defers the endpoint's pending deliveries, new ones too",
          "[db][breaker]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  std::string ep = AddEndpoint(*outbox, "down");
  for (int i = 0; i < 4; ++i) Ingest(*outbox);
  auto claimed = outbox->ClaimDue(kNow, 1, kNow + 1000, {});
  REQUIRE(claimed->size() == 1);
  Outcome o = Finished(claimed->front(), kNow + 10, DeliveryStatus::kPending, 500);
  o.health = EndpointHealth{5, kNow, kNow + 30'000};
  REQUIRE(outbox->RecordOutcomes({o}).ok());

  auto stored = outbox->GetEndpoint(ep);
  CHECK(stored->health.consecutive_failures == 5);
  CHECK(stored->health.failing_since == kNow);
  CHECK(stored->health.circuit_open_until == kNow + 30'000);
  for (const Delivery& d : DeliveriesOf(*outbox, ep)) {
    CHECK(d.status == DeliveryStatus::kPending);
    CHECK(d.next_attempt_at == kNow + 30'000);
  }
  // Only the failed one spent an attempt.
  int attempts = 0;
  for (const Delivery& d : DeliveriesOf(*outbox, ep)) attempts += d.attempts;
  CHECK(attempts == 1);
  CHECK(outbox->ClaimDue(kNow + 29'999, 10, kNow + 40'000, {})->empty());

  Ingest(*outbox, kNow + 20);  // while open: due when it closes, not now
  CHECK(**outbox->NextDueAt() == kNow + 30'000);

  // Recovery clears the record.
  auto probe = outbox->ClaimDue(kNow + 30'000, 1, kNow + 40'000, {});
  REQUIRE(probe->size() == 1);
  CHECK(probe->front().health.circuit_open_until == kNow + 30'000);
  Outcome ok = Finished(probe->front(), kNow + 30'010, DeliveryStatus::kSucceeded, 200);
  ok.health = EndpointHealth{};
  REQUIRE(outbox->RecordOutcomes({ok}).ok());
  CHECK(outbox->GetEndpoint(ep)->health.consecutive_failures == 0);
  CHECK(outbox->GetEndpoint(ep)->health.failing_since == 0);
  Ingest(*outbox, kNow + 30'020);
  // 3 held back, 1 ingested while open, 1 after: all due.
  CHECK(outbox->ClaimDue(kNow + 30'020, 100, kNow + 40'000, {})->size() == 5);
}

TEST_CASE("disabling pauses an endpoint's deliveries, and every way back to pending too",
          "[db][disable]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  std::string ep = AddEndpoint(*outbox, "gone");
  for (int i = 0; i < 3; ++i) Ingest(*outbox);
  auto claimed = outbox->ClaimDue(kNow, 2, kNow + 1000, {});
  REQUIRE(claimed->size() == 2);
  // One attempt ends in 410 (disable), the other is still in flight.
  Outcome gone = Finished(claimed->at(0), kNow + 5, DeliveryStatus::kFailed, 410);
  gone.disable_endpoint_reason = "receiver answered 410 Gone";
  REQUIRE(outbox->RecordOutcomes({gone}).ok());
  CHECK(outbox->GetEndpoint(ep)->disabled);

  auto count = [&](DeliveryStatus s) {
    int n = 0;
    for (const Delivery& d : DeliveriesOf(*outbox, ep)) n += d.status == s;
    return n;
  };
  CHECK(count(DeliveryStatus::kPaused) == 1);
  CHECK(count(DeliveryStatus::kInflight) == 1);
  // The in-flight one comes back as a retry: paused, not due.
  Outcome retry = Finished(claimed->at(1), kNow + 6, DeliveryStatus::kPending, 500);
  REQUIRE(outbox->RecordOutcomes({retry}).ok());
  CHECK(count(DeliveryStatus::kPaused) == 2);
  // An operator's retry of the failed one waits for the endpoint as well.
  auto retried = outbox->RetryDelivery(claimed->at(0).delivery_id, kNow + 7);
  REQUIRE(retried.ok());
  CHECK(count(DeliveryStatus::kPaused) == 3);
  CHECK(outbox->ClaimDue(kNow + 10'000, 10, kNow + 20'000, {})->empty());
  CHECK(outbox->CountDeliveries()->paused == 3);
  // New events skip a disabled endpoint.
  Ingest(*outbox, kNow + 8);
  CHECK(DeliveriesOf(*outbox, ep).size() == 3);

  EndpointPatch enable;
  enable.disabled = false;
  auto enabled = outbox->UpdateEndpoint(ep, enable, kNow + 10'000);
  REQUIRE(enabled.ok());
  CHECK(enabled->health.consecutive_failures == 0);
  CHECK(count(DeliveryStatus::kPaused) == 0);
  CHECK(outbox->ClaimDue(kNow + 10'000, 10, kNow + 20'000, {})->size() == 3);
}

TEST_CASE("retention purges old succeeded history and keeps failed deliveries longer",
          "[db][retention]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  std::string ep = AddEndpoint(*outbox, "r");
  std::string ok_event = Ingest(*outbox);
  std::string failed_event = Ingest(*outbox);
  std::string pending_event = Ingest(*outbox);
  auto claimed = outbox->ClaimDue(kNow, 2, kNow + 1000, {});
  REQUIRE(claimed->size() == 2);
  REQUIRE(outbox
              ->RecordOutcomes({Finished(claimed->at(0), kNow + 1, DeliveryStatus::kSucceeded, 200),
                                Finished(claimed->at(1), kNow + 1, DeliveryStatus::kFailed, 400)})
              .ok());
  // An event no endpoint wanted (created before any endpoint matched it).
  REQUIRE(outbox->DeleteEndpoint(ep, kNow).ok());
  std::string orphan = Ingest(*outbox, kNow + 2);

  // Nothing is old enough yet.
  CHECK(*outbox->PurgeHistory(kNow, kNow, 100) == 0);
  // Succeeded history older than kNow + 100 goes; the failed one is kept.
  CHECK(*outbox->PurgeHistory(kNow + 100, kNow, 100) == 3);  // delivery, its event, the orphan
  CHECK(outbox->GetEvent(ok_event).status().code() == StatusCode::kNotFound);
  CHECK(outbox->GetDelivery(claimed->at(0).delivery_id).status().code() == StatusCode::kNotFound);
  CHECK(outbox->ListAttempts(claimed->at(0).delivery_id)->empty());
  CHECK(outbox->GetEvent(orphan).status().code() == StatusCode::kNotFound);
  CHECK(outbox->GetEvent(failed_event).ok());
  CHECK(outbox->GetEvent(pending_event).ok());  // its delivery (failed at deletion) is kept
  // The failed delivery's own limit.
  CHECK(*outbox->PurgeHistory(kNow + 100, kNow + 100, 100) >= 2);
  CHECK(outbox->GetEvent(failed_event).status().code() == StatusCode::kNotFound);
  // Batches are bounded.
  CHECK(*outbox->PurgeHistory(kNow + 100, kNow + 100, 1) <= 2);
}

TEST_CASE("the claim walks the due index without reading the table", "[db][claim]") {
  TempDir dir;
  { auto outbox = OpenOrDie(dir.File("hookline.db")); }  // creates and migrates the schema
  auto db = hookline::testing::OpenDb(dir.File("hookline.db"));
  REQUIRE(db);
  // The claim's two walks, as SqliteOutbox::ClaimDue prepares them
  // (sqlite_outbox_dispatch.cc): from the head, and from where the last stopped.
  for (const char* sql : {
           "EXPLAIN QUERY PLAN SELECT next_attempt_at, endpoint_id, id FROM deliveries "
           "INDEXED BY deliveries_due WHERE status = 0 AND next_attempt_at <= ?1 "
           "ORDER BY next_attempt_at, endpoint_id, id",
           "EXPLAIN QUERY PLAN SELECT next_attempt_at, endpoint_id, id FROM deliveries "
           "INDEXED BY deliveries_due WHERE status = 0 AND next_attempt_at <= ?1 "
           "AND (next_attempt_at, endpoint_id, id) > (?2, ?3, ?4) "
           "ORDER BY next_attempt_at, endpoint_id, id",
       }) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db.get(), sql, -1, &st, nullptr) == SQLITE_OK);
    std::string plan;
    while (sqlite3_step(st) == SQLITE_ROW) {
      plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
      plan += "\n";
    }
    sqlite3_finalize(st);
    INFO(sql << "\n" << plan);
    // A covering walk reads index pages only; otherwise each due row costs a
    // table lookup (measured 2x slower drains over a 1M-row table).
    CHECK(plan.find("USING COVERING INDEX deliveries_due") != std::string::npos);
    // No sort: the index order is the walk's, and the resumed walk seeks to
    // its key instead of reading from the start.
    CHECK(plan.find("TEMP B-TREE") == std::string::npos);
  }
}
