// /v1/events and /v1/deliveries
#include "api_common.h"
#include "api_routes.h"
#include "hookd_metrics.h"
#include "hookline/crypto.h"
#include "hookline/encoding.h"
#include "hookline/ids.h"

namespace hookline::sender::api {
namespace {

Status ValidateIdempotencyKey(const std::string& key) {
  if (key.size() > kMaxIdempotencyKey) {
    return Status::InvalidArgument("Idempotency-Key is longer than " +
                                   std::to_string(kMaxIdempotencyKey) + " characters");
  }
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7E)
      return Status::InvalidArgument("Idempotency-Key must be printable ASCII");
  }
  return Status::Ok();
}

void PostEvent(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string key = req.get_header_value("Idempotency-Key");
  if (Status s = ValidateIdempotencyKey(key); !s.ok()) return SendStatus(res, s);
  auto body = ParseObjectBody(req, res);
  if (!body) return;
  auto event = ParseEventRequest(*body);
  if (!event.ok()) return SendStatus(res, event.status());

  int64_t now = ctx.clock.NowUnixMillis();
  db::IngestRequest in;
  in.event.id = event->id ? *event->id : NewEventId();
  in.event.type = event->type;
  in.event.created_at = now;
  // Serialized once, here: every attempt sends and signs exactly these bytes.
  Json payload{{"type", in.event.type},
               {"timestamp", FormatRfc3339(FromUnixMillis(now))},
               {"data", std::move(event->data)}};
  in.event.body = payload.dump(-1, ' ', false, Json::error_handler_t::strict);
  in.idempotency_key = key;
  if (!key.empty()) in.request_hash = HexEncode(HmacSha256Once("hookline-idempotency", req.body));
  in.now = now;
  auto result = ctx.outbox.Ingest(in);
  if (!result.ok()) return SendStatus(res, result.status());
  if (result->replay) res.set_header("Idempotent-Replayed", "true");
  if (result->deliveries > 0 && !result->replay) ctx.dispatcher.Notify();
  if (ctx.options.metrics && !result->replay) ctx.options.metrics->RecordIngested();
  SendJson(res, 202, Json{{"id", result->event_id}, {"deliveries", result->deliveries}});
}

void GetEvent(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto event = ctx.outbox.GetEvent(req.matches[1].str());
  if (!event.ok()) return SendStatus(res, event.status());
  db::DeliveryFilter f;
  f.event_id = event->id;
  f.limit = 1000;
  auto deliveries = ctx.outbox.ListDeliveries(f);
  if (!deliveries.ok()) return SendStatus(res, deliveries.status());
  Json list = Json::array();
  for (const auto& d : deliveries->items) list.push_back(DeliveryJson(d));
  Json stored = Json::parse(event->body, nullptr, false);
  SendJson(res, 200,
           Json{{"id", event->id},
                {"type", event->type},
                {"created_at", FormatRfc3339(FromUnixMillis(event->created_at))},
                {"payload", stored},
                {"deliveries", list}});
}

void ListDeliveries(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  db::DeliveryFilter f;
  if (req.has_param("status")) {
    auto st = db::ParseDeliveryStatus(req.get_param_value("status"));
    if (!st) {
      return SendError(res, 400, "invalid_argument",
                       "'status' must be pending, inflight, succeeded, failed or paused");
    }
    f.status = st;
  }
  f.endpoint_id = req.get_param_value("endpoint_id");
  f.event_id = req.get_param_value("event_id");
  f.cursor = req.get_param_value("cursor");
  for (const char* name : {"since", "until"}) {
    if (!req.has_param(name)) continue;
    auto t = ParseTimeParam(name, req.get_param_value(name));
    if (!t.ok()) return SendStatus(res, t.status());
    (std::string_view(name) == "since" ? f.since : f.until) = *t;
  }
  auto limit = ParseLimit(req);
  if (!limit.ok()) return SendStatus(res, limit.status());
  f.limit = *limit;
  auto page = ctx.outbox.ListDeliveries(f);
  if (!page.ok()) return SendStatus(res, page.status());
  SendJson(res, 200, PageJson(*page, DeliveryJson));
}

void GetDelivery(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto d = ctx.outbox.GetDelivery(req.matches[1].str());
  if (!d.ok()) return SendStatus(res, d.status());
  auto attempts = ctx.outbox.ListAttempts(d->id);
  if (!attempts.ok()) return SendStatus(res, attempts.status());
  Json out = DeliveryJson(*d);
  Json history = Json::array();
  for (const auto& a : *attempts) history.push_back(AttemptJson(a));
  out["history"] = history;
  SendJson(res, 200, out);
}

void RetryOne(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto d = ctx.outbox.RetryDelivery(req.matches[1].str(), ctx.clock.NowUnixMillis());
  if (!d.ok()) return SendStatus(res, d.status());
  ctx.dispatcher.Notify();
  SendJson(res, 202, DeliveryJson(*d));
}

void RetryMany(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = ParseObjectBody(req, res);
  if (!body) return;
  Status s = CheckFields(*body, {"status", "endpoint_id", "since", "until", "dry_run"});
  auto status = OptionalString(*body, "status");
  auto endpoint = OptionalString(*body, "endpoint_id");
  auto since = OptionalString(*body, "since");
  auto until = OptionalString(*body, "until");
  auto dry_run = OptionalBool(*body, "dry_run");
  for (const Status* st : {&status.status(), &endpoint.status(), &since.status(), &until.status(),
                           &dry_run.status()}) {
    if (s.ok()) s = *st;
  }
  if (s.ok() && *status && **status != "failed") {
    s = Status::InvalidArgument(
        "'status' can only be \"failed\": only failed deliveries are re-driven");
  }
  db::RetryFilter f;
  f.endpoint_id = endpoint->value_or("");
  for (auto [name, text, out] :
       {std::tuple{"since", &*since, &f.since}, std::tuple{"until", &*until, &f.until}}) {
    if (!s.ok() || !*text) continue;
    auto t = ParseTimeParam(name, **text);
    if (t.ok())
      *out = *t;
    else
      s = t.status();
  }
  if (s.ok() && !f.endpoint_id.empty()) {
    // A typo in the id must not read as "nothing to retry".
    if (auto ep = ctx.outbox.GetEndpoint(f.endpoint_id); !ep.ok()) s = ep.status();
  }
  if (!s.ok()) return SendStatus(res, s);
  bool dry = dry_run->value_or(false);
  auto n = ctx.outbox.RetryFailed(f, dry, ctx.clock.NowUnixMillis());
  if (!n.ok()) return SendStatus(res, n.status());
  if (!dry && *n > 0) ctx.dispatcher.Notify();
  SendJson(res, dry ? 200 : 202, Json{{"count", *n}, {"dry_run", dry}});
}

void Stats(const Context& ctx, const httplib::Request&, httplib::Response& res) {
  auto counts = ctx.outbox.CountDeliveries();
  if (!counts.ok()) return SendStatus(res, counts.status());
  auto failing = ctx.outbox.FailingEndpoints(20);
  if (!failing.ok()) return SendStatus(res, failing.status());
  Json endpoints = Json::array();
  for (const auto& f : *failing) {
    Json e{{"id", f.endpoint_id}, {"failed", f.failed}};
    if (auto ep = ctx.outbox.GetEndpoint(f.endpoint_id); ep.ok()) {
      e["url"] = ep->url;
      e["disabled"] = ep->disabled;
    } else {
      e["url"] = nullptr;  // deleted since
      e["disabled"] = true;
    }
    endpoints.push_back(e);
  }
  int64_t now = ctx.clock.NowUnixMillis();
  Json oldest = nullptr;
  if (counts->oldest_due_at) {
    oldest = Json{{"due_at", FormatRfc3339(FromUnixMillis(*counts->oldest_due_at))},
                  {"age_seconds", std::max<int64_t>(0, now - *counts->oldest_due_at) / 1000}};
  }
  SendJson(res, 200,
           Json{{"deliveries",
                 {{"pending", counts->pending},
                  {"inflight", counts->inflight},
                  {"succeeded", counts->succeeded},
                  {"failed", counts->failed}}},
                {"oldest_pending", oldest},
                {"failing_endpoints", endpoints}});
}

}  // namespace

void RegisterEventRoutes(Router& server, const Context& ctx) {
  server.Post("/v1/events", Authed(ctx, [&ctx](auto& q, auto& r) { PostEvent(ctx, q, r); }));
  server.Get(R"(/v1/events/([A-Za-z0-9_.:\-]{1,64}))",
             Authed(ctx, [&ctx](auto& q, auto& r) { GetEvent(ctx, q, r); }));
}

void RegisterDeliveryRoutes(Router& server, const Context& ctx) {
  const char* one = R"(/v1/deliveries/(dlv_[A-Za-z0-9]{1,64}))";
  server.Get("/v1/deliveries",
             Authed(ctx, [&ctx](auto& q, auto& r) { ListDeliveries(ctx, q, r); }));
  server.Get(one, Authed(ctx, [&ctx](auto& q, auto& r) { GetDelivery(ctx, q, r); }));
  server.Post(std::string(one) + "/retry",
              Authed(ctx, [&ctx](auto& q, auto& r) { RetryOne(ctx, q, r); }));
  server.Post("/v1/deliveries/retry",
              Authed(ctx, [&ctx](auto& q, auto& r) { RetryMany(ctx, q, r); }));
  server.Get("/v1/stats", Authed(ctx, [&ctx](auto& q, auto& r) { Stats(ctx, q, r); }));
}

}  // namespace hookline::sender::api
