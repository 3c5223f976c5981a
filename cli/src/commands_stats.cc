// hookctl stats: what hookd holds, how late it is, and who is failing.
#include "commands.h"

namespace hookline::ctl {
namespace {

CommandOutcome Stats(Context& ctx) {
  auto reply = ctx.api.Send(Request("GET", "/v1/stats"));
  if (!reply.ok()) return reply.failure();
  if (ctx.json) {
    PrintBody(ctx, *reply);
    return Done{};
  }
  const Json& s = reply->json;
  const Json counts = s.contains("deliveries") ? s["deliveries"] : Json::object();
  Table table({"STATUS", "DELIVERIES"});
  for (const char* status : {"pending", "inflight", "failed", "succeeded"}) {
    table.AddRow({StatusCell(status), Str(counts, status)});
  }
  table.Print(ctx.out, ctx.colour);

  const Json oldest = s.contains("oldest_pending") ? s["oldest_pending"] : Json();
  // due_at is when the oldest pending delivery was due: "due 5m ago" is how late it is.
  ctx.out << "\nOldest pending: "
          << (oldest.is_object() ? "due " + FormatWhen(Str(oldest, "due_at"), ctx.now_ms) : "none")
          << "\n";

  const Json failing = s.contains("failing_endpoints") ? s["failing_endpoints"] : Json::array();
  if (failing.empty()) {
    ctx.out << "Failing endpoints: none\n";
    return Done{};
  }
  ctx.out << "\nFailing endpoints (most failed deliveries first):\n";
  Table endpoints({"ENDPOINT", "URL", "STATE", "FAILED"});
  for (const auto& e : failing) {
    bool deleted = !e.contains("url") || e["url"].is_null();
    Cell state =
        deleted ? Cell("deleted") : StatusCell(e.value("disabled", false) ? "disabled" : "enabled");
    endpoints.AddRow(
        {Str(e, "id"), deleted ? "-" : Ellipsize(Str(e, "url"), 48), state, Str(e, "failed")});
  }
  endpoints.Print(ctx.out, ctx.colour);
  ctx.out << "\nSee why: hookctl deliveries list --status failed --endpoint ID\n";
  return Done{};
}

}  // namespace

void AddStatsCommand(CLI::App& app, Invocation& inv) {
  AddLeaf(app, inv, "stats", "Deliveries by status, the oldest pending one, failing endpoints",
          "  hookctl stats\n  hookctl stats --json | jq .deliveries.failed\n",
          [](Context& c) { return Stats(c); });
}

}  // namespace hookline::ctl
