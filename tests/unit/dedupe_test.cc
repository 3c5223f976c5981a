#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hookline/clock.h"
#include "hookline/receiver/memory_dedupe_store.h"
#include "hookline/receiver/sqlite_dedupe_store.h"

using namespace hookline;
using namespace hookline::receiver;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kTtl = std::chrono::hours(1);
constexpr milliseconds kClaimTimeout = std::chrono::minutes(1);

// A directory of its own under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hookline_dedupe_XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

ClaimResult MustClaim(DedupeStore& store, std::string_view id) {
  auto r = store.Claim(id);
  REQUIRE(r.ok());
  return *r;
}

std::unique_ptr<SqliteDedupeStore> OpenSqlite(const std::string& path, const FakeClock& clock,
                                              int purge_every = 1000, int purge_batch = 500) {
  auto store = SqliteDedupeStore::Open(path, {.ttl = kTtl,
                                              .claim_timeout = kClaimTimeout,
                                              .purge_every = purge_every,
                                              .purge_batch = purge_batch,
                                              .clock = &clock});
  REQUIRE(store.ok());
  return std::move(store).value();
}

// The DedupeStore contract, run against every implementation.
void CheckSemantics(DedupeStore& store, FakeClock& clock) {
  SECTION("claim, in progress, complete, done") {
    CHECK(MustClaim(store, "evt_a") == ClaimResult::kNew);
    CHECK(MustClaim(store, "evt_a") == ClaimResult::kInProgress);
    CHECK(MustClaim(store, "evt_b") == ClaimResult::kNew);
    REQUIRE(store.Complete("evt_a").ok());
    CHECK(MustClaim(store, "evt_a") == ClaimResult::kDone);
    REQUIRE(store.Release("evt_a").ok());  // a no-op for done ids
    CHECK(MustClaim(store, "evt_a") == ClaimResult::kDone);
    CHECK(MustClaim(store, "evt_b") == ClaimResult::kInProgress);
  }
  SECTION("release lets a redelivery claim again") {
    CHECK(MustClaim(store, "evt_r") == ClaimResult::kNew);
    REQUIRE(store.Release("evt_r").ok());
    CHECK(MustClaim(store, "evt_r") == ClaimResult::kNew);
    REQUIRE(store.Release("evt_unknown").ok());
  }
  SECTION("done ids are forgotten after the TTL") {
    CHECK(MustClaim(store, "evt_t") == ClaimResult::kNew);
    REQUIRE(store.Complete("evt_t").ok());
    clock.Advance(kTtl - milliseconds(1));
    CHECK(MustClaim(store, "evt_t") == ClaimResult::kDone);
    clock.Advance(milliseconds(1));
    CHECK(MustClaim(store, "evt_t") == ClaimResult::kNew);
    CHECK(MustClaim(store, "evt_t") == ClaimResult::kInProgress);
  }
  SECTION("a claim older than the claim timeout is taken over") {
    CHECK(MustClaim(store, "evt_s") == ClaimResult::kNew);
    clock.Advance(kClaimTimeout - milliseconds(1));
    CHECK(MustClaim(store, "evt_s") == ClaimResult::kInProgress);
    clock.Advance(milliseconds(1));
    CHECK(MustClaim(store, "evt_s") == ClaimResult::kNew);
    // The takeover is a fresh claim with its own timeout.
    clock.Advance(kClaimTimeout - milliseconds(1));
    CHECK(MustClaim(store, "evt_s") == ClaimResult::kInProgress);
  }
  SECTION("complete works on unknown ids and ids are opaque bytes") {
    REQUIRE(store.Complete("evt_never_claimed").ok());
    CHECK(MustClaim(store, "evt_never_claimed") == ClaimResult::kDone);
    std::string odd = "it's \"odd\" \xc3\xa9; DROP TABLE x;--";
    CHECK(MustClaim(store, odd) == ClaimResult::kNew);
    CHECK(MustClaim(store, odd.substr(0, 5)) == ClaimResult::kNew);
    CHECK(MustClaim(store, odd) == ClaimResult::kInProgress);
  }
  SECTION("the same id claimed from 8 threads at once: exactly one kNew") {
    for (int round = 0; round < 20; ++round) {
      std::string id = "evt_race_" + std::to_string(round);
      std::atomic<int> fresh{0}, in_progress{0}, failed{0};
      std::latch start(8);
      std::vector<std::thread> threads;
      for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
          start.arrive_and_wait();
          auto r = store.Claim(id);
          if (!r.ok()) {
            ++failed;
          } else if (*r == ClaimResult::kNew) {
            ++fresh;
          } else if (*r == ClaimResult::kInProgress) {
            ++in_progress;
          }
        });
      }
      for (auto& th : threads) th.join();
      CHECK(fresh == 1);
      CHECK(in_progress == 7);
      CHECK(failed == 0);
    }
  }
}

}  // namespace

TEST_CASE("MemoryDedupeStore semantics", "[receiver][dedupe][memory]") {
  FakeClock clock;
  MemoryDedupeStore store({.ttl = kTtl, .claim_timeout = kClaimTimeout, .clock = &clock});
  CheckSemantics(store, clock);
}

TEST_CASE("MemoryDedupeStore is bounded and never evicts live claims",
          "[receiver][dedupe][memory]") {
  FakeClock clock;
  MemoryDedupeStore store(
      {.ttl = kTtl, .claim_timeout = kClaimTimeout, .capacity = 3, .clock = &clock});
  CHECK(MustClaim(store, "a") == ClaimResult::kNew);
  CHECK(MustClaim(store, "b") == ClaimResult::kNew);
  CHECK(MustClaim(store, "c") == ClaimResult::kNew);
  auto full = store.Claim("d");
  REQUIRE_FALSE(full.ok());
  CHECK(full.status().code() == StatusCode::kUnavailable);
  CHECK(full.status().message() == "dedupe store full");
  CHECK(store.Complete("d").code() == StatusCode::kUnavailable);
  // Known ids still answer when full.
  CHECK(MustClaim(store, "a") == ClaimResult::kInProgress);

  REQUIRE(store.Complete("a").ok());
  REQUIRE(store.Complete("b").ok());
  CHECK(MustClaim(store, "d") == ClaimResult::kNew);  // evicts "a", the oldest done id
  CHECK(store.size() == 3);
  CHECK(MustClaim(store, "b") == ClaimResult::kDone);
  CHECK(MustClaim(store, "a") == ClaimResult::kNew);  // forgotten; evicts "b"
  CHECK_FALSE(store.Claim("b").ok());                 // "a", "c", "d" are all live claims
}

TEST_CASE("MemoryDedupeStore reclaims room from expired entries", "[receiver][dedupe][memory]") {
  FakeClock clock;
  MemoryDedupeStore store(
      {.ttl = kTtl, .claim_timeout = kClaimTimeout, .capacity = 2, .clock = &clock});
  CHECK(MustClaim(store, "a") == ClaimResult::kNew);
  CHECK(MustClaim(store, "b") == ClaimResult::kNew);
  CHECK_FALSE(store.Claim("c").ok());
  clock.Advance(kClaimTimeout);  // both claims are now abandoned
  CHECK(MustClaim(store, "c") == ClaimResult::kNew);
  CHECK(store.size() == 1);

  MemoryDedupeStore big({.ttl = kTtl, .claim_timeout = kClaimTimeout, .clock = &clock});
  for (int i = 0; i < 1000; ++i) {
    std::string id = "evt_" + std::to_string(i);
    REQUIRE(MustClaim(big, id) == ClaimResult::kNew);
    REQUIRE(big.Complete(id).ok());
  }
  CHECK(big.size() == 1000);
  clock.Advance(kTtl);
  CHECK(MustClaim(big, "evt_new") == ClaimResult::kNew);
  CHECK(big.size() == 1);
}

TEST_CASE("SqliteDedupeStore semantics", "[receiver][dedupe][sqlite]") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenSqlite(dir.File("dedupe.db"), clock);
  CheckSemantics(*store, clock);
}

TEST_CASE("SqliteDedupeStore remembers across reopen", "[receiver][dedupe][sqlite]") {
  TempDir dir;
  FakeClock clock;
  std::string path = dir.File("dedupe.db");
  {
    auto store = OpenSqlite(path, clock);
    CHECK(MustClaim(*store, "evt_done") == ClaimResult::kNew);
    REQUIRE(store->Complete("evt_done").ok());
    CHECK(MustClaim(*store, "evt_crashed") == ClaimResult::kNew);
  }
  auto store = OpenSqlite(path, clock);
  CHECK(MustClaim(*store, "evt_done") == ClaimResult::kDone);
  // A claim left by a process that died is honoured until its timeout, then taken over.
  CHECK(MustClaim(*store, "evt_crashed") == ClaimResult::kInProgress);
  clock.Advance(kClaimTimeout);
  CHECK(MustClaim(*store, "evt_crashed") == ClaimResult::kNew);
  CHECK(MustClaim(*store, "evt_done") == ClaimResult::kDone);
}

TEST_CASE("SqliteDedupeStore shared by two connections", "[receiver][dedupe][sqlite]") {
  TempDir dir;
  FakeClock clock;
  std::string path = dir.File("shared.db");
  auto a = OpenSqlite(path, clock);
  auto b = OpenSqlite(path, clock);
  CHECK(MustClaim(*a, "evt_1") == ClaimResult::kNew);
  CHECK(MustClaim(*b, "evt_1") == ClaimResult::kInProgress);
  REQUIRE(a->Complete("evt_1").ok());
  CHECK(MustClaim(*b, "evt_1") == ClaimResult::kDone);

  std::atomic<int> fresh{0};
  std::latch start(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      auto r = (t % 2 == 0 ? *a : *b).Claim("evt_race");
      if (r.ok() && *r == ClaimResult::kNew) ++fresh;
    });
  }
  for (auto& th : threads) th.join();
  CHECK(fresh == 1);
}

TEST_CASE("SqliteDedupeStore purges expired rows in batches", "[receiver][dedupe][sqlite]") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenSqlite(dir.File("purge.db"), clock, /*purge_every=*/0, /*purge_batch=*/100);
  for (int i = 0; i < 250; ++i) REQUIRE(store->Complete("evt_done_" + std::to_string(i)).ok());
  for (int i = 0; i < 30; ++i) {
    REQUIRE(MustClaim(*store, "evt_claim_" + std::to_string(i)) == ClaimResult::kNew);
  }
  auto none = store->Purge();
  REQUIRE(none.ok());
  CHECK(*none == 0);

  clock.Advance(kClaimTimeout);  // the claims are abandoned, the done ids still live
  REQUIRE(MustClaim(*store, "evt_live") == ClaimResult::kNew);
  auto claims = store->Purge();
  REQUIRE(claims.ok());
  CHECK(*claims == 30);

  clock.Advance(kTtl);
  auto done = store->Purge();
  REQUIRE(done.ok());
  CHECK(*done == 251);  // 250 done ids and the claim on evt_live, abandoned by now
  CHECK(MustClaim(*store, "evt_done_0") == ClaimResult::kNew);
}

TEST_CASE("SqliteDedupeStore purges as claims pass by", "[receiver][dedupe][sqlite]") {
  TempDir dir;
  FakeClock clock;
  auto store = OpenSqlite(dir.File("auto.db"), clock, /*purge_every=*/10, /*purge_batch=*/100);
  for (int i = 0; i < 50; ++i) REQUIRE(store->Complete("evt_" + std::to_string(i)).ok());
  clock.Advance(kTtl);
  for (int i = 0; i < 10; ++i) MustClaim(*store, "evt_new_" + std::to_string(i));
  auto left = store->Purge();
  REQUIRE(left.ok());
  CHECK(*left == 0);  // the tenth claim already purged the 50 expired rows
}

TEST_CASE("SqliteDedupeStore reports unusable paths", "[receiver][dedupe][sqlite]") {
  TempDir dir;
  auto missing_dir = SqliteDedupeStore::Open(dir.File("no/such/dir/x.db"));
  REQUIRE_FALSE(missing_dir.ok());
  CHECK(missing_dir.status().code() == StatusCode::kUnavailable);
  CHECK(missing_dir.status().message().find("cannot open") != std::string::npos);
  auto bad_options = SqliteDedupeStore::Open(dir.File("x.db"), {.purge_batch = 0});
  REQUIRE_FALSE(bad_options.ok());
  CHECK(bad_options.status().code() == StatusCode::kInvalidArgument);
}
