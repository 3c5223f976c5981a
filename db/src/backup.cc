#include "hookline/db/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "sqlite.h"

namespace hookline::db {

namespace {

namespace fs = std::filesystem;

std::string Errno(const std::string& what, int err) { return what + ": " + std::strerror(err); }

// Closes a connection however the function returns.
struct Db {
  sqlite3* handle = nullptr;
  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() { Close(); }
  void Close() {
    sqlite3_close_v2(handle);
    handle = nullptr;
  }
};

// The temporary copy: removed, with any journal SQLite left beside it, unless
// it was renamed into place.
struct TempFile {
  std::string path;
  ~TempFile() {
    if (path.empty()) return;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  }
};

Status OpenDb(const std::string& path, int flags, Db& db, std::chrono::milliseconds busy) {
  int rc = sqlite3_open_v2(path.c_str(), &db.handle, flags, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db.handle, "cannot open " + path);
  sqlite3_extended_result_codes(db.handle, 1);
  sqlite3_busy_timeout(db.handle, static_cast<int>(busy.count()));
  return Status::Ok();
}

// Runs one statement of fixed text to completion.
Status ExecFixed(sqlite3* db, const char* sql, const std::string& what) {
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : SqliteStatus(rc, db, what);
}

// Opens the source without ever writing it, starts the read transaction whose
// snapshot the whole copy is taken from, and checks that it is hookline's.
Status OpenSource(const std::string& source, const BackupOptions& options, Db& db) {
  // Read-write (never create) rather than read-only: a read-only connection
  // cannot rebuild the WAL index of a database whose hookd died, while
  // query_only and NO_CKPT_ON_CLOSE keep this connection from changing anything.
  HOOKLINE_RETURN_IF_ERROR(OpenDb(source, SQLITE_OPEN_READWRITE, db, options.busy_timeout));
  sqlite3_db_config(db.handle, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  HOOKLINE_RETURN_IF_ERROR(ExecFixed(db.handle, "PRAGMA query_only=1", "source " + source));
  // Invariant: this transaction stays open until the copy is done. In WAL mode
  // it pins one snapshot, so hookd's commits during the copy neither block it
  // nor make it restart (SQLite restarts a backup whose source changed between
  // steps when each step opens its own read transaction, which against a busy
  // hookd would never finish).
  HOOKLINE_RETURN_IF_ERROR(ExecFixed(db.handle, "BEGIN", "source " + source));
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db.handle,
                              "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                              "name IN ('schema_version', 'events', 'deliveries', 'endpoints')",
                              -1, &raw, nullptr);
  Statement tables(db.handle, raw);
  if ((rc & 0xFF) == SQLITE_NOTADB) {
    return Status::InvalidArgument(source + " is not a hookline database (not a SQLite file)");
  }
  if (rc != SQLITE_OK) return SqliteStatus(rc, db.handle, "cannot read " + source);
  auto row = tables.Step();
  if (!row.ok()) return row.status();
  if (!*row || tables.Int(0) != 4) {
    return Status::InvalidArgument(source + " is not a hookline database (no hookline tables)");
  }
  return Status::Ok();
}

Status CheckDestination(const std::string& source, const std::string& destination,
                        const BackupOptions& options) {
  std::error_code ec;
  fs::file_status st = fs::status(destination, ec);
  if (!fs::exists(st)) return Status::Ok();
  if (fs::is_directory(st)) {
    return Status::InvalidArgument(destination + " is a directory; give the backup file's path");
  }
  if (fs::equivalent(source, destination, ec)) {
    return Status::InvalidArgument(destination + " is the database itself");
  }
  if (!options.overwrite) return Status::AlreadyExists(destination + " already exists");
  return Status::Ok();
}

Status CopyPages(sqlite3* source, sqlite3* dest, const BackupOptions& options,
                 BackupReport& report) {
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", source, "main");
  if (backup == nullptr)
    return SqliteStatus(sqlite3_errcode(dest), dest, "cannot start the backup");
  const auto deadline = std::chrono::steady_clock::now() + options.busy_timeout;
  int rc = SQLITE_OK;
  for (;;) {
    rc = sqlite3_backup_step(backup, options.pages_per_step);
    ++report.steps;
    if (rc == SQLITE_DONE) break;
    bool busy = rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
    if (rc != SQLITE_OK && !busy) break;
    if (busy && std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(options.pause);
  }
  report.pages = sqlite3_backup_pagecount(backup);
  // finish() reports the step's error again, with the destination's message.
  int finished = sqlite3_backup_finish(backup);
  if (rc == SQLITE_DONE && finished == SQLITE_OK) return Status::Ok();
  Status failed = SqliteStatus(rc != SQLITE_DONE ? rc : finished, dest, "cannot write the backup");
  // SQLite says "disk I/O error"; the operator wants to know it was a full disk.
  if (int err = sqlite3_system_errno(dest); err != 0) {
    return Status(failed.code(), failed.message() + " (" + std::strerror(err) + ")");
  }
  return failed;
}

// Makes the copy a standalone rollback-journal file and checks it.
Status FinishCopy(const std::string& path, const BackupOptions& options) {
  Db db;
  HOOKLINE_RETURN_IF_ERROR(OpenDb(path, SQLITE_OPEN_READWRITE, db, options.busy_timeout));
  HOOKLINE_RETURN_IF_ERROR(ExecFixed(db.handle, "PRAGMA journal_mode=DELETE", "backup " + path));
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db.handle, "PRAGMA integrity_check", -1, &raw, nullptr);
  Statement check(db.handle, raw);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db.handle, "cannot check the backup");
  auto row = check.Step();
  if (!row.ok()) return row.status();
  std::string verdict = *row ? check.Text(0) : "no answer";
  if (verdict != "ok") return Status::Internal("the backup failed its integrity check: " + verdict);
  return Status::Ok();
}

Status Fsync(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return Status::Unavailable(Errno("cannot open " + path, err));
  }
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::Unavailable(Errno("cannot sync " + path, err));
  return Status::Ok();
}

}  // namespace

Result<BackupReport> BackupDatabase(const std::string& source, const std::string& destination,
                                    const BackupOptions& options) {
  if (options.pages_per_step <= 0 || options.pause.count() < 0) {
    return Status::InvalidArgument("backup: pages_per_step must be positive and pause >= 0");
  }
  const auto started = std::chrono::steady_clock::now();
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) return Status::NotFound("database " + source + " does not exist");
    return Status::Unavailable(Errno("cannot read " + source, err));
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(source + " is not a regular file");
  HOOKLINE_RETURN_IF_ERROR(CheckDestination(source, destination, options));

  Db src;
  HOOKLINE_RETURN_IF_ERROR(OpenSource(source, options, src));

  // Next to the destination, so the final rename stays on one file system.
  TempFile temp;
  fs::path dest_path(destination);
  std::string pattern = destination + ".tmp-XXXXXX";
  int fd = ::mkstemp(pattern.data());  // mode 0600
  if (fd < 0) {
    int err = errno;
    return Status::Unavailable(Errno("cannot create a file beside " + destination, err));
  }
  ::close(fd);
  temp.path = pattern;

  BackupReport report;
  {
    Db dest;
    HOOKLINE_RETURN_IF_ERROR(OpenDb(temp.path, SQLITE_OPEN_READWRITE, dest, options.busy_timeout));
    // Nothing else sees this file and a failed copy is deleted, so the copy
    // skips the journal and fsyncs; one fsync below makes it durable.
    HOOKLINE_RETURN_IF_ERROR(
        ExecFixed(dest.handle, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", "backup"));
    HOOKLINE_RETURN_IF_ERROR(CopyPages(src.handle, dest.handle, options, report));
  }
  src.Close();  // ends the snapshot: the WAL may be checkpointed again
  HOOKLINE_RETURN_IF_ERROR(FinishCopy(temp.path, options));
  HOOKLINE_RETURN_IF_ERROR(Fsync(temp.path, O_RDONLY));

  if (options.overwrite) {
    HOOKLINE_RETURN_IF_ERROR(CheckDestination(source, destination, options));
    if (::rename(temp.path.c_str(), destination.c_str()) != 0) {
      int err = errno;
      return Status::Unavailable(Errno("cannot rename the backup to " + destination, err));
    }
    temp.path.clear();
  } else {
    // NOREPLACE fails if the destination appeared during the copy, where a
    // check-then-rename would silently replace it. File systems without it
    // get link(), which fails the same way (~TempFile then drops the temp name).
    int rc =
        ::renameat2(AT_FDCWD, temp.path.c_str(), AT_FDCWD, destination.c_str(), RENAME_NOREPLACE);
    if (rc == 0) {
      temp.path.clear();
    } else if (errno == EINVAL || errno == ENOSYS) {
      rc = ::link(temp.path.c_str(), destination.c_str());
    }
    if (rc != 0) {
      int err = errno;
      if (err == EEXIST) return Status::AlreadyExists(destination + " already exists");
      return Status::Unavailable(Errno("cannot create " + destination, err));
    }
  }
  // The rename is durable once the directory is.
  std::string dir = dest_path.has_parent_path() ? dest_path.parent_path().string() : ".";
  HOOKLINE_RETURN_IF_ERROR(Fsync(dir, O_RDONLY | O_DIRECTORY));

  std::error_code ec;
  report.bytes = static_cast<int64_t>(fs::file_size(destination, ec));
  report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return report;
}

}  // namespace hookline::db
