// db::BackupDatabase against real SQLite files, and the `hookd backup` command
// line. The process-level test with a running hookd is in
// integration/hookd_backup_test.cc.
#include "hookline/db/backup.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "hookline/db/sqlite_outbox.h"
#include "support/temp_dir.h"

using namespace hookline;
using Catch::Contains;
using hookline::testing::TempDir;

namespace {

// A raw connection for setting up and inspecting files; closes itself.
class Sql {
 public:
  explicit Sql(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      FAIL("cannot open " << path << ": " << sqlite3_errmsg(db_));
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Sql() { sqlite3_close_v2(db_); }
  Sql(const Sql&) = delete;
  Sql& operator=(const Sql&) = delete;

  void Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err != nullptr ? err : "?";
      sqlite3_free(err);
      FAIL(sql << ": " << message);
    }
  }
  // The first column of the first row, as text ("" if no row).
  std::string Text(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(stmt, 0);
      out = t != nullptr ? reinterpret_cast<const char*>(t) : "";
    }
    sqlite3_finalize(stmt);
    return out;
  }
  int64_t Int(const char* sql) { return std::stoll(Text(sql)); }
  // Inserts events n .. n+count-1 in one transaction.
  void InsertEvents(int n, int count) {
    Exec("BEGIN");
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_,
                               "INSERT INTO events(id, type, body, created_at) VALUES (?, ?, ?, ?)",
                               -1, &stmt, nullptr) == SQLITE_OK);
    std::string body(512, 'x');
    for (int i = n; i < n + count; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "evt_%08d", i);
      sqlite3_bind_text(stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(stmt, 2, "test.event", -1, SQLITE_STATIC);
      sqlite3_bind_blob(stmt, 3, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
      sqlite3_bind_int64(stmt, 4, i);
      REQUIRE(sqlite3_step(stmt) == SQLITE_DONE);
      sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
    Exec("COMMIT");
  }

 private:
  sqlite3* db_ = nullptr;
};

// A migrated, empty hookline database, created the way hookd creates it.
void CreateHooklineDb(const std::string& path) {
  auto outbox = db::OpenSqliteOutbox(path);
  REQUIRE(outbox.ok());
}

std::vector<std::string> FileNames(const TempDir& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("backup copies a hookline database into one standalone checked file", "[backup]") {
  TempDir dir;
  std::string source = dir.File("hookline.db"), copy = dir.File("copy.db");
  CreateHooklineDb(source);
  {
    Sql sql(source);
    sql.InsertEvents(0, 1000);
  }
  db::BackupOptions options;
  options.pages_per_step = 8;
  auto report = db::BackupDatabase(source, copy, options);
  REQUIRE(report.ok());
  CHECK(report->pages > 100);  // 1000 events of 512 bytes
  CHECK(report->bytes == static_cast<int64_t>(std::filesystem::file_size(copy)));
  CHECK(report->steps >= report->pages / 8);

  Sql check(copy);
  CHECK(check.Text("PRAGMA integrity_check") == "ok");
  CHECK(check.Int("SELECT count(*) FROM events") == 1000);
  // Rollback-journal mode: the copy needs no -wal file to be complete.
  CHECK(check.Text("PRAGMA journal_mode") == "delete");
  struct stat st {};
  REQUIRE(stat(copy.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);  // endpoint secrets are in it
  // No temporary file is left beside it.
  for (const auto& name : FileNames(dir)) CHECK_THAT(name, !Contains(".tmp-"));
}

TEST_CASE("backup of a database written during the copy is one snapshot and never restarts",
          "[backup]") {
  TempDir dir;
  std::string source = dir.File("hookline.db"), copy = dir.File("copy.db");
  CreateHooklineDb(source);
  Sql writer(source);
  writer.Exec("PRAGMA journal_mode=WAL");
  writer.InsertEvents(0, 2000);
  const int before = 2000;

  std::atomic<bool> stop{false};
  std::atomic<int> written{before};
  std::thread writing([&] {
    // Small transactions as hookd commits them, bounded in count and time.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!stop && written < 200000 && std::chrono::steady_clock::now() < deadline) {
      writer.InsertEvents(written, 10);
      written += 10;
    }
  });
  db::BackupOptions options;
  options.pages_per_step = 4;  // many steps, so commits land between them
  options.pause = std::chrono::milliseconds(2);
  auto report = db::BackupDatabase(source, copy, options);
  int after = written;
  stop = true;
  writing.join();
  REQUIRE(report.ok());
  INFO("pages " << report->pages << ", steps " << report->steps << ", events written during "
                << after - before);
  CHECK(after > before);  // the writer did commit while the copy ran
  // A restart would copy the pages again: more steps than one pass needs.
  CHECK(report->steps <= (report->pages + 3) / 4 + 1);
  Sql check(copy);
  CHECK(check.Text("PRAGMA integrity_check") == "ok");
  int64_t copied = check.Int("SELECT count(*) FROM events");
  CHECK(copied >= before);
  CHECK(copied <= after);
  CHECK(copied % 10 == 0);  // whole transactions only
}

TEST_CASE("backup refuses a missing source or a non-hookline file or a bad destination",
          "[backup]") {
  TempDir dir;
  std::string source = dir.File("hookline.db"), copy = dir.File("copy.db");

  SECTION("missing source") {
    auto r = db::BackupDatabase(dir.File("nope.db"), copy);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kNotFound);
    CHECK_THAT(r.status().message(), Contains("nope.db does not exist"));
  }
  SECTION("a file that is not SQLite") {
    std::ofstream(source) << "this is not a database, it is a text file that is long enough\n";
    auto r = db::BackupDatabase(source, copy);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Contains("not a hookline database"));
  }
  SECTION("a SQLite database without hookline's tables") {
    {
      Sql other(source);
      other.Exec("CREATE TABLE t(x)");
    }
    auto r = db::BackupDatabase(source, copy);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Contains("not a hookline database"));
  }
  SECTION("an existing destination is kept unless overwrite is set") {
    CreateHooklineDb(source);
    std::ofstream(copy) << "an earlier backup";
    auto r = db::BackupDatabase(source, copy);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kAlreadyExists);
    CHECK(ReadFile(copy) == "an earlier backup");

    db::BackupOptions overwrite;
    overwrite.overwrite = true;
    REQUIRE(db::BackupDatabase(source, copy, overwrite).ok());
    Sql check(copy);
    CHECK(check.Text("PRAGMA integrity_check") == "ok");
  }
  SECTION("the destination is the source itself, even with overwrite") {
    CreateHooklineDb(source);
    db::BackupOptions overwrite;
    overwrite.overwrite = true;
    auto r = db::BackupDatabase(source, dir.File("./hookline.db"), overwrite);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    Sql check(source);
    CHECK(check.Text("PRAGMA integrity_check") == "ok");
  }
  SECTION("the destination is a directory") {
    CreateHooklineDb(source);
    auto r = db::BackupDatabase(source, dir.path().string());
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
  SECTION("the destination's directory does not exist (an I/O error)") {
    CreateHooklineDb(source);
    auto r = db::BackupDatabase(source, dir.File("missing/copy.db"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(r.status().message(), Contains("missing/copy.db"));
  }
  SECTION("a write error mid-copy (file size limit, as a full disk would)") {
    CreateHooklineDb(source);
    {
      Sql sql(source);
      sql.InsertEvents(0, 1000);  // about 600 KiB
    }
    // Writes past the limit fail with EFBIG instead of raising SIGXFSZ.
    struct rlimit old_limit {};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    auto old_handler = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old_limit;
    small.rlim_cur = 128 * 1024;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto r = db::BackupDatabase(source, copy);
    setrlimit(RLIMIT_FSIZE, &old_limit);
    signal(SIGXFSZ, old_handler);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK_THAT(r.status().message(), Contains("cannot write the backup"));
    CHECK_THAT(r.status().message(), Contains("(File too large)"));
    CHECK_FALSE(std::filesystem::exists(copy));
  }
  SECTION("bad options") {
    CreateHooklineDb(source);
    db::BackupOptions bad;
    bad.pages_per_step = 0;
    CHECK(db::BackupDatabase(source, copy, bad).status().code() == StatusCode::kInvalidArgument);
  }
  // Whatever failed, no temporary file is left behind.
  for (const auto& name : FileNames(dir)) CHECK_THAT(name, !Contains(".tmp-"));
}

namespace {

Result<sender::Config> Parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return sender::ParseConfig(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("hookd backup takes PATH and --db before or after it and --overwrite",
          "[backup][config]") {
  auto plain = Parse({"hookd", "--db", "live.db"});
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->backup);

  auto after = Parse({"hookd", "backup", "copy.db", "--db", "live.db"});
  REQUIRE(after.ok());
  CHECK(after->backup);
  CHECK(after->backup_path == "copy.db");
  CHECK(after->db_path == "live.db");
  CHECK_FALSE(after->backup_overwrite);

  auto before = Parse({"hookd", "--db", "live.db", "backup", "--overwrite", "copy.db"});
  REQUIRE(before.ok());
  CHECK(before->backup);
  CHECK(before->db_path == "live.db");
  CHECK(before->backup_overwrite);

  auto no_path = Parse({"hookd", "backup"});
  REQUIRE_FALSE(no_path.ok());
  CHECK(no_path.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(no_path.status().message(), Contains("PATH is required"));

  auto empty = Parse({"hookd", "backup", ""});
  REQUIRE_FALSE(empty.ok());
  CHECK_THAT(empty.status().message(), Contains("PATH must not be empty"));

  auto stray = Parse({"hookd", "backup", "copy.db", "--workers", "3"});
  CHECK_FALSE(stray.ok());
}
