// `hookd backup PATH` against a running hookd that keeps ingesting: the copy is
// consistent and holds everything acknowledged before the backup started; and
// the command's failures are one line and a non-zero exit.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/hookd_fixture.h"
#include "support/test_receiver.h"

using namespace hookline::testing;
using namespace std::chrono_literals;
using Catch::Contains;
using Catch::StartsWith;

namespace {

struct CommandResult {
  int exit_code = -1;
  std::string stderr_text;
};

// Runs `hookd ARGS...` to completion (bounded) and returns its exit code and stderr.
CommandResult RunHookd(const TempDir& dir, const std::string& name, std::vector<std::string> args) {
  args.insert(args.begin(), HOOKD_PATH);
  ChildProcess child(args, dir.File(name + ".log"));
  CommandResult r;
  r.exit_code = child.Wait(std::chrono::seconds(60));
  r.stderr_text = child.Log();
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

size_t Lines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Read-only view of a backup file.
class Copy {
 public:
  explicit Copy(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  }
  ~Copy() { sqlite3_close_v2(db_); }
  Copy(const Copy&) = delete;
  Copy& operator=(const Copy&) = delete;

  std::vector<std::string> Column(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(stmt, 0);
      out.emplace_back(t != nullptr ? reinterpret_cast<const char*>(t) : "");
    }
    sqlite3_finalize(stmt);
    return out;
  }
  std::string One(const char* sql) {
    auto col = Column(sql);
    return col.empty() ? "" : col[0];
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace

TEST_CASE("hookd backup copies the database of a running hookd while events are ingested",
          "[integration][backup]") {
  TempDir dir;
  TestReceiver receiver;
  Hookd hookd(dir);
  INFO("hookd's log:\n" << hookd.Log());
  REQUIRE(hookd.port() > 0);
  REQUIRE_FALSE(hookd.CreateEndpoint(receiver.url()).empty());

  // A few MiB, so that the copy takes many steps while commits land.
  const std::string padding(4000, 'p');
  std::vector<std::string> before;
  for (int i = 0; i < 600; ++i) {
    before.push_back(hookd.PostEvent("backup.before", {{"n", i}, {"pad", padding}}));
    REQUIRE_FALSE(before.back().empty());
  }

  std::atomic<bool> stop{false};
  std::atomic<int> during{0}, refused{0};
  std::thread ingest([&] {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    for (int i = 0; !stop && i < 20000 && std::chrono::steady_clock::now() < deadline; ++i) {
      if (hookd.PostEvent("backup.during", {{"n", i}, {"pad", padding}}).empty())
        ++refused;
      else
        ++during;
    }
  });
  // hookd is committing before the backup starts.
  CHECK(Eventually([&] { return during >= 5; }));

  std::string copy = dir.File("backup.db");
  CommandResult r = RunHookd(dir, "backup", {"backup", copy, "--db", hookd.db_path()});
  int during_backup_done = during;
  stop = true;
  ingest.join();
  INFO("hookd backup's stderr:\n" << r.stderr_text);
  REQUIRE(r.exit_code == 0);
  CHECK(refused == 0);  // the backup never made hookd refuse an event

  Copy c(copy);
  CHECK(c.One("PRAGMA integrity_check") == "ok");
  std::vector<std::string> ids = c.Column("SELECT id FROM events");
  std::set<std::string> in_copy(ids.begin(), ids.end());
  std::vector<std::string> missing;
  for (const auto& id : before) {
    if (in_copy.count(id) == 0) missing.push_back(id);
  }
  INFO("events in the copy: " << in_copy.size() << ", acknowledged before: " << before.size()
                              << ", by the end of the backup: "
                              << before.size() + during_backup_done);
  CHECK(missing.empty());
  CHECK(in_copy.size() <= before.size() + static_cast<size_t>(during_backup_done));
  // One transaction-consistent snapshot: every event has its delivery row.
  CHECK(c.One("SELECT count(*) FROM events e WHERE NOT EXISTS "
              "(SELECT 1 FROM deliveries d WHERE d.event_id = e.id)") == "0");
  CHECK(c.One("SELECT count(*) FROM deliveries") == std::to_string(in_copy.size()));

  // hookd carries on: still serving, and --overwrite replaces the copy.
  CHECK_FALSE(hookd.PostEvent("backup.after").empty());
  CommandResult again =
      RunHookd(dir, "backup-again", {"--db", hookd.db_path(), "backup", "--overwrite", copy});
  INFO("second backup's stderr:\n" << again.stderr_text);
  CHECK(again.exit_code == 0);
  Copy c2(copy);
  CHECK(c2.One("SELECT count(*) FROM events WHERE type = 'backup.after'") == "1");
}

TEST_CASE("hookd backup fails with one line for a missing source or an existing destination",
          "[integration][backup]") {
  TempDir dir;

  SECTION("the database does not exist") {
    CommandResult r =
        RunHookd(dir, "missing", {"backup", dir.File("copy.db"), "--db", dir.File("nope.db")});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.stderr_text, StartsWith("hookd: backup failed: database "));
    CHECK_THAT(r.stderr_text, Contains("nope.db does not exist"));
    CHECK(Lines(r.stderr_text) == 1);
    CHECK_FALSE(std::filesystem::exists(dir.File("copy.db")));
    CHECK_FALSE(std::filesystem::exists(dir.File("nope.db")));  // never created
  }
  SECTION("the destination exists") {
    Hookd hookd(dir);
    REQUIRE(hookd.port() > 0);
    REQUIRE_FALSE(hookd.PostEvent("x").empty());
    std::string copy = dir.File("copy.db");
    std::ofstream(copy) << "yesterday's backup";
    CommandResult r = RunHookd(dir, "exists", {"backup", copy, "--db", hookd.db_path()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.stderr_text, Contains("already exists (pass --overwrite to replace it)"));
    CHECK(Lines(r.stderr_text) == 1);
    CHECK(ReadFile(copy) == "yesterday's backup");
  }
  SECTION("the file is not a hookline database") {
    std::string other = dir.File("notes.txt");
    std::ofstream(other) << "not a database at all, just some text that is long enough";
    CommandResult r = RunHookd(dir, "notdb", {"backup", dir.File("copy.db"), "--db", other});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.stderr_text, Contains("is not a hookline database"));
    CHECK(Lines(r.stderr_text) == 1);
  }
  SECTION("no PATH") {
    CommandResult r = RunHookd(dir, "nopath", {"backup"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.stderr_text, Contains("PATH is required"));
  }
}
