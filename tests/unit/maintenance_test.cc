#include "maintenance.h"

#include <catch2/catch.hpp>

#include "hookline/db/sqlite_outbox.h"
#include "hookline/ids.h"
#include "support/temp_dir.h"

using namespace hookline;
using namespace std::chrono_literals;

TEST_CASE("maintenance forgets idempotency keys after 24 hours", "[sender][maintenance]") {
  testing::TempDir dir;
  auto outbox = std::move(db::OpenSqliteOutbox(dir.File("h.db"))).value();
  FakeClock clock;
  for (int i = 0; i < 3; ++i) {
    db::IngestRequest r;
    r.event = {NewEventId(), "a.b", "{}", clock.NowUnixMillis()};
    r.idempotency_key = "key-" + std::to_string(i);
    r.request_hash = "h";
    r.now = clock.NowUnixMillis();
    REQUIRE(outbox->Ingest(r).ok());
    clock.Advance(1h);
  }
  sender::Maintenance maintenance(*outbox, clock, sender::MaintenanceOptions{});
  CHECK(maintenance.RunOnce().idempotency_keys == 0);  // the oldest key is 3 h old
  clock.Advance(22h);                                  // now 25 h, 24 h and 23 h old
  CHECK(maintenance.RunOnce().idempotency_keys == 1);
  CHECK(maintenance.RunOnce().idempotency_keys == 0);  // already gone
  clock.Advance(1h + 1ms);                             // the other two are now just past 24 h
  CHECK(maintenance.RunOnce().idempotency_keys == 2);
}
