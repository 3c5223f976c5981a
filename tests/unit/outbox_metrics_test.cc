// The store's write-path metrics: commit histograms and the stuck-writer signal.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <future>

#include "hookline/db/sqlite_outbox.h"
#include "hookline/metrics.h"
#include "support/process.h"
#include "support/temp_dir.h"

using namespace hookline;
using namespace hookline::db;
using namespace std::chrono_literals;
using hookline::testing::Eventually;
using hookline::testing::TempDir;

namespace {

Endpoint SomeEndpoint() {
  Endpoint e;
  e.url = "http://127.0.0.1:9/hook";
  e.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  e.created_at = 1'767'225'600'000;
  return e;
}

}  // namespace

TEST_CASE("commits are observed in the commit histograms", "[outbox][metrics]") {
  TempDir dir;
  metrics::Registry registry;
  SqliteOutboxOptions options;
  options.metrics = &registry;
  auto outbox = OpenSqliteOutbox(dir.File("m.db"), options);
  REQUIRE(outbox.ok());
  std::string before = registry.Render();
  CHECK(before.find("hookline_db_commit_duration_seconds_count 0\n") != std::string::npos);
  REQUIRE((*outbox)->CreateEndpoint(SomeEndpoint()).ok());
  REQUIRE((*outbox)->CreateEndpoint(SomeEndpoint()).ok());
  std::string after = registry.Render();
  uint64_t commits = (*outbox)->Stats().commits;
  CHECK(commits >= 2);
  CHECK(after.find("hookline_db_commit_duration_seconds_count " + std::to_string(commits) + "\n") !=
        std::string::npos);
  CHECK(after.find("hookline_db_commit_batch_size_count " + std::to_string(commits) + "\n") !=
        std::string::npos);
  CHECK(after.find("# TYPE hookline_db_commit_batch_size histogram\n") != std::string::npos);
  CHECK((*outbox)->Stats().write_wait == 0ms);  // nothing waiting
}

TEST_CASE("a write held up by a locked database shows as write_wait", "[outbox][metrics]") {
  TempDir dir;
  SqliteOutboxOptions options;
  options.busy_timeout_ms = 5000;
  auto opened = OpenSqliteOutbox(dir.File("w.db"), options);
  REQUIRE(opened.ok());
  Outbox& outbox = **opened;
  // Another connection takes the write lock, as a stray sqlite3 shell would.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(dir.File("w.db").c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  auto write =
      std::async(std::launch::async, [&] { return outbox.CreateEndpoint(SomeEndpoint()); });
  CHECK(Eventually([&] { return outbox.Stats().write_wait >= 300ms; }, 4000ms));
  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  CHECK(write.get().ok());
  CHECK(outbox.Stats().write_wait == 0ms);
}
