// The SQLite Outbox. Internal to hookline_db; users get it from OpenSqliteOutbox().
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "checkpointer.h"
#include "group_commit.h"
#include "hookline/db/outbox.h"
#include "hookline/db/sqlite_outbox.h"
#include "sqlite.h"

namespace hookline::db {

// A few read connections shared by reader threads, so reads never queue
// behind the writer (WAL lets them see the last commit while it writes).
class ReadPool {
 public:
  Status Open(const std::string& path, const ConnectionOptions& options, int n);
  // Runs `f` with a connection taken from the pool; blocks while all are in use.
  template <typename F>
  auto With(F&& f) {
    std::unique_ptr<Connection> conn;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !free_.empty(); });
      conn = std::move(free_.back());
      free_.pop_back();
    }
    struct Return {
      ReadPool* pool;
      std::unique_ptr<Connection>* conn;
      ~Return() {
        (*conn)->ResetBusyStatements();
        std::lock_guard lock(pool->mu_);
        pool->free_.push_back(std::move(*conn));
        pool->cv_.notify_one();
      }
    } give_back{this, &conn};
    return f(*conn);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> free_;  // guarded by mu_
};

// Endpoints that receive new events, cached on the writer thread.
struct Route {
  std::string endpoint_id;
  std::vector<std::string> filters;
  int64_t circuit_open_until = 0;  // new deliveries wait for the breaker, not claim and wait
};

// A position in the due index, in its order.
struct DueKey {
  int64_t at = 0;  // next_attempt_at
  std::string endpoint;
  std::string id;
  auto operator<=>(const DueKey&) const = default;
};

class SqliteOutbox final : public Outbox {
 public:
  static Result<std::unique_ptr<SqliteOutbox>> Open(const std::string& path,
                                                    const SqliteOutboxOptions& options);

  Result<Endpoint> CreateEndpoint(Endpoint endpoint) override;
  Result<Endpoint> GetEndpoint(std::string_view id) override;
  Result<Page<Endpoint>> ListEndpoints(std::string_view cursor, int limit) override;
  Result<Endpoint> UpdateEndpoint(std::string_view id, const EndpointPatch& patch,
                                  int64_t now) override;
  Status DeleteEndpoint(std::string_view id, int64_t now) override;
  Result<Endpoint> RotateSecret(std::string_view id, std::string new_secret,
                                int64_t previous_expires_at, int64_t now) override;
  Result<std::optional<Endpoint>> ConfigureOperationsEndpoint(
      const OperationsEndpointSpec& spec) override;

  Result<IngestResult> Ingest(const IngestRequest& request) override;
  Result<Event> GetEvent(std::string_view id) override;

  Result<Page<Delivery>> ListDeliveries(const DeliveryFilter& filter) override;
  Result<Delivery> GetDelivery(std::string_view id) override;
  Result<std::vector<Attempt>> ListAttempts(std::string_view delivery_id) override;
  Result<Delivery> RetryDelivery(std::string_view id, int64_t now) override;
  Result<int64_t> RetryFailed(const RetryFilter& filter, bool dry_run, int64_t now) override;

  Result<std::vector<ClaimedDelivery>> ClaimDue(int64_t now, int limit, int64_t lease_until,
                                                const ClaimLimits& limits) override;
  Result<std::optional<int64_t>> NextDueAt() override;
  Status RecordOutcomes(const std::vector<Outcome>& outcomes) override;
  Status ReleaseClaims(const std::vector<Release>& releases) override;
  Result<int64_t> ReleaseAllInflight(int64_t now) override;

  Result<int64_t> PurgeIdempotencyKeys(int64_t before, int limit) override;
  Result<int64_t> PurgeHistory(int64_t succeeded_before, int64_t failed_before, int limit) override;
  Result<Counts> CountDeliveries() override;
  Result<std::vector<FailingEndpoint>> FailingEndpoints(int limit) override;
  OutboxStats Stats() override {
    return {writer_->commits(), writer_->jobs_committed(), writer_->oldest_wait()};
  }
  Status CheckWritable() override;

 private:
  SqliteOutbox() = default;
  // Writer-thread only: the enabled endpoints, reloaded after any endpoint write.
  Status LoadRoutesIfStale(Connection& conn);
  // Writer-thread only: disabling pauses the endpoint's pending deliveries,
  // enabling resumes them (due no earlier than `now`).
  Status SetEndpointPaused(Connection& conn, std::string_view id, bool paused, int64_t now);
  // Writer-thread only: stores an outcome's endpoint health; an opened breaker
  // defers the endpoint's pending deliveries to its end.
  Status RecordHealth(Connection& conn, const Outcome& o);
  // Writer-thread only: stores `notice` as an event with one delivery to the
  // operations endpoint (paused while it is disabled); nothing without one.
  Status StoreNotice(Connection& conn, const Notice& notice);

  ReadPool readers_;
  std::unique_ptr<GroupCommitter> writer_;
  std::unique_ptr<Checkpointer> checkpointer_;  // WAL checkpoints beside the writer
  // Writer-thread state (touched only inside jobs, which run one at a time).
  std::vector<Route> routes_;
  bool routes_stale_ = true;
  std::string event_purge_cursor_;      // PurgeHistory's walk over events, by id
  std::optional<DueKey> claim_cursor_;  // where ClaimDue's last walk stopped
};

// Largest page a list returns, whatever the caller asks for.
constexpr int kMaxPageSize = 1000;

// Reads a page from `s`, which was bound to fetch `limit` + 1 rows in id order:
// the extra row only tells that another page follows.
template <typename T, typename ReadRow>
Result<Page<T>> ReadPage(Statement& s, int limit, ReadRow read_row) {
  Page<T> page;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    page.items.push_back(read_row(s));
  }
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  return page;
}

// Row readers shared by the implementation files.
Endpoint ReadEndpoint(const Statement& s);  // columns as HOOKLINE_ENDPOINT_COLUMNS
// rate_limit_per_s, rate_limit_burst, max_in_flight from column `first` on.
EndpointLimits ReadEndpointLimits(const Statement& s, int first);
Delivery ReadDelivery(const Statement& s);  // columns as HOOKLINE_DELIVERY_COLUMNS
// Macros, not constants, so that SQL stays a single string literal (the
// statement cache keys on it).
#define HOOKLINE_ENDPOINT_COLUMNS                                                            \
  "id, url, description, event_types, secret, previous_secret, previous_secret_expires_at, " \
  "disabled, disabled_reason, created_at, updated_at, rate_limit_per_s, rate_limit_burst, "  \
  "max_in_flight, consecutive_failures, failing_since, circuit_open_until, operations"
#define HOOKLINE_DELIVERY_COLUMNS                                                                \
  "id, event_id, endpoint_id, status, attempts, next_attempt_at, last_status_code, last_error, " \
  "created_at, updated_at"

}  // namespace hookline::db
