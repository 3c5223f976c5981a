// SqliteOutbox: the operations endpoint and the notices stored for it.
#include "hookline/ids.h"
#include "sqlite_outbox_impl.h"

namespace hookline::db {
namespace {

Result<std::optional<Endpoint>> SelectOperationsEndpoint(Connection& conn) {
  Statement& s =
      conn.Cached("SELECT " HOOKLINE_ENDPOINT_COLUMNS " FROM endpoints WHERE operations = 1");
  auto row = s.Step();
  if (!row.ok()) return row.status();
  std::optional<Endpoint> e;
  if (*row) e = ReadEndpoint(s);
  s.Reset();
  return e;
}

}  // namespace

Result<std::optional<Endpoint>> SqliteOutbox::ConfigureOperationsEndpoint(
    const OperationsEndpointSpec& spec) {
  std::optional<Endpoint> result;
  Status s = writer_->Run([&](Connection& conn) -> Status {
    auto found = SelectOperationsEndpoint(conn);
    if (!found.ok()) return found.status();
    std::optional<Endpoint> e = std::move(found).value();
    if (!e && spec.url.empty()) {
      result.reset();
      return Status::Ok();
    }
    if (!e) {
      Endpoint n;
      n.id = NewId("ep_");
      n.url = spec.url;
      n.description = "hookd operational webhooks (--ops-endpoint)";
      n.secret = spec.secret;
      n.operations = true;
      n.created_at = n.updated_at = spec.now;
      HOOKLINE_RETURN_IF_ERROR(
          conn.Cached("INSERT INTO endpoints(" HOOKLINE_ENDPOINT_COLUMNS
                      ") VALUES(?1, ?2, ?3, '[]', ?4, NULL, NULL, 0, '', ?5, ?5, NULL, NULL, "
                      "NULL, 0, NULL, 0, 1)")
              .Bind(1, n.id)
              .Bind(2, n.url)
              .Bind(3, n.description)
              .Bind(4, n.secret)
              .Bind(5, spec.now)
              .Run());
      result = std::move(n);
      return Status::Ok();
    }
    const bool was_disabled = e->disabled;
    bool hookd_disabled_it = e->disabled && e->disabled_reason == kOperationsNotConfigured;
    if (spec.url.empty()) {
      if (!e->disabled) {
        e->disabled = true;
        e->disabled_reason = std::string(kOperationsNotConfigured);
      }
    } else {
      e->url = spec.url;
      if (spec.replace_secret && e->secret != spec.secret) {
        // The old secret stops at once: the operator who passed a new one
        // configured the receiver for it (there is no rotation grace here).
        e->secret = spec.secret;
        e->previous_secret.clear();
        e->previous_secret_expires_at = 0;
      }
      if (hookd_disabled_it) {
        e->disabled = false;
        e->disabled_reason.clear();
      }
    }
    e->updated_at = spec.now;
    HOOKLINE_RETURN_IF_ERROR(
        conn.Cached("UPDATE endpoints SET url = ?2, secret = ?3, previous_secret = ?4, "
                    "previous_secret_expires_at = ?5, disabled = ?6, disabled_reason = ?7, "
                    "updated_at = ?8 WHERE id = ?1")
            .Bind(1, e->id)
            .Bind(2, e->url)
            .Bind(3, e->secret)
            .Bind(4, e->previous_secret.empty() ? std::nullopt
                                                : std::optional<std::string>(e->previous_secret))
            .Bind(5, e->previous_secret.empty()
                         ? std::nullopt
                         : std::optional<int64_t>(e->previous_secret_expires_at))
            .Bind(6, e->disabled ? 1 : 0)
            .Bind(7, e->disabled_reason)
            .Bind(8, spec.now)
            .Run());
    // Pauses or resumes the notices waiting for it, like any endpoint.
    if (e->disabled != was_disabled) {
      HOOKLINE_RETURN_IF_ERROR(SetEndpointPaused(conn, e->id, e->disabled, spec.now));
    }
    result = std::move(e);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

Status SqliteOutbox::StoreNotice(Connection& conn, const Notice& notice) {
  Statement& ops = conn.Cached("SELECT id, disabled FROM endpoints WHERE operations = 1");
  auto row = ops.Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Ok();  // deleted through the API while hookd ran
  std::string endpoint = ops.Text(0);
  bool paused = ops.Int(1) != 0;
  ops.Reset();
  const Event& ev = notice.event;
  HOOKLINE_RETURN_IF_ERROR(
      conn.Cached("INSERT INTO events(id, type, body, created_at) VALUES(?1, ?2, ?3, ?4)")
          .Bind(1, ev.id)
          .Bind(2, ev.type)
          .BindBlob(3, ev.body)
          .Bind(4, ev.created_at)
          .Run());
  return conn
      .Cached(
          "INSERT INTO deliveries(id, event_id, endpoint_id, status, next_attempt_at, created_at, "
          "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?5, ?5)")
      .Bind(1, NewId("dlv_"))
      .Bind(2, ev.id)
      .Bind(3, endpoint)
      .Bind(4, static_cast<int64_t>(paused ? DeliveryStatus::kPaused : DeliveryStatus::kPending))
      .Bind(5, ev.created_at)
      .Run();
}

}  // namespace hookline::db
