// SqliteOutbox: opening, endpoints and the routing cache.
#include <nlohmann/json.hpp>

#include "hookline/event_types.h"
#include "hookline/ids.h"
#include "migrations.h"
#include "sqlite_outbox_impl.h"

namespace hookline::db {
namespace {

std::string EncodeFilters(const std::vector<std::string>& filters) {
  return nlohmann::json(filters).dump();
}

std::vector<std::string> DecodeFilters(std::string_view text) {
  // Written only by EncodeFilters; a parse failure means a corrupted row, which
  // we read as "no filter" rather than taking the service down.
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

Status NotFoundEndpoint(std::string_view id) {
  return Status::NotFound("no endpoint with id '" + std::string(id) + "'");
}

Result<Endpoint> SelectEndpoint(Connection& conn, std::string_view id) {
  Statement& s = conn.Cached("SELECT " HOOKLINE_ENDPOINT_COLUMNS " FROM endpoints WHERE id = ?1");
  s.Bind(1, id);
  auto row = s.Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundEndpoint(id);
  return ReadEndpoint(s);
}

// NULL in the database means "not set", which the structs spell 0.
template <typename T>
std::optional<T> NullIfZero(T v) {
  return v == 0 ? std::nullopt : std::optional<T>(v);
}

}  // namespace

std::string_view DeliveryStatusName(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::kPending:
      return "pending";
    case DeliveryStatus::kInflight:
      return "inflight";
    case DeliveryStatus::kSucceeded:
      return "succeeded";
    case DeliveryStatus::kFailed:
      return "failed";
    case DeliveryStatus::kPaused:
      return "paused";
  }
  return "unknown";
}

std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view name) {
  for (auto s : {DeliveryStatus::kPending, DeliveryStatus::kInflight, DeliveryStatus::kSucceeded,
                 DeliveryStatus::kFailed, DeliveryStatus::kPaused}) {
    if (DeliveryStatusName(s) == name) return s;
  }
  return std::nullopt;
}

EndpointLimits ReadEndpointLimits(const Statement& s, int first) {
  EndpointLimits l;
  if (!s.IsNull(first)) l.rate_limit_per_s = s.Double(first);
  if (!s.IsNull(first + 1)) l.rate_limit_burst = static_cast<int>(s.Int(first + 1));
  if (!s.IsNull(first + 2)) l.max_in_flight = static_cast<int>(s.Int(first + 2));
  return l;
}

Endpoint ReadEndpoint(const Statement& s) {
  Endpoint e;
  e.id = s.Text(0);
  e.url = s.Text(1);
  e.description = s.Text(2);
  e.event_types = DecodeFilters(s.TextView(3));
  e.secret = s.Text(4);
  e.previous_secret = s.IsNull(5) ? "" : s.Text(5);
  e.previous_secret_expires_at = s.IsNull(6) ? 0 : s.Int(6);
  e.disabled = s.Int(7) != 0;
  e.disabled_reason = s.Text(8);
  e.created_at = s.Int(9);
  e.updated_at = s.Int(10);
  e.limits = ReadEndpointLimits(s, 11);
  e.health.consecutive_failures = static_cast<int>(s.Int(14));
  e.health.failing_since = s.IsNull(15) ? 0 : s.Int(15);
  e.health.circuit_open_until = s.Int(16);
  e.operations = s.Int(17) != 0;
  return e;
}

Delivery ReadDelivery(const Statement& s) {
  Delivery d;
  d.id = s.Text(0);
  d.event_id = s.Text(1);
  d.endpoint_id = s.Text(2);
  d.status = static_cast<DeliveryStatus>(s.Int(3));
  d.attempts = static_cast<int>(s.Int(4));
  d.next_attempt_at = s.Int(5);
  if (!s.IsNull(6)) d.last_status_code = static_cast<int>(s.Int(6));
  d.last_error = s.Text(7);
  d.created_at = s.Int(8);
  d.updated_at = s.Int(9);
  return d;
}

Status ReadPool::Open(const std::string& path, const ConnectionOptions& options, int n) {
  for (int i = 0; i < n; ++i) {
    auto conn = Connection::Open(path, options);
    if (!conn.ok()) return conn.status();
    free_.push_back(std::move(conn).value());
  }
  return Status::Ok();
}

Result<std::unique_ptr<SqliteOutbox>> SqliteOutbox::Open(const std::string& path,
                                                         const SqliteOutboxOptions& options) {
  ConnectionOptions conn_options;
  conn_options.synchronous_full = options.synchronous_full;
  conn_options.busy_timeout_ms = options.busy_timeout_ms;
  auto writer = Connection::Open(path, conn_options);
  if (!writer.ok()) return writer.status();
  HOOKLINE_RETURN_IF_ERROR(Migrate(**writer));

  std::unique_ptr<SqliteOutbox> outbox(new SqliteOutbox());
  HOOKLINE_RETURN_IF_ERROR(
      outbox->readers_.Open(path, conn_options, std::max(1, options.read_connections)));
  HOOKLINE_RETURN_IF_ERROR((*writer)->Exec("PRAGMA wal_autocheckpoint=0"));
  ConnectionOptions checkpoint_options = conn_options;
  checkpoint_options.busy_timeout_ms = 100;  // see Checkpointer: give way, retry later
  auto checkpoint_conn = Connection::Open(path, checkpoint_options);
  if (!checkpoint_conn.ok()) return checkpoint_conn.status();
  CommitObserver observer;
  if (options.metrics) {
    observer.commit_seconds = &options.metrics->AddHistogram(
        "hookline_db_commit_duration_seconds",
        "Time to run and commit one group of database writes, BEGIN to the end of COMMIT "
        "(includes the fsync).",
        metrics::ExponentialBuckets(0.00025, 2, 14));
    observer.group_jobs = &options.metrics->AddHistogram(
        "hookline_db_commit_batch_size", "Write operations committed together in one group.",
        metrics::ExponentialBuckets(1, 2, 9));
  }
  outbox->writer_ = std::make_unique<GroupCommitter>(std::move(writer).value(), options.max_batch,
                                                     options.synchronous_full, observer);
  outbox->checkpointer_ = std::make_unique<Checkpointer>(std::move(checkpoint_conn).value(),
                                                         std::chrono::milliseconds(200));
  SqliteOutbox* self = outbox.get();
  // A failed commit undid what jobs did to the writer-thread caches' sources.
  outbox->writer_->set_on_commit_failure([self] {
    self->routes_stale_ = true;
    self->event_purge_cursor_.clear();
  });
  return outbox;
}

Result<std::unique_ptr<Outbox>> OpenSqliteOutbox(const std::string& path,
                                                 const SqliteOutboxOptions& options) {
  auto outbox = SqliteOutbox::Open(path, options);
  if (!outbox.ok()) return outbox.status();
  return std::unique_ptr<Outbox>(std::move(outbox).value());
}

Status SqliteOutbox::LoadRoutesIfStale(Connection& conn) {
  if (!routes_stale_) return Status::Ok();
  Statement& s = conn.Cached(
      "SELECT id, event_types, circuit_open_until FROM endpoints "
      "WHERE disabled = 0 AND operations = 0 ORDER BY id");
  std::vector<Route> routes;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    routes.push_back(Route{s.Text(0), DecodeFilters(s.TextView(1)), s.Int(2)});
  }
  routes_ = std::move(routes);
  routes_stale_ = false;
  return Status::Ok();
}

Result<Endpoint> SqliteOutbox::CreateEndpoint(Endpoint e) {
  e.id = NewId("ep_");
  e.updated_at = e.created_at;
  Status s = writer_->Run([&](Connection& conn) {
    routes_stale_ = true;
    return conn
        .Cached(
            "INSERT INTO endpoints(" HOOKLINE_ENDPOINT_COLUMNS
            ") VALUES(?1, ?2, ?3, ?4, ?5, NULL, NULL, ?6, ?7, ?8, ?8, ?9, ?10, ?11, 0, NULL, 0, 0)")
        .Bind(1, e.id)
        .Bind(2, e.url)
        .Bind(3, e.description)
        .Bind(4, EncodeFilters(e.event_types))
        .Bind(5, e.secret)
        .Bind(6, e.disabled ? 1 : 0)
        .Bind(7, e.disabled_reason)
        .Bind(8, e.created_at)
        .Bind(9, NullIfZero(e.limits.rate_limit_per_s))
        .Bind(10, NullIfZero<int64_t>(e.limits.rate_limit_burst))
        .Bind(11, NullIfZero<int64_t>(e.limits.max_in_flight))
        .Run();
  });
  if (!s.ok()) return s;
  return e;
}

Result<Endpoint> SqliteOutbox::GetEndpoint(std::string_view id) {
  return readers_.With([&](Connection& conn) { return SelectEndpoint(conn, id); });
}

Result<Page<Endpoint>> SqliteOutbox::ListEndpoints(std::string_view cursor, int limit) {
  limit = std::clamp(limit, 1, kMaxPageSize);
  return readers_.With([&](Connection& conn) -> Result<Page<Endpoint>> {
    Statement& s = conn.Cached("SELECT " HOOKLINE_ENDPOINT_COLUMNS
                               " FROM endpoints WHERE id > ?1 ORDER BY id LIMIT ?2");
    s.Bind(1, cursor).Bind(2, limit + 1);
    return ReadPage<Endpoint>(s, limit, ReadEndpoint);
  });
}

Result<Endpoint> SqliteOutbox::UpdateEndpoint(std::string_view id, const EndpointPatch& patch,
                                              int64_t now) {
  Endpoint updated;
  Status s = writer_->Run([&](Connection& conn) -> Status {
    auto current = SelectEndpoint(conn, id);
    if (!current.ok()) return current.status();
    Endpoint e = std::move(current).value();
    if (patch.url) e.url = *patch.url;
    if (patch.description) e.description = *patch.description;
    if (patch.event_types) e.event_types = *patch.event_types;
    if (patch.rate_limit_per_s) e.limits.rate_limit_per_s = *patch.rate_limit_per_s;
    if (patch.rate_limit_burst) e.limits.rate_limit_burst = *patch.rate_limit_burst;
    if (patch.max_in_flight) e.limits.max_in_flight = *patch.max_in_flight;
    bool was_disabled = e.disabled;
    if (patch.disabled) {
      e.disabled = *patch.disabled;
      e.disabled_reason =
          e.disabled ? patch.disabled_reason.value_or("disabled by an operator") : "";
      // An operator who enables an endpoint wants it tried now, not after the
      // breaker's cool-down or the failure streak that disabled it.
      if (was_disabled && !e.disabled) e.health = EndpointHealth{};
    }
    e.updated_at = now;
    routes_stale_ = true;
    HOOKLINE_RETURN_IF_ERROR(
        conn.Cached("UPDATE endpoints SET url = ?2, description = ?3, event_types = ?4, "
                    "disabled = ?5, disabled_reason = ?6, updated_at = ?7, rate_limit_per_s = ?8, "
                    "rate_limit_burst = ?9, max_in_flight = ?10, consecutive_failures = ?11, "
                    "failing_since = ?12, circuit_open_until = ?13 WHERE id = ?1")
            .Bind(1, e.id)
            .Bind(2, e.url)
            .Bind(3, e.description)
            .Bind(4, EncodeFilters(e.event_types))
            .Bind(5, e.disabled ? 1 : 0)
            .Bind(6, e.disabled_reason)
            .Bind(7, now)
            .Bind(8, NullIfZero(e.limits.rate_limit_per_s))
            .Bind(9, NullIfZero<int64_t>(e.limits.rate_limit_burst))
            .Bind(10, NullIfZero<int64_t>(e.limits.max_in_flight))
            .Bind(11, e.health.consecutive_failures)
            .Bind(12, NullIfZero<int64_t>(e.health.failing_since))
            .Bind(13, e.health.circuit_open_until)
            .Run());
    if (was_disabled != e.disabled) {
      HOOKLINE_RETURN_IF_ERROR(SetEndpointPaused(conn, e.id, e.disabled, now));
    }
    updated = std::move(e);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return updated;
}

Status SqliteOutbox::SetEndpointPaused(Connection& conn, std::string_view id, bool paused,
                                       int64_t now) {
  if (paused) {
    return conn
        .Cached(
            "UPDATE deliveries SET status = 4, updated_at = ?2 "
            "WHERE endpoint_id = ?1 AND status = 0")
        .Bind(1, id)
        .Bind(2, now)
        .Run();
  }
  return conn
      .Cached(
          "UPDATE deliveries SET status = 0, next_attempt_at = MAX(next_attempt_at, ?2), "
          "updated_at = ?2 WHERE endpoint_id = ?1 AND status = 4")
      .Bind(1, id)
      .Bind(2, now)
      .Run();
}

Status SqliteOutbox::DeleteEndpoint(std::string_view id, int64_t now) {
  return writer_->Run([&](Connection& conn) -> Status {
    Statement& del = conn.Cached("DELETE FROM endpoints WHERE id = ?1");
    HOOKLINE_RETURN_IF_ERROR(del.Bind(1, id).Run());
    if (del.changes() == 0) return NotFoundEndpoint(id);
    routes_stale_ = true;
    // Nothing can be delivered to a deleted endpoint: say so on its open deliveries.
    return conn
        .Cached(
            "UPDATE deliveries SET status = 3, lease_until = NULL, "
            "last_error = 'endpoint deleted', updated_at = ?2 "
            "WHERE endpoint_id = ?1 AND status IN (0, 1, 4)")
        .Bind(1, id)
        .Bind(2, now)
        .Run();
  });
}

Result<Endpoint> SqliteOutbox::RotateSecret(std::string_view id, std::string new_secret,
                                            int64_t previous_expires_at, int64_t now) {
  Endpoint rotated;
  Status s = writer_->Run([&](Connection& conn) -> Status {
    auto current = SelectEndpoint(conn, id);
    if (!current.ok()) return current.status();
    Endpoint e = std::move(current).value();
    e.previous_secret = e.secret;
    e.previous_secret_expires_at = previous_expires_at;
    e.secret = new_secret;
    e.updated_at = now;
    HOOKLINE_RETURN_IF_ERROR(
        conn.Cached("UPDATE endpoints SET secret = ?2, previous_secret = ?3, "
                    "previous_secret_expires_at = ?4, updated_at = ?5 WHERE id = ?1")
            .Bind(1, e.id)
            .Bind(2, e.secret)
            .Bind(3, e.previous_secret)
            .Bind(4, previous_expires_at)
            .Bind(5, now)
            .Run());
    rotated = std::move(e);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return rotated;
}

Status SqliteOutbox::CheckWritable() {
  return writer_->Run(
      [](Connection& conn) {
        return conn.Cached("UPDATE heartbeat SET at = at + 1 WHERE id = 1").Run();
      },
      GroupCommitter::Durability::kProcessCrash);
}

}  // namespace hookline::db
