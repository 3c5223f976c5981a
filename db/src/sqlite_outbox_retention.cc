// SqliteOutbox: retention. Deleting history in small batches on the writer
// thread keeps each transaction short, so ingest and delivery never wait long
// behind it; freed pages are reused, so the file stops growing under a steady
// load instead of shrinking (no VACUUM, which would rewrite the whole file).
#include <utility>

#include "sqlite_outbox_impl.h"

namespace hookline::db {

Result<int64_t> SqliteOutbox::PurgeHistory(int64_t succeeded_before, int64_t failed_before,
                                           int limit) {
  int64_t purged = 0;
  Status s = writer_->Run(
      [&](Connection& conn) -> Status {
        purged = 0;
        std::vector<std::pair<std::string, std::string>> doomed;  // delivery id, event id
        // One index per status, because each has its own age limit.
        Statement& succeeded = conn.Cached(
            "SELECT id, event_id FROM deliveries INDEXED BY deliveries_succeeded_by_age "
            "WHERE status = 2 AND updated_at < ?1 ORDER BY updated_at LIMIT ?2");
        Statement& failed = conn.Cached(
            "SELECT id, event_id FROM deliveries INDEXED BY deliveries_failed_by_age "
            "WHERE status = 3 AND updated_at < ?1 ORDER BY updated_at LIMIT ?2");
        for (auto [st, before] :
             {std::pair{&succeeded, succeeded_before}, std::pair{&failed, failed_before}}) {
          int room = limit - static_cast<int>(doomed.size());
          if (room <= 0) break;
          st->Bind(1, before).Bind(2, room);
          for (;;) {
            auto row = st->Step();
            if (!row.ok()) return row.status();
            if (!*row) break;
            doomed.emplace_back(st->Text(0), st->Text(1));
          }
          st->Reset();
        }
        Statement& del_attempts = conn.Cached("DELETE FROM attempts WHERE delivery_id = ?1");
        Statement& del_delivery = conn.Cached("DELETE FROM deliveries WHERE id = ?1");
        // An event goes with its last delivery: nothing can be retried without it.
        Statement& del_event = conn.Cached(
            "DELETE FROM events WHERE id = ?1 AND created_at < ?2 "
            "AND NOT EXISTS (SELECT 1 FROM deliveries WHERE event_id = ?1)");
        for (const auto& [delivery, event] : doomed) {
          del_attempts.Reset();
          HOOKLINE_RETURN_IF_ERROR(del_attempts.Bind(1, delivery).Run());
          del_delivery.Reset();
          HOOKLINE_RETURN_IF_ERROR(del_delivery.Bind(1, delivery).Run());
          purged += del_delivery.changes();
          del_event.Reset();
          HOOKLINE_RETURN_IF_ERROR(del_event.Bind(1, event).Bind(2, succeeded_before).Run());
          purged += del_event.changes();
        }
        // Events that never had a delivery (no endpoint subscribed) are found by a
        // walk in id (= creation) order that resumes where it stopped, so events
        // kept for a failed delivery are not read again on every batch.
        int room = limit - static_cast<int>(doomed.size());
        if (room <= 0) return Status::Ok();
        Statement& walk =
            conn.Cached("SELECT id, created_at FROM events WHERE id > ?1 ORDER BY id LIMIT ?2");
        walk.Bind(1, event_purge_cursor_).Bind(2, room);
        std::vector<std::string> old_events;
        std::string cursor = event_purge_cursor_;
        for (;;) {
          auto row = walk.Step();
          if (!row.ok()) return row.status();
          if (!*row) break;
          if (walk.Int(1) >= succeeded_before) break;  // the rest is younger
          cursor = walk.Text(0);
          old_events.push_back(cursor);
        }
        walk.Reset();
        for (const std::string& event : old_events) {
          del_event.Reset();
          HOOKLINE_RETURN_IF_ERROR(del_event.Bind(1, event).Bind(2, succeeded_before).Run());
          purged += del_event.changes();
        }
        event_purge_cursor_ = std::move(cursor);
        return Status::Ok();
      },
      GroupCommitter::Durability::kProcessCrash);
  if (!s.ok()) return s;
  return purged;
}

}  // namespace hookline::db
