#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "hookline/db/sqlite_outbox.h"
#include "hookline/ids.h"
#include "support/outbox_fixture.h"
#include "support/process.h"
#include "support/temp_dir.h"

using namespace hookline;
using namespace hookline::db;
using hookline::testing::TempDir;

namespace {

constexpr int64_t kNow = hookline::testing::kOutboxNow;
const auto OpenOrDie = hookline::testing::OpenOutboxOrDie;

Endpoint MakeEndpoint(std::string url, std::vector<std::string> types = {}) {
  Endpoint e;
  e.url = std::move(url);
  e.event_types = std::move(types);
  e.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  e.created_at = kNow;
  return e;
}

IngestRequest MakeEvent(std::string type, std::string key = "", std::string hash = "h") {
  IngestRequest r;
  r.event.id = NewEventId();
  r.event.type = std::move(type);
  r.event.body = R"({"data":{},"timestamp":"t","type":")" + r.event.type + "\"}";
  r.event.created_at = kNow;
  r.idempotency_key = std::move(key);
  r.request_hash = std::move(hash);
  r.now = kNow;
  return r;
}

}  // namespace

TEST_CASE("endpoints are created, listed by cursor, updated and deleted", "[db][outbox]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto e = outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/" + std::to_string(i)));
    REQUIRE(e.ok());
    CHECK(e->id.rfind("ep_", 0) == 0);
    ids.push_back(e->id);
  }
  auto page1 = outbox->ListEndpoints("", 2);
  REQUIRE(page1.ok());
  CHECK(page1->items.size() == 2);
  CHECK(page1->next_cursor == ids[1]);
  auto page3 = outbox->ListEndpoints(ids[3], 2);
  REQUIRE(page3.ok());
  CHECK(page3->items.size() == 1);
  CHECK(page3->next_cursor.empty());

  EndpointPatch patch;
  patch.description = "orders";
  patch.disabled = true;
  auto updated = outbox->UpdateEndpoint(ids[0], patch, kNow + 1);
  REQUIRE(updated.ok());
  CHECK(updated->description == "orders");
  CHECK(updated->disabled);
  CHECK_FALSE(updated->disabled_reason.empty());
  CHECK(outbox->GetEndpoint(ids[0])->disabled);

  CHECK(outbox->DeleteEndpoint(ids[0], kNow).ok());
  CHECK(outbox->GetEndpoint(ids[0]).status().code() == StatusCode::kNotFound);
  CHECK(outbox->DeleteEndpoint(ids[0], kNow).code() == StatusCode::kNotFound);
  CHECK(outbox->UpdateEndpoint("ep_nope", patch, kNow).status().code() == StatusCode::kNotFound);
}

TEST_CASE("ingest fans out to enabled endpoints whose filters match", "[db][outbox]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  auto all = outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/all"));
  auto invoices = outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/i", {"invoice.*"}));
  auto exact = outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/e", {"user.created"}));
  REQUIRE((all.ok() && invoices.ok() && exact.ok()));

  CHECK(outbox->Ingest(MakeEvent("invoice.paid"))->deliveries == 2);
  CHECK(outbox->Ingest(MakeEvent("user.created"))->deliveries == 2);
  CHECK(outbox->Ingest(MakeEvent("user.deleted"))->deliveries == 1);
  CHECK(outbox->Ingest(MakeEvent("invoice"))->deliveries == 1);  // "invoice.*" needs a dot

  EndpointPatch disable;
  disable.disabled = true;
  REQUIRE(outbox->UpdateEndpoint(all->id, disable, kNow).ok());
  CHECK(outbox->Ingest(MakeEvent("invoice.paid"))->deliveries == 1);
}

TEST_CASE("idempotency keys replay, conflict on a different body, and ids are unique",
          "[db][outbox]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  REQUIRE(outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/")).ok());
  auto first = outbox->Ingest(MakeEvent("a.b", "key-1", "hash-1"));
  REQUIRE(first.ok());
  CHECK_FALSE(first->replay);
  auto again = outbox->Ingest(MakeEvent("a.b", "key-1", "hash-1"));
  REQUIRE(again.ok());
  CHECK(again->replay);
  CHECK(again->event_id == first->event_id);
  CHECK(again->deliveries == 1);
  auto conflict = outbox->Ingest(MakeEvent("a.b", "key-1", "hash-2"));
  CHECK(conflict.status().code() == StatusCode::kAlreadyExists);
  // Purged keys are forgotten; so are keys older than 24 h.
  CHECK(*outbox->PurgeIdempotencyKeys(kNow, 100) == 0);  // not older than kNow
  auto other = MakeEvent("a.b", "key-purge", "h");
  other.now -= 25LL * 3600 * 1000;
  REQUIRE(outbox->Ingest(other).ok());
  CHECK(*outbox->PurgeIdempotencyKeys(kNow - kIdempotencyKeyTtl.count(), 100) == 1);
  CHECK_FALSE(outbox->Ingest(MakeEvent("a.b", "key-purge", "other-hash"))->replay);
  auto later = MakeEvent("a.b", "key-1", "hash-2");
  later.now += 25LL * 3600 * 1000;
  CHECK_FALSE(outbox->Ingest(later)->replay);

  auto dup = MakeEvent("a.b");
  REQUIRE(outbox->Ingest(dup).ok());
  CHECK(outbox->Ingest(dup).status().code() == StatusCode::kAlreadyExists);
  // The failed ingest wrote nothing: still one delivery for that event.
  DeliveryFilter f;
  f.event_id = dup.event.id;
  CHECK(outbox->ListDeliveries(f)->items.size() == 1);
}

TEST_CASE("claims lease due deliveries, outcomes and expired leases move them on", "[db][outbox]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  auto ep = outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/"));
  REQUIRE(ep.ok());
  auto ev = outbox->Ingest(MakeEvent("a.b"));
  REQUIRE(ev.ok());

  CHECK(outbox->ClaimDue(kNow - 1, 10, kNow + 1000, {})->empty());  // not due yet
  CHECK(**outbox->NextDueAt() == kNow);
  auto claimed = outbox->ClaimDue(kNow, 10, kNow + 1000, {});
  REQUIRE(claimed.ok());
  REQUIRE(claimed->size() == 1);
  const ClaimedDelivery& c = claimed->front();
  CHECK(c.url == "http://127.0.0.1:9/");
  CHECK(c.event_type == "a.b");
  CHECK(c.secrets.size() == 1);
  CHECK(c.attempts_made == 0);
  CHECK(outbox->ClaimDue(kNow, 10, kNow + 1000, {})->empty());  // leased
  CHECK(outbox->GetDelivery(c.delivery_id)->status == DeliveryStatus::kInflight);

  // The lease runs out (the process died): due again.
  auto reclaimed = outbox->ClaimDue(kNow + 1000, 10, kNow + 2000, {});
  REQUIRE(reclaimed->size() == 1);

  Outcome retry;
  retry.delivery_id = c.delivery_id;
  retry.endpoint_id = c.endpoint_id;
  retry.attempt.attempted_at = kNow + 1000;
  retry.attempt.status_code = 503;
  retry.attempt.latency_ms = 3;
  retry.attempt.response_excerpt = "busy";
  retry.next_status = DeliveryStatus::kPending;
  retry.next_attempt_at = kNow + 5000;
  REQUIRE(outbox->RecordOutcomes({retry}).ok());
  auto d = outbox->GetDelivery(c.delivery_id);
  CHECK(d->status == DeliveryStatus::kPending);
  CHECK(d->attempts == 1);
  CHECK(d->last_status_code == 503);
  CHECK(**outbox->NextDueAt() == kNow + 5000);

  auto second = outbox->ClaimDue(kNow + 5000, 10, kNow + 6000, {});
  REQUIRE(second->size() == 1);
  CHECK(second->front().attempts_made == 1);
  Outcome fail = retry;
  fail.attempt.status_code = 410;
  fail.next_status = DeliveryStatus::kFailed;
  fail.disable_endpoint_reason = "receiver answered 410 Gone";
  REQUIRE(outbox->RecordOutcomes({fail}).ok());
  CHECK(outbox->GetDelivery(c.delivery_id)->status == DeliveryStatus::kFailed);
  CHECK(outbox->GetEndpoint(ep->id)->disabled);
  auto attempts = outbox->ListAttempts(c.delivery_id);
  REQUIRE(attempts->size() == 2);
  CHECK(attempts->at(0).response_excerpt == "busy");
  CHECK(attempts->at(1).status_code == 410);

  // Operator: enable the endpoint and retry, same event.
  EndpointPatch enable;
  enable.disabled = false;
  REQUIRE(outbox->UpdateEndpoint(ep->id, enable, kNow).ok());
  auto retried = outbox->RetryDelivery(c.delivery_id, kNow + 7000);
  REQUIRE(retried.ok());
  CHECK(retried->status == DeliveryStatus::kPending);
  CHECK(outbox->RetryDelivery(c.delivery_id, kNow).status().code() ==
        StatusCode::kFailedPrecondition);
  auto third = outbox->ClaimDue(kNow + 7000, 10, kNow + 8000, {});
  REQUIRE(third->size() == 1);
  CHECK(third->front().attempts_made == 0);  // a fresh schedule
  CHECK(third->front().event_id == c.event_id);
}

TEST_CASE("deliveries of a disabled endpoint wait without being claimed", "[db][outbox]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  auto ep = outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/"));
  REQUIRE(outbox->Ingest(MakeEvent("a.b")).ok());
  EndpointPatch disable;
  disable.disabled = true;
  REQUIRE(outbox->UpdateEndpoint(ep->id, disable, kNow).ok());
  CHECK(outbox->ClaimDue(kNow, 10, kNow + 1000, {})->empty());
  CHECK_FALSE(outbox->NextDueAt()->has_value());
  disable.disabled = false;
  REQUIRE(outbox->UpdateEndpoint(ep->id, disable, kNow).ok());
  CHECK(outbox->ClaimDue(kNow, 10, kNow + 1000, {})->size() == 1);
}

TEST_CASE("bulk retry re-drives failed deliveries by endpoint, with a dry run", "[db][outbox]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  auto a = outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/a"));
  auto b = outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/b"));
  for (int i = 0; i < 3; ++i) REQUIRE(outbox->Ingest(MakeEvent("x.y")).ok());
  auto claimed = outbox->ClaimDue(kNow, 100, kNow + 1000, {});
  REQUIRE(claimed->size() == 6);
  std::vector<Outcome> outcomes;
  for (const auto& c : *claimed) {
    Outcome o;
    o.delivery_id = c.delivery_id;
    o.endpoint_id = c.endpoint_id;
    o.attempt.attempted_at = kNow;
    o.attempt.error = "connection refused";
    o.next_status = DeliveryStatus::kFailed;
    outcomes.push_back(o);
  }
  REQUIRE(outbox->RecordOutcomes(outcomes).ok());
  RetryFilter only_a;
  only_a.endpoint_id = a->id;
  CHECK(*outbox->RetryFailed(only_a, /*dry_run=*/true, kNow) == 3);
  CHECK(outbox->CountDeliveries()->failed == 6);
  CHECK(*outbox->RetryFailed(only_a, /*dry_run=*/false, kNow) == 3);
  auto counts = outbox->CountDeliveries();
  CHECK(counts->failed == 3);
  CHECK(counts->pending == 3);
  RetryFilter future;
  future.since = kNow + 1;
  CHECK(*outbox->RetryFailed(future, false, kNow) == 0);
  DeliveryFilter failed;
  failed.status = DeliveryStatus::kFailed;
  CHECK(outbox->ListDeliveries(failed)->items.size() == 3);
  (void)b;
}

TEST_CASE("a reopened database keeps everything, start-up releases abandoned claims",
          "[db][outbox]") {
  TempDir dir;
  std::string path = dir.File("hookline.db");
  std::string delivery_id;
  {
    auto outbox = OpenOrDie(path);
    REQUIRE(outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/")).ok());
    REQUIRE(outbox->Ingest(MakeEvent("a.b")).ok());
    auto claimed = outbox->ClaimDue(kNow, 10, kNow + 60'000, {});
    REQUIRE(claimed->size() == 1);
    delivery_id = claimed->front().delivery_id;
  }
  auto outbox = OpenOrDie(path);  // migrations run again: a no-op
  CHECK(outbox->GetDelivery(delivery_id)->status == DeliveryStatus::kInflight);
  CHECK(*outbox->ReleaseAllInflight(kNow + 1) == 1);
  CHECK(outbox->ClaimDue(kNow + 1, 10, kNow + 2, {})->size() == 1);
  CHECK(outbox->CheckWritable().ok());
}

TEST_CASE("concurrent ingests share commits and none is lost", "[db][outbox][group-commit]") {
  TempDir dir;
  auto outbox = OpenOrDie(dir.File("hookline.db"));
  REQUIRE(outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/")).ok());
  std::atomic<int> ok{0};
  OutboxStats before = outbox->Stats();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (outbox->Ingest(MakeEvent("load.test")).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 800);
  CHECK(outbox->CountDeliveries()->pending == 800);
  OutboxStats after = outbox->Stats();
  INFO("commits " << after.commits - before.commits << " for " << after.writes - before.writes
                  << " writes");
  CHECK(after.writes - before.writes >= 800);
  // Not one fsync per request: concurrent writers shared commits.
  CHECK(after.commits - before.commits < after.writes - before.writes);
}

TEST_CASE("the WAL is checkpointed into the database in the background", "[db][outbox]") {
  // The writer's auto-checkpoint is off (it would stall a commit group); if the
  // background checkpointer did not run, the main file would not grow at all
  // while the outbox is open: every new page would stay in the WAL.
  TempDir dir;
  std::string path = dir.File("hookline.db");
  auto outbox = OpenOrDie(path);
  REQUIRE(outbox->CreateEndpoint(MakeEndpoint("http://127.0.0.1:9/")).ok());
  auto initial = std::filesystem::file_size(path);
  for (int i = 0; i < 300; ++i) REQUIRE(outbox->Ingest(MakeEvent("grow.db")).ok());
  CHECK(hookline::testing::Eventually(
      [&] { return std::filesystem::file_size(path) > initial + 64 * 1024; }));
}

TEST_CASE("an unopenable path fails cleanly", "[db][outbox]") {
  auto outbox = OpenSqliteOutbox("/nonexistent-dir/sub/hookline.db");
  REQUIRE_FALSE(outbox.ok());
  CHECK(outbox.status().code() == StatusCode::kUnavailable);
}
