// SqliteOutbox: the dispatcher's side (claims, outcomes, leases).
//
// These writes commit without an fsync of their own (Durability::kProcessCrash):
// they survive a crash of hookd, and what a power loss could undo is a claim or
// an attempt record, i.e. one more delivery attempt, which at-least-once
// delivery allows. The next acknowledged ingest's fsync makes them durable too.
#include <map>
#include <optional>

#include "sqlite_outbox_impl.h"

namespace hookline::db {

Result<std::vector<ClaimedDelivery>> SqliteOutbox::ClaimDue(int64_t now, int limit,
                                                            int64_t lease_until,
                                                            const ClaimLimits& limits) {
  std::map<std::string, int, std::less<>> allowed(limits.per_endpoint.begin(),
                                                  limits.per_endpoint.end());
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
        // Walks the due index (in next_attempt_at order, and holding everything
        // the walk reads, so it reads no table rows) and takes what each
        // endpoint's allowance admits. INDEXED BY: without statistics the
        // planner prefers deliveries_by_status and sorts the whole backlog
        // (measured 25 ms per claim at 20k pending, 0.1 ms on the due index).
        //
        // Rows of endpoints at their allowance are skipped, at most max_skip
        // per stretch: once from the head (the oldest due work), once from
        // where the previous claim's walk stopped. So a claim costs a bounded
        // walk however large one endpoint's backlog is (a full walk of 5000
        // rows per claim was 40 % of hookd's CPU while it drained one
        // endpoint), and an endpoint whose work lies behind another's backlog
        // is still reached, a stretch per claim.
        std::map<std::string, int, std::less<>> taken;
        enum class End { kFull, kExhausted, kBudget };
        std::optional<DueKey> last;  // the row a stretch stopped on
        auto walk = [&](Statement& due) -> Result<End> {
          int skipped = 0;
          for (;;) {
            if (static_cast<int>(claimed.size()) >= limit) return End::kFull;
            auto row = due.Step();
            if (!row.ok()) return row.status();
            if (!*row) return End::kExhausted;
            std::string_view endpoint = due.TextView(1);
            auto a = allowed.find(endpoint);
            int allowance = a == allowed.end() ? limits.default_per_endpoint : a->second;
            auto t = taken.find(endpoint);
            if (t == taken.end()) t = taken.emplace(std::string(endpoint), 0).first;
            last = DueKey{due.Int(0), std::string(endpoint), due.Text(2)};
            if (t->second >= allowance) {
              if (++skipped >= limits.max_skip) return End::kBudget;
              continue;
            }
            ++t->second;
            ClaimedDelivery c;
            c.delivery_id = due.Text(2);
            c.endpoint_id = std::string(endpoint);
            claimed.push_back(std::move(c));
          }
        };
        Statement& head = conn.Cached(
            "SELECT next_attempt_at, endpoint_id, id FROM deliveries INDEXED BY deliveries_due "
            "WHERE status = 0 AND next_attempt_at <= ?1 "
            "ORDER BY next_attempt_at, endpoint_id, id");
        auto end = walk(head.Bind(1, now));
        head.Reset();
        if (!end.ok()) return end.status();
        if (*end == End::kBudget) {
          // Go on after the head stretch, or further where the last claim stopped.
          DueKey from = *last;
          if (claim_cursor_ && *claim_cursor_ > from) from = *claim_cursor_;
          Statement& after = conn.Cached(
              "SELECT next_attempt_at, endpoint_id, id FROM deliveries INDEXED BY deliveries_due "
              "WHERE status = 0 AND next_attempt_at <= ?1 "
              "AND (next_attempt_at, endpoint_id, id) > (?2, ?3, ?4) "
              "ORDER BY next_attempt_at, endpoint_id, id");
          end = walk(after.Bind(1, now).Bind(2, from.at).Bind(3, from.endpoint).Bind(4, from.id));
          after.Reset();
          if (!end.ok()) return end.status();
        }
        // The next claim goes on from here, unless this walk saw all that is due.
        if (*end == End::kExhausted) {
          claim_cursor_.reset();
        } else if (last && (!claim_cursor_ || *last > *claim_cursor_)) {
          claim_cursor_ = last;
        }
        Statement& mark = conn.Cached(
            "UPDATE deliveries SET status = 1, lease_until = ?2, updated_at = ?3 "
            "WHERE id = ?1 AND status = 0 RETURNING event_id, schedule_step");
        Statement& details = conn.Cached(
            "SELECT e.type, e.body, e.created_at, p.url, p.secret, p.previous_secret, "
            "p.previous_secret_expires_at, p.rate_limit_per_s, p.rate_limit_burst, "
            "p.max_in_flight, p.consecutive_failures, p.failing_since, p.circuit_open_until "
            "FROM events e, endpoints p WHERE e.id = ?1 AND p.id = ?2");
        for (ClaimedDelivery& c : claimed) {
          mark.Reset();
          auto row = mark.Bind(1, c.delivery_id).Bind(2, lease_until).Bind(3, now).Step();
          if (!row.ok()) return row.status();
          if (!*row) return Status::Internal("due delivery " + c.delivery_id + " vanished");
          c.event_id = mark.Text(0);
          c.attempts_made = static_cast<int>(mark.Int(1));
          mark.Reset();
          details.Reset();
          row = details.Bind(1, c.event_id).Bind(2, c.endpoint_id).Step();
          if (!row.ok()) return row.status();
          if (!*row) {
            return Status::Internal("claimed delivery " + c.delivery_id +
                                    " lost its event or endpoint");
          }
          c.event_type = details.Text(0);
          c.body = details.Text(1);
          c.event_created_at = details.Int(2);
          c.url = details.Text(3);
          c.secrets.push_back(details.Text(4));
          if (!details.IsNull(5) && details.Int(6) > now) c.secrets.push_back(details.Text(5));
          c.limits = ReadEndpointLimits(details, 7);
          c.health.consecutive_failures = static_cast<int>(details.Int(10));
          c.health.failing_since = details.IsNull(11) ? 0 : details.Int(11);
          c.health.circuit_open_until = details.Int(12);
        }
        details.Reset();
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
          if (o.health) HOOKLINE_RETURN_IF_ERROR(RecordHealth(conn, o));
          bool disabled_now = false;
          if (!o.disable_endpoint_reason.empty()) {
            routes_stale_ = true;
            Statement& disable = conn.Cached(
                "UPDATE endpoints SET disabled = 1, disabled_reason = ?2, updated_at = ?3 "
                "WHERE id = ?1 AND disabled = 0");
            HOOKLINE_RETURN_IF_ERROR(disable.Bind(1, o.endpoint_id)
                                         .Bind(2, o.disable_endpoint_reason)
                                         .Bind(3, o.attempt.attempted_at)
                                         .Run());
            if (disable.changes() > 0) {
              disabled_now = true;
              HOOKLINE_RETURN_IF_ERROR(
                  SetEndpointPaused(conn, o.endpoint_id, true, o.attempt.attempted_at));
            }
          }
          for (const Notice& n : o.notices) {
            if (n.only_if_disabled_now && !disabled_now) continue;
            HOOKLINE_RETURN_IF_ERROR(StoreNotice(conn, n));
          }
        }
        return Status::Ok();
      },
      GroupCommitter::Durability::kProcessCrash);
}

Status SqliteOutbox::ReleaseClaims(const std::vector<Release>& releases) {
  if (releases.empty()) return Status::Ok();
  return writer_->Run(
      [&](Connection& conn) -> Status {
        Statement& release = conn.Cached(
            "UPDATE deliveries SET status = 0, lease_until = NULL, next_attempt_at = ?2 "
            "WHERE id = ?1 AND status = 1");
        for (const Release& r : releases) {
          release.Reset();
          HOOKLINE_RETURN_IF_ERROR(release.Bind(1, r.delivery_id).Bind(2, r.due_at).Run());
        }
        return Status::Ok();
      },
      GroupCommitter::Durability::kProcessCrash);
}

Status SqliteOutbox::RecordHealth(Connection& conn, const Outcome& o) {
  const EndpointHealth& h = *o.health;
  HOOKLINE_RETURN_IF_ERROR(
      conn.Cached("UPDATE endpoints SET consecutive_failures = ?2, failing_since = ?3, "
                  "circuit_open_until = ?4 WHERE id = ?1")
          .Bind(1, o.endpoint_id)
          .Bind(2, h.consecutive_failures)
          .Bind(3, h.failing_since == 0 ? std::nullopt : std::optional<int64_t>(h.failing_since))
          .Bind(4, h.circuit_open_until)
          .Run());
  bool opened = h.circuit_open_until > o.attempt.attempted_at;
  // New deliveries take the breaker's time from the route cache: reload it
  // when the breaker opens or the endpoint recovers.
  if (opened || h.consecutive_failures == 0) routes_stale_ = true;
  if (!opened) return Status::Ok();
  // The endpoint's backlog waits for the breaker in the database, not in claims
  // that would only be given back.
  return conn
      .Cached(
          "UPDATE deliveries SET next_attempt_at = ?2 "
          "WHERE endpoint_id = ?1 AND status = 0 AND next_attempt_at < ?2")
      .Bind(1, o.endpoint_id)
      .Bind(2, h.circuit_open_until)
      .Run();
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
