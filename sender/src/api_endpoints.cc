// /v1/endpoints
#include "api_common.h"
#include "api_routes.h"
#include "hookline/net_guard.h"
#include "hookline/secret.h"

namespace hookline::sender::api {
namespace {

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

void Create(const Context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto body = ParseObjectBody(req, res);
  if (!body) return;
  auto request = ParseEndpointCreateRequest(*body);
  if (!request.ok()) return SendStatus(res, request.status());
  if (Status s = ValidateUrl(ctx, request->url); !s.ok()) return SendStatus(res, s);
  db::Endpoint e;
  e.secret = request->secret.empty() ? Secret::Generate().Reveal() : request->secret;
  e.url = request->url;
  e.description = request->description;
  e.event_types = request->event_types;
  e.disabled = request->disabled;
  e.limits = request->limits;
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
  auto patch = ParseEndpointPatchRequest(*body);
  if (!patch.ok()) return SendStatus(res, patch.status());
  if (patch->url) {
    if (Status s = ValidateUrl(ctx, *patch->url); !s.ok()) return SendStatus(res, s);
  }
  auto e = ctx.outbox.UpdateEndpoint(req.matches[1].str(), *patch, ctx.clock.NowUnixMillis());
  if (!e.ok()) return SendStatus(res, e.status());
  if (patch->disabled == false) ctx.dispatcher.Notify();  // its queued deliveries are due again
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

void RegisterEndpointRoutes(Router& server, const Context& ctx) {
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
