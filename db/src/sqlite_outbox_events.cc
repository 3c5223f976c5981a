// SqliteOutbox: ingest, events, deliveries and operator retries.
#include <algorithm>

#include "hookline/event_types.h"
#include "hookline/ids.h"
#include "sqlite_outbox_impl.h"

namespace hookline::db {
namespace {

Status NotFoundDelivery(std::string_view id) {
  return Status::NotFound("no delivery with id '" + std::string(id) + "'");
}

Result<Delivery> SelectDelivery(Connection& conn, std::string_view id) {
  Statement& s = conn.Cached("SELECT " HOOKLINE_DELIVERY_COLUMNS " FROM deliveries WHERE id = ?1");
  s.Bind(1, id);
  auto row = s.Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundDelivery(id);
  return ReadDelivery(s);
}

}  // namespace

Result<IngestResult> SqliteOutbox::Ingest(const IngestRequest& req) {
  IngestResult result;
  Status s = writer_->Run([&](Connection& conn) -> Status {
    if (!req.idempotency_key.empty()) {
      Statement& find = conn.Cached(
          "SELECT request_hash, event_id, deliveries, created_at FROM idempotency_keys "
          "WHERE key = ?1");
      find.Bind(1, req.idempotency_key);
      auto row = find.Step();
      if (!row.ok()) return row.status();
      if (*row && find.Int(3) > req.now - kIdempotencyKeyTtl.count()) {
        if (find.TextView(0) != req.request_hash) {
          return Status::AlreadyExists(
              "Idempotency-Key was already used with a different request body");
        }
        result = IngestResult{find.Text(1), static_cast<int>(find.Int(2)), true};
        return Status::Ok();
      }
      find.Reset();
      if (*row) {  // expired: the key may be used afresh
        HOOKLINE_RETURN_IF_ERROR(conn.Cached("DELETE FROM idempotency_keys WHERE key = ?1")
                                     .Bind(1, req.idempotency_key)
                                     .Run());
      }
    }
    Status inserted = conn.Cached(
                              "INSERT INTO events(id, type, body, created_at) "
                              "VALUES(?1, ?2, ?3, ?4)")
                          .Bind(1, req.event.id)
                          .Bind(2, req.event.type)
                          .BindBlob(3, req.event.body)
                          .Bind(4, req.event.created_at)
                          .Run();
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("an event with id '" + req.event.id + "' already exists");
    }
    HOOKLINE_RETURN_IF_ERROR(inserted);
    HOOKLINE_RETURN_IF_ERROR(LoadRoutesIfStale(conn));
    int deliveries = 0;
    Statement& add = conn.Cached(
        "INSERT INTO deliveries(id, event_id, endpoint_id, status, next_attempt_at, created_at, "
        "updated_at) VALUES(?1, ?2, ?3, 0, ?4, ?5, ?5)");
    for (const Route& route : routes_) {
      if (!MatchesEventType(route.filters, req.event.type)) continue;
      add.Reset();
      HOOKLINE_RETURN_IF_ERROR(add.Bind(1, NewId("dlv_"))
                                   .Bind(2, req.event.id)
                                   .Bind(3, route.endpoint_id)
                                   .Bind(4, std::max(req.now, route.circuit_open_until))
                                   .Bind(5, req.now)
                                   .Run());
      ++deliveries;
    }
    if (!req.idempotency_key.empty()) {
      HOOKLINE_RETURN_IF_ERROR(
          conn.Cached("INSERT INTO idempotency_keys(key, request_hash, event_id, deliveries, "
                      "created_at) VALUES(?1, ?2, ?3, ?4, ?5)")
              .Bind(1, req.idempotency_key)
              .Bind(2, req.request_hash)
              .Bind(3, req.event.id)
              .Bind(4, deliveries)
              .Bind(5, req.now)
              .Run());
    }
    result = IngestResult{req.event.id, deliveries, false};
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

Result<Event> SqliteOutbox::GetEvent(std::string_view id) {
  return readers_.With([&](Connection& conn) -> Result<Event> {
    Statement& s = conn.Cached("SELECT id, type, body, created_at FROM events WHERE id = ?1");
    s.Bind(1, id);
    auto row = s.Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::NotFound("no event with id '" + std::string(id) + "'");
    return Event{s.Text(0), s.Text(1), s.Text(2), s.Int(3)};
  });
}

Result<Page<Delivery>> SqliteOutbox::ListDeliveries(const DeliveryFilter& f) {
  int limit = std::clamp(f.limit, 1, kMaxPageSize);
  return readers_.With([&](Connection& conn) -> Result<Page<Delivery>> {
    Statement& s = conn.Cached(
        "SELECT " HOOKLINE_DELIVERY_COLUMNS
        " FROM deliveries WHERE (?1 IS NULL OR status = ?1) AND (?2 = '' OR endpoint_id = ?2) "
        "AND (?3 = '' OR event_id = ?3) AND (?4 IS NULL OR created_at >= ?4) "
        "AND (?5 IS NULL OR created_at < ?5) AND id > ?6 ORDER BY id LIMIT ?7");
    if (f.status) {
      s.Bind(1, static_cast<int64_t>(*f.status));
    } else {
      s.BindNull(1);
    }
    s.Bind(2, f.endpoint_id).Bind(3, f.event_id).Bind(4, f.since).Bind(5, f.until);
    s.Bind(6, f.cursor).Bind(7, limit + 1);
    return ReadPage<Delivery>(s, limit, ReadDelivery);
  });
}

Result<Delivery> SqliteOutbox::GetDelivery(std::string_view id) {
  return readers_.With([&](Connection& conn) { return SelectDelivery(conn, id); });
}

Result<std::vector<Attempt>> SqliteOutbox::ListAttempts(std::string_view delivery_id) {
  return readers_.With([&](Connection& conn) -> Result<std::vector<Attempt>> {
    Statement& s = conn.Cached(
        "SELECT attempted_at, status_code, error, latency_ms, response_excerpt FROM attempts "
        "WHERE delivery_id = ?1 ORDER BY id");
    s.Bind(1, delivery_id);
    std::vector<Attempt> out;
    for (;;) {
      auto row = s.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      Attempt a;
      a.attempted_at = s.Int(0);
      if (!s.IsNull(1)) a.status_code = static_cast<int>(s.Int(1));
      a.error = s.Text(2);
      a.latency_ms = s.Int(3);
      a.response_excerpt = s.Text(4);
      out.push_back(std::move(a));
    }
    return out;
  });
}

Result<Delivery> SqliteOutbox::RetryDelivery(std::string_view id, int64_t now) {
  Delivery updated;
  Status s = writer_->Run([&](Connection& conn) -> Status {
    auto current = SelectDelivery(conn, id);
    if (!current.ok()) return current.status();
    if (current->status == DeliveryStatus::kPending ||
        current->status == DeliveryStatus::kInflight) {
      return Status::FailedPrecondition("delivery '" + std::string(id) + "' is already " +
                                        std::string(DeliveryStatusName(current->status)));
    }
    Statement& ep = conn.Cached("SELECT 1 FROM endpoints WHERE id = ?1");
    auto exists = ep.Bind(1, current->endpoint_id).Step();
    if (!exists.ok()) return exists.status();
    if (!*exists) {
      return Status::FailedPrecondition("endpoint '" + current->endpoint_id +
                                        "' of this delivery was deleted");
    }
    HOOKLINE_RETURN_IF_ERROR(
        conn.Cached("UPDATE deliveries SET status = 0, schedule_step = 0, next_attempt_at = ?2, "
                    "lease_until = NULL, updated_at = ?2 WHERE id = ?1")
            .Bind(1, id)
            .Bind(2, now)
            .Run());
    updated = std::move(current).value();
    updated.status = DeliveryStatus::kPending;
    updated.next_attempt_at = now;
    updated.updated_at = now;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return updated;
}

Result<int64_t> SqliteOutbox::RetryFailed(const RetryFilter& f, bool dry_run, int64_t now) {
  int64_t count = 0;
  Status s = writer_->Run([&](Connection& conn) -> Status {
    // Deliveries of deleted endpoints stay failed: there is nowhere to send them.
    Statement& st = dry_run ? conn.Cached(
                                  "SELECT COUNT(*) FROM deliveries WHERE status = 3 "
                                  "AND (?1 = '' OR endpoint_id = ?1) "
                                  "AND (?2 IS NULL OR created_at >= ?2) "
                                  "AND (?3 IS NULL OR created_at < ?3) "
                                  "AND endpoint_id IN (SELECT id FROM endpoints)")
                            : conn.Cached(
                                  "UPDATE deliveries SET status = 0, schedule_step = 0, "
                                  "next_attempt_at = ?4, updated_at = ?4 WHERE status = 3 "
                                  "AND (?1 = '' OR endpoint_id = ?1) "
                                  "AND (?2 IS NULL OR created_at >= ?2) "
                                  "AND (?3 IS NULL OR created_at < ?3) "
                                  "AND endpoint_id IN (SELECT id FROM endpoints)");
    st.Bind(1, f.endpoint_id).Bind(2, f.since).Bind(3, f.until);
    if (!dry_run) st.Bind(4, now);
    auto row = st.Step();
    if (!row.ok()) return row.status();
    count = dry_run ? st.Int(0) : st.changes();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return count;
}

Result<int64_t> SqliteOutbox::PurgeIdempotencyKeys(int64_t before, int limit) {
  int64_t purged = 0;
  Status s = writer_->Run(
      [&](Connection& conn) -> Status {
        Statement& st = conn.Cached(
            "DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys "
            "WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)");
        HOOKLINE_RETURN_IF_ERROR(st.Bind(1, before).Bind(2, limit).Run());
        purged = st.changes();
        return Status::Ok();
      },
      GroupCommitter::Durability::kProcessCrash);
  if (!s.ok()) return s;
  return purged;
}

Result<Counts> SqliteOutbox::CountDeliveries() {
  return readers_.With([&](Connection& conn) -> Result<Counts> {
    Statement& s = conn.Cached("SELECT status, COUNT(*) FROM deliveries GROUP BY status");
    Counts c;
    for (;;) {
      auto row = s.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      int64_t n = s.Int(1);
      switch (static_cast<DeliveryStatus>(s.Int(0))) {
        case DeliveryStatus::kPending:
          c.pending = n;
          break;
        case DeliveryStatus::kInflight:
          c.inflight = n;
          break;
        case DeliveryStatus::kSucceeded:
          c.succeeded = n;
          break;
        case DeliveryStatus::kFailed:
          c.failed = n;
          break;
        case DeliveryStatus::kPaused:
          c.paused = n;
          break;
      }
    }
    Statement& due = conn.Cached("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 0");
    auto row = due.Step();
    if (!row.ok()) return row.status();
    if (*row && !due.IsNull(0)) c.oldest_due_at = due.Int(0);
    return c;
  });
}

Result<std::vector<FailingEndpoint>> SqliteOutbox::FailingEndpoints(int limit) {
  return readers_.With([&](Connection& conn) -> Result<std::vector<FailingEndpoint>> {
    Statement& s = conn.Cached(
        "SELECT endpoint_id, COUNT(*) AS n FROM deliveries WHERE status = 3 "
        "GROUP BY endpoint_id ORDER BY n DESC, endpoint_id LIMIT ?1");
    s.Bind(1, limit);
    std::vector<FailingEndpoint> out;
    for (;;) {
      auto row = s.Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(FailingEndpoint{s.Text(0), s.Int(1)});
    }
    return out;
  });
}

}  // namespace hookline::db
