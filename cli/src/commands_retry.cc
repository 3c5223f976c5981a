// hookctl deliveries retry: re-drive some deliveries by id, or every failed one
// matching a filter.
#include <iostream>
#include <memory>
#include <optional>

#include "commands.h"

namespace hookline::ctl {
namespace {

struct RetryFlags {
  std::vector<std::string> ids;
  bool all_failed = false, dry_run = false;
  std::string endpoint, since, until;
};

// Stops at the first failure that every further request would share (no
// hookd, bad token); otherwise tries every id and returns the last failure,
// having printed the earlier ones.
CommandOutcome RetryIds(Context& ctx, const std::vector<std::string>& ids) {
  std::optional<Failure> failed;
  size_t requeued = 0;
  for (const auto& id : ids) {
    auto reply = ctx.api.Send(Request("POST", "/v1/deliveries/" + EscapePathSegment(id) + "/retry",
                                      "no delivery with id '" + id + "'"));
    if (!reply.ok()) {
      if (failed) ctx.err << "hookctl: " << failed->message() << "\n";
      failed = reply.failure();
      ExitCode code = failed->code();
      if (code == ExitCode::kAuth || code == ExitCode::kUnavailable) break;
      continue;
    }
    ++requeued;
    if (ctx.json) {
      PrintBody(ctx, *reply);
    } else {
      ctx.out << "Requeued " << id << "; it goes out again now\n";
    }
  }
  if (!ctx.json && ids.size() > 1) {
    ctx.out << "Requeued " << requeued << " of " << ids.size() << " deliveries\n";
  }
  if (failed) return *failed;
  return Done{};
}

std::string Plural(int64_t n) {
  return std::to_string(n) + (n == 1 ? " failed delivery" : " failed deliveries");
}

CommandOutcome RetryAllFailed(Context& ctx, const RetryFlags& f) {
  Json body{{"status", "failed"}};
  std::string scope = f.endpoint.empty() ? "across all endpoints" : "for " + f.endpoint;
  bool endpoint_disabled = false;
  if (!f.endpoint.empty()) {
    // hookd counts 0 for an unknown endpoint; a typo deserves a clearer answer.
    auto ep = ctx.api.Send(Request("GET", "/v1/endpoints/" + EscapePathSegment(f.endpoint),
                                   "no endpoint with id '" + f.endpoint + "'"));
    if (!ep.ok()) return ep.failure();
    endpoint_disabled = ep->json.value("disabled", false);
    body["endpoint_id"] = f.endpoint;
  }
  for (const auto& [flag, text, name] :
       {std::tuple{"--since", &f.since, "since"}, std::tuple{"--until", &f.until, "until"}}) {
    if (text->empty()) continue;
    auto t = ResolveTimeFlag(flag, *text, ctx.now_ms);
    if (!t.ok()) return t.failure();
    body[name] = *t;
    scope += std::string(name == std::string("since") ? ", created since " : ", created before ") +
             *text;
  }
  Request request("POST", "/v1/deliveries/retry");
  bool progress = ctx.interactive && !ctx.json && !f.dry_run;
  if (f.dry_run || progress) {
    request.body = body;
    (*request.body)["dry_run"] = true;
    auto counted = ctx.api.Send(request);
    if (!counted.ok()) return counted.failure();
    int64_t n = counted->json.value("count", int64_t{0});
    if (ctx.json) {
      PrintBody(ctx, *counted);
      return Done{};
    }
    if (f.dry_run) {
      ctx.out << "Would requeue " << Plural(n) << " " << scope << " (dry run: nothing changed)\n";
      return Done{};
    }
    if (n > 0) ctx.out << "Requeueing " << Plural(n) << " " << scope << " ..." << std::endl;
  }
  request.body = body;
  auto done = ctx.api.Send(request);
  if (!done.ok()) return done.failure();
  if (ctx.json) {
    PrintBody(ctx, *done);
    return Done{};
  }
  int64_t n = done->json.value("count", int64_t{0});
  if (n == 0) {
    ctx.out << "No failed deliveries to requeue " << scope << "\n";
    return Done{};
  }
  ctx.out << "Requeued " << Plural(n) << " " << scope << "\n";
  if (endpoint_disabled) {
    ctx.out << "Endpoint " << f.endpoint
            << " is disabled: they wait until: hookctl endpoints enable " << f.endpoint << "\n";
  } else {
    ctx.out << "Watch them go out: hookctl deliveries list --status pending"
            << (f.endpoint.empty() ? "" : " --endpoint " + f.endpoint) << "\n";
  }
  return Done{};
}

CommandOutcome Retry(Context& ctx, const RetryFlags& f) {
  if (f.all_failed && !f.ids.empty()) {
    return Failure::Usage("give delivery ids or --all-failed, not both");
  }
  if (!f.all_failed) {
    if (f.ids.empty()) return Failure::Usage("give delivery ids or --all-failed");
    if (!f.endpoint.empty() || !f.since.empty() || !f.until.empty() || f.dry_run) {
      return Failure::Usage("--endpoint, --since, --until and --dry-run go with --all-failed");
    }
    return RetryIds(ctx, f.ids);
  }
  return RetryAllFailed(ctx, f);
}

}  // namespace

void AddRetryCommand(CLI::App& deliveries, Invocation& inv) {
  auto f = std::make_shared<RetryFlags>();
  CLI::App* retry = AddLeaf(
      deliveries, inv, "retry",
      "Send deliveries again (same webhook-id): by id, or every failed one matching a filter",
      "  hookctl deliveries retry dlv_01J... dlv_01K...\n"
      "  hookctl deliveries retry --all-failed --endpoint ep_01J... --dry-run\n"
      "  hookctl deliveries retry --all-failed --endpoint ep_01J...\n"
      "  hookctl deliveries retry --all-failed --since 12h\n",
      [f](Context& c) { return Retry(c, *f); });
  retry->add_option("ids", f->ids, "delivery ids (dlv_...): failed or succeeded ones");
  retry->add_flag("--all-failed", f->all_failed,
                  "every failed delivery matching the filters below");
  retry->add_option("--endpoint", f->endpoint, "only this endpoint's (with --all-failed)");
  retry->add_option("--since", f->since,
                    "created at or after: a duration ago (30m, 12h, 2d), Unix seconds or RFC 3339");
  retry->add_option("--until", f->until, "created before: same forms as --since");
  retry->add_flag("--dry-run", f->dry_run, "only count what would be requeued");
}

}  // namespace hookline::ctl
