// /v1/endpoints
#include "api_common.h"
#include "api_routes.h"
#include "hookline/event_types.h"
#include "hookline/net_guard.h"
#include "hookline/secret.h"
#include "hookline/url.h"

namespace hookline::sender::api {
namespace {

Result<std::vector<std::string>> ParseFilters(const Json& body) {
  auto it = body.find("event_types");
  std::vector<std::string> out;
  if (it == body.end() || it->is_null()) return out;
  if (!it->is_array()) return Status::InvalidArgument("'event_types' must be an array of strings");
  if (it->size() > kMaxFilters) {
    return Status::InvalidArgument("'event_types' has more than " + std::to_string(kMaxFilters) +
                                   " entries");
  }
  for (const auto& v : *it) {
    if (!v.is_string()) return Status::InvalidArgument("'event_types' must be an array of strings");
    std::string f = v.get<std::string>();
    Status s = ValidateEventTypeFilter(f);
    if (!s.ok()) return s;
    out.push_back(std::move(f));
  }
  return out;
}

// rate_limit_per_s, rate_limit_burst and max_in_flight as a patch: absent
// fields stay unset, null sets 0 (no limit / hookd's default).
Result<db::EndpointPatch> ParseLimits(const Json& body) {
  db::EndpointPatch p;
  if (auto it = body.find("rate_limit_per_s"); it != body.end()) {
    if (it->is_null()) {
      p.rate_limit_per_s = 0;
    } else if (!it->is_number() || it->get<double>() <= 0 ||
               it->get<double>() > kMaxRatePerSecond) {
      return Status::InvalidArgument("'rate_limit_per_s' must be a number > 0 and <= " +
                                     std::to_string(static_cast<int>(kMaxRatePerSecond)) +
                                     ", or null for no limit");
    } else {
      p.rate_limit_per_s = it->get<double>();
    }
  }
  struct IntLimit {
    const char* name;
    int max;
    std::optional<int>* field;
  };
  for (IntLimit f : {IntLimit{"rate_limit_burst", kMaxBurst, &p.rate_limit_burst},
                     IntLimit{"max_in_flight", kMaxInFlight, &p.max_in_flight}}) {
    auto it = body.find(f.name);
    if (it == body.end()) continue;
    if (it->is_null()) {
      *f.field = 0;
    } else if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > f.max) {
      return Status::InvalidArgument(std::string("'") + f.name + "' must be an integer 1.." +
                                     std::to_string(f.max) + ", or null for the default");
    } else {
      *f.field = static_cast<int>(it->get<int64_t>());
    }
  }
  return p;
}

Json ShowEndpoint(const Context& ctx, const db::Endpoint& e) {
  return EndpointJson(e, ctx.options.breaker_threshold, ctx.clock.NowUnixMillis());
}

// Syntax (ParseUrl: http/https only, no credentials, ...), then the SSRF
// guard: every address the host resolves to now must be public. The
// dispatcher checks again at connect time, because DNS answers change. A host
// that does not resolve is refused too: it could not be delivered to, and a
// name that fails now is no evidence of where it will point later.
Status ValidateUrl(const Context& ctx, const std::string& url) {
  auto parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (ctx.options.allow_private_networks) return Status::Ok();
  const Resolver& resolver = ctx.options.resolver ? *ctx.options.resolver : SystemResolver();
  auto checked = ResolvePublicAddress(resolver, parsed->host);
  if (checked.status().code() == StatusCode::kPermissionDenied) {
    return Status::InvalidArgument("url host " + checked.status().message() +
                                   ", which is not allowed; start hookd with "
                                   "--allow-private-networks for local development");
  }
  if (!checked.ok()) {
    return Status::InvalidArgument("url host " + checked.status().message() +
                                   "; an endpoint's host must resolve to a public address");
  }
  return Status::Ok();
}

Status ValidateDescription(const std::optional<std::string>& d) {
  if (d && d->size() > kMaxDescription) {
    return Status::InvalidArgument("'description' is longer than " +
                                   std::to_string(kMaxDescription) + " characters");
  }
  return Status::Ok();
}

void Create(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = ParseObjectBody(req, res);
  if (!body) return;
  Status s = CheckFields(*body, {"url", "event_types", "secret", "description", "disabled",
                                 "rate_limit_per_s", "rate_limit_burst", "max_in_flight"});
  auto url = OptionalString(*body, "url");
  auto secret_text = OptionalString(*body, "secret");
  auto description = OptionalString(*body, "description");
  auto disabled = OptionalBool(*body, "disabled");
  auto filters = ParseFilters(*body);
  for (const Status* st : {&url.status(), &secret_text.status(), &description.status(),
                           &disabled.status(), &filters.status()}) {
    if (s.ok()) s = *st;
  }
  if (s.ok() && !*url) s = Status::InvalidArgument("'url' is required");
  if (s.ok()) s = ValidateUrl(ctx, **url);
  if (s.ok()) s = ValidateDescription(*description);
  db::Endpoint e;
  auto limits = ParseLimits(*body);
  if (s.ok()) s = limits.status();
  if (s.ok()) {
    e.limits.rate_limit_per_s = limits->rate_limit_per_s.value_or(0);
    e.limits.rate_limit_burst = limits->rate_limit_burst.value_or(0);
    e.limits.max_in_flight = limits->max_in_flight.value_or(0);
  }
  if (s.ok() && *secret_text) {
    auto secret = Secret::Parse(**secret_text);
    if (secret.ok()) {
      e.secret = secret->Reveal();
    } else {
      s = Status::InvalidArgument("'secret': " + secret.status().message());
    }
  }
  if (!s.ok()) return SendStatus(res, s);
  if (e.secret.empty()) e.secret = Secret::Generate().Reveal();
  e.url = **url;
  e.description = description->value_or("");
  e.event_types = *filters;
  e.disabled = disabled->value_or(false);
  if (e.disabled) e.disabled_reason = "created disabled";
  e.created_at = ctx.clock.NowUnixMillis();
  auto created = ctx.outbox.CreateEndpoint(e);
  if (!created.ok()) return SendStatus(res, created.status());
  Json out = ShowEndpoint(ctx, *created);
  out["secret"] = created->secret;
  SendJson(res, 201, out);
}

void List(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto limit = ParseLimit(req);
  if (!limit.ok()) return SendStatus(res, limit.status());
  auto page = ctx.outbox.ListEndpoints(req.get_param_value("cursor"), *limit);
  if (!page.ok()) return SendStatus(res, page.status());
  SendJson(res, 200, PageJson(*page, [&](const db::Endpoint& e) { return ShowEndpoint(ctx, e); }));
}

void Show(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto e = ctx.outbox.GetEndpoint(req.matches[1].str());
  if (!e.ok()) return SendStatus(res, e.status());
  SendJson(res, 200, ShowEndpoint(ctx, *e));
}

void ShowSecret(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto e = ctx.outbox.GetEndpoint(req.matches[1].str());
  if (!e.ok()) return SendStatus(res, e.status());
  SendJson(res, 200, Json{{"secret", e->secret}});
}

void Patch(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = ParseObjectBody(req, res);
  if (!body) return;
  Status s = CheckFields(*body, {"url", "event_types", "description", "disabled",
                                 "rate_limit_per_s", "rate_limit_burst", "max_in_flight"});
  auto url = OptionalString(*body, "url");
  auto description = OptionalString(*body, "description");
  auto disabled = OptionalBool(*body, "disabled");
  auto filters = ParseFilters(*body);
  for (const Status* st :
       {&url.status(), &description.status(), &disabled.status(), &filters.status()}) {
    if (s.ok()) s = *st;
  }
  if (s.ok() && *url) s = ValidateUrl(ctx, **url);
  if (s.ok()) s = ValidateDescription(*description);
  auto limits = ParseLimits(*body);
  if (s.ok()) s = limits.status();
  if (!s.ok()) return SendStatus(res, s);
  db::EndpointPatch patch = *limits;
  patch.url = *url;
  patch.description = *description;
  patch.disabled = *disabled;
  if (body->contains("event_types")) patch.event_types = *filters;
  auto e = ctx.outbox.UpdateEndpoint(req.matches[1].str(), patch, ctx.clock.NowUnixMillis());
  if (!e.ok()) return SendStatus(res, e.status());
  if (patch.disabled == false) ctx.dispatcher.Notify();  // its queued deliveries are due again
  SendJson(res, 200, ShowEndpoint(ctx, *e));
}

void SetDisabled(const Context& ctx, const httplib::Request& req, httplib::Response& res,
                 bool disabled) {
  db::EndpointPatch patch;
  patch.disabled = disabled;
  auto e = ctx.outbox.UpdateEndpoint(req.matches[1].str(), patch, ctx.clock.NowUnixMillis());
  if (!e.ok()) return SendStatus(res, e.status());
  if (!disabled) ctx.dispatcher.Notify();  // its queued deliveries are due again
  SendJson(res, 200, ShowEndpoint(ctx, *e));
}

void Delete(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  Status s = ctx.outbox.DeleteEndpoint(req.matches[1].str(), ctx.clock.NowUnixMillis());
  if (!s.ok()) return SendStatus(res, s);
  res.status = 204;
}

void Rotate(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  Secret secret = Secret::Generate();
  if (!req.body.empty()) {
    auto body = ParseObjectBody(req, res);
    if (!body) return;
    Status s = CheckFields(*body, {"secret"});
    auto text = OptionalString(*body, "secret");
    if (s.ok()) s = text.status();
    if (s.ok() && *text) {
      auto parsed = Secret::Parse(**text);
      if (!parsed.ok())
        s = Status::InvalidArgument("'secret': " + parsed.status().message());
      else
        secret = *parsed;
    }
    if (!s.ok()) return SendStatus(res, s);
  }
  int64_t now = ctx.clock.NowUnixMillis();
  auto e = ctx.outbox.RotateSecret(req.matches[1].str(), secret.Reveal(),
                                   now + ctx.options.rotation_grace.count(), now);
  if (!e.ok()) return SendStatus(res, e.status());
  Json out = ShowEndpoint(ctx, *e);
  out["secret"] = e->secret;
  SendJson(res, 200, out);
}

}  // namespace

void RegisterEndpointRoutes(httplib::Server& server, const Context& ctx) {
  const char* one = R"(/v1/endpoints/([A-Za-z0-9_]{1,64}))";
  server.Post("/v1/endpoints", Authed(ctx, [&ctx](auto& q, auto& r) { Create(ctx, q, r); }));
  server.Get("/v1/endpoints", Authed(ctx, [&ctx](auto& q, auto& r) { List(ctx, q, r); }));
  server.Get(one, Authed(ctx, [&ctx](auto& q, auto& r) { Show(ctx, q, r); }));
  server.Patch(one, Authed(ctx, [&ctx](auto& q, auto& r) { Patch(ctx, q, r); }));
  server.Delete(one, Authed(ctx, [&ctx](auto& q, auto& r) { Delete(ctx, q, r); }));
  server.Get(std::string(one) + "/secret",
             Authed(ctx, [&ctx](auto& q, auto& r) { ShowSecret(ctx, q, r); }));
  server.Post(std::string(one) + "/rotate-secret",
              Authed(ctx, [&ctx](auto& q, auto& r) { Rotate(ctx, q, r); }));
  server.Post(std::string(one) + "/disable",
              Authed(ctx, [&ctx](auto& q, auto& r) { SetDisabled(ctx, q, r, true); }));
  server.Post(std::string(one) + "/enable",
              Authed(ctx, [&ctx](auto& q, auto& r) { SetDisabled(ctx, q, r, false); }));
}

}  // namespace hookline::sender::api
