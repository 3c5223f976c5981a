// SqliteOutbox: the dispatcher's side (claims, outcomes, leases).
//
// These writes commit without an fsync of their own (Durability::kProcessCrash):
// they survive a crash of hookd, and what a power loss could undo is a claim or
// an attempt record, i.e. one more delivery attempt, which at-least-once
// delivery allows. The next acknowledged ingest's fsync makes them durable too.
#include "sqlite_outbox_impl.h"

namespace hookline::db {

Result<std::vector<ClaimedDelivery>> SqliteOutbox::ClaimDue(int64_t now, int limit,
                                                            int64_t lease_until) {
  std::vector<ClaimedDelivery> claimed;
  Status s = writer_->Run(
      [&](Connection& conn) -> Status {
        claimed.clear();
        // A lease that ran out belongs to an attempt that never reported (a crash):
        // the delivery is due again. At-least-once, never lost.
        HOOKLINE_RETURN_IF_ERROR(
            conn.Cached(
                    "UPDATE deliveries SET status = 0, lease_until = NULL, next_attempt_at = ?1 "
                    "WHERE status = 1 AND lease_until <= ?1")
                .Bind(1, now)
                .Run());
        // INDEXED BY: without statistics the planner prefers deliveries_by_status and
        // sorts the whole backlog (measured 25 ms per claim at 20k pending, 0.1 ms on
        // the partial due index, which is already in next_attempt_at order).
        Statement& claim = conn.Cached(
            "UPDATE deliveries SET status = 1, lease_until = ?2, updated_at = ?1 WHERE id IN ("
            " SELECT d.id FROM deliveries d INDEXED BY deliveries_due"
            " WHERE d.status = 0 AND d.next_attempt_at <= ?1"
            " AND EXISTS (SELECT 1 FROM endpoints e WHERE e.id = d.endpoint_id AND e.disabled = 0)"
            " ORDER BY d.next_attempt_at LIMIT ?3) "
            "RETURNING id, event_id, endpoint_id, schedule_step");
        claim.Bind(1, now).Bind(2, lease_until).Bind(3, limit);
        for (;;) {
          auto row = claim.Step();
          if (!row.ok()) return row.status();
          if (!*row) break;
          ClaimedDelivery c;
          c.delivery_id = claim.Text(0);
          c.event_id = claim.Text(1);
          c.endpoint_id = claim.Text(2);
          c.attempts_made = static_cast<int>(claim.Int(3));
          claimed.push_back(std::move(c));
        }
        Statement& details = conn.Cached(
            "SELECT e.type, e.body, e.created_at, p.url, p.secret, p.previous_secret, "
            "p.previous_secret_expires_at FROM events e, endpoints p WHERE e.id = ?1 AND p.id = "
            "?2");
        for (ClaimedDelivery& c : claimed) {
          details.Reset();
          auto row = details.Bind(1, c.event_id).Bind(2, c.endpoint_id).Step();
          if (!row.ok()) return row.status();
          if (!*row)
            return Status::Internal("claimed delivery " + c.delivery_id + " lost its event");
          c.event_type = details.Text(0);
          c.body = details.Text(1);
          c.event_created_at = details.Int(2);
          c.url = details.Text(3);
          c.secrets.push_back(details.Text(4));
          if (!details.IsNull(5) && details.Int(6) > now) c.secrets.push_back(details.Text(5));
        }
        return Status::Ok();
      },
      GroupCommitter::Durability::kProcessCrash);
  if (!s.ok()) return s;
  return claimed;
}

Result<std::optional<int64_t>> SqliteOutbox::NextDueAt() {
  return readers_.With([&](Connection& conn) -> Result<std::optional<int64_t>> {
    // Walks the due index in order and stops at the first enabled endpoint's row.
    Statement& due = conn.Cached(
        "SELECT d.next_attempt_at FROM deliveries d INDEXED BY deliveries_due "
        "WHERE d.status = 0 AND EXISTS ("
        " SELECT 1 FROM endpoints e WHERE e.id = d.endpoint_id AND e.disabled = 0) "
        "ORDER BY d.next_attempt_at LIMIT 1");
    std::optional<int64_t> next;
    auto row = due.Step();
    if (!row.ok()) return row.status();
    if (*row) next = due.Int(0);
    Statement& lease = conn.Cached("SELECT MIN(lease_until) FROM deliveries WHERE status = 1");
    row = lease.Step();
    if (!row.ok()) return row.status();
    if (*row && !lease.IsNull(0)) next = next ? std::min(*next, lease.Int(0)) : lease.Int(0);
    return next;
  });
}

Status SqliteOutbox::RecordOutcomes(const std::vector<Outcome>& outcomes) {
  if (outcomes.empty()) return Status::Ok();
  return writer_->Run(
      [&](Connection& conn) -> Status {
        Statement& attempt = conn.Cached(
            "INSERT INTO attempts(delivery_id, attempted_at, status_code, error, latency_ms, "
            "response_excerpt) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
        Statement& update = conn.Cached(
            "UPDATE deliveries SET status = ?2, attempts = attempts + 1, "
            "schedule_step = schedule_step + 1, next_attempt_at = ?3, lease_until = NULL, "
            "last_status_code = ?4, last_error = ?5, updated_at = ?6 WHERE id = ?1");
        for (const Outcome& o : outcomes) {
          std::optional<int64_t> code;
          if (o.attempt.status_code) code = *o.attempt.status_code;
          attempt.Reset();
          HOOKLINE_RETURN_IF_ERROR(attempt.Bind(1, o.delivery_id)
                                       .Bind(2, o.attempt.attempted_at)
                                       .Bind(3, code)
                                       .Bind(4, o.attempt.error)
                                       .Bind(5, o.attempt.latency_ms)
                                       .Bind(6, o.attempt.response_excerpt)
                                       .Run());
          update.Reset();
          HOOKLINE_RETURN_IF_ERROR(update.Bind(1, o.delivery_id)
                                       .Bind(2, static_cast<int64_t>(o.next_status))
                                       .Bind(3, o.next_attempt_at)
                                       .Bind(4, code)
                                       .Bind(5, o.attempt.error)
                                       .Bind(6, o.attempt.attempted_at)
                                       .Run());
          if (!o.disable_endpoint_reason.empty()) {
            routes_stale_ = true;
            HOOKLINE_RETURN_IF_ERROR(
                conn.Cached(
                        "UPDATE endpoints SET disabled = 1, disabled_reason = ?2, updated_at = ?3 "
                        "WHERE id = ?1 AND disabled = 0")
                    .Bind(1, o.endpoint_id)
                    .Bind(2, o.disable_endpoint_reason)
                    .Bind(3, o.attempt.attempted_at)
                    .Run());
          }
        }
        return Status::Ok();
      },
      GroupCommitter::Durability::kProcessCrash);
}

Status SqliteOutbox::ReleaseClaims(const std::vector<std::string>& delivery_ids, int64_t now) {
  if (delivery_ids.empty()) return Status::Ok();
  return writer_->Run(
      [&](Connection& conn) -> Status {
        Statement& release = conn.Cached(
            "UPDATE deliveries SET status = 0, lease_until = NULL, next_attempt_at = ?2, "
            "updated_at = ?2 WHERE id = ?1 AND status = 1");
        for (const std::string& id : delivery_ids) {
          release.Reset();
          HOOKLINE_RETURN_IF_ERROR(release.Bind(1, id).Bind(2, now).Run());
        }
        return Status::Ok();
      },
      GroupCommitter::Durability::kProcessCrash);
}

Result<int64_t> SqliteOutbox::ReleaseAllInflight(int64_t now) {
  int64_t released = 0;
  Status s = writer_->Run(
      [&](Connection& conn) -> Status {
        Statement& st = conn.Cached(
            "UPDATE deliveries SET status = 0, lease_until = NULL, next_attempt_at = ?1, "
            "updated_at = ?1 WHERE status = 1");
        HOOKLINE_RETURN_IF_ERROR(st.Bind(1, now).Run());
        released = st.changes();
        return Status::Ok();
      },
      GroupCommitter::Durability::kProcessCrash);
  if (!s.ok()) return s;
  return released;
}

}  // namespace hookline::db
