// hookctl deliveries: list, show (retry is in commands_retry.cc).
#include <memory>

#include "commands.h"

namespace hookline::ctl {
namespace {

struct ListFlags {
  std::string status, endpoint, event, since, until;
  int64_t limit = 100;
  int page_size = 100;
};

CommandOutcome List(Context& ctx, const ListFlags& f) {
  Request request("GET", "/v1/deliveries");
  if (!f.status.empty()) request.query.emplace_back("status", f.status);
  if (!f.endpoint.empty()) request.query.emplace_back("endpoint_id", f.endpoint);
  if (!f.event.empty()) request.query.emplace_back("event_id", f.event);
  for (const auto& [flag, text, name] :
       {std::tuple{"--since", &f.since, "since"}, std::tuple{"--until", &f.until, "until"}}) {
    if (text->empty()) continue;
    auto t = ResolveTimeFlag(flag, *text, ctx.now_ms);
    if (!t.ok()) return t.failure();
    request.query.emplace_back(name, *t);
  }
  auto all = ListAll(ctx, request, f.limit, f.page_size);
  if (!all.ok()) return all.failure();
  if (ctx.json) {
    ctx.out << all->dump() << '\n';
    return Done{};
  }
  const Json& data = (*all)["data"];
  if (data.empty()) {
    ctx.out << "No deliveries match\n";
    return Done{};
  }
  DeliveryTable(data, ctx.now_ms, f.event.empty(), f.endpoint.empty()).Print(ctx.out, ctx.colour);
  if ((*all)["next_cursor"].is_string()) {
    ctx.out << "Showing the first " << data.size()
            << "; more match: raise --limit, or --limit 0 for all\n";
  }
  return Done{};
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text;
}

CommandOutcome Show(Context& ctx, const std::string& id) {
  auto reply = ctx.api.Send(Request("GET", "/v1/deliveries/" + EscapePathSegment(id),
                                    "no delivery with id '" + id + "'"));
  if (!reply.ok()) return reply.failure();
  if (ctx.json) {
    PrintBody(ctx, *reply);
    return Done{};
  }
  const Json& d = reply->json;
  std::string status = Str(d, "status");
  Fields f;
  f.Add("id", Str(d, "id"));
  f.Add("event", Str(d, "event_id"));
  f.Add("endpoint", Str(d, "endpoint_id"));
  f.Add("status", StatusCell(status));
  f.Add("attempts", Str(d, "attempts"));
  f.Add("last result",
        ResultText(d.value("last_status_code", Json()), d.value("last_error", Json())));
  if (std::string next = Str(d, "next_attempt_at"); !next.empty()) {
    f.Add("next attempt", FormatWhen(next, ctx.now_ms));
  }
  f.Add("created", FormatWhen(Str(d, "created_at"), ctx.now_ms));
  f.Add("updated", FormatWhen(Str(d, "updated_at"), ctx.now_ms));
  f.Print(ctx.out, ctx.colour);

  const Json history = d.contains("history") ? d["history"] : Json::array();
  if (history.empty()) {
    ctx.out << "\nNo attempts yet\n";
  } else {
    ctx.out << "\nHistory (" << history.size() << (history.size() == 1 ? " attempt" : " attempts")
            << "):\n";
    Table table({"#", "TIME", "RESULT", "LATENCY", "RESPONSE"});
    int n = 0;
    for (const auto& a : history) {
      table.AddRow(
          {std::to_string(++n), FormatWhen(Str(a, "attempted_at"), ctx.now_ms),
           Ellipsize(ResultText(a.value("status_code", Json()), a.value("error", Json())), 60),
           FormatLatency(a.value("latency_ms", int64_t{0})),
           Ellipsize(OneLine(Str(a, "response_excerpt")), 50)});
    }
    table.Print(ctx.out, ctx.colour);
  }
  if (status == "failed" || status == "succeeded") {
    ctx.out << "\nSend it again with: hookctl deliveries retry " << Str(d, "id") << "\n";
  }
  return Done{};
}

}  // namespace

void AddDeliveryCommands(CLI::App& app, Invocation& inv) {
  CLI::App* cmd =
      app.add_subcommand("deliveries", "Find deliveries, see their attempts, and re-drive them");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n  hookctl deliveries list --status failed --endpoint ep_01J...\n"
      "  hookctl deliveries show dlv_01J...\n"
      "  hookctl deliveries retry --all-failed --endpoint ep_01J...");

  auto lf = std::make_shared<ListFlags>();
  CLI::App* list =
      AddLeaf(*cmd, inv, "list", "List deliveries, oldest first, following pages up to --limit",
              "  hookctl deliveries list --status failed --endpoint ep_01J...\n"
              "  hookctl deliveries list --event evt_01J...\n"
              "  hookctl deliveries list --status pending --since 2h --limit 0\n",
              [lf](Context& c) { return List(c, *lf); });
  list->add_option("--status", lf->status, "pending, inflight, failed or succeeded")
      ->check(CLI::IsMember({"pending", "inflight", "failed", "succeeded"}));
  list->add_option("--endpoint", lf->endpoint, "only this endpoint's deliveries (ep_...)");
  list->add_option("--event", lf->event, "only this event's deliveries (evt_...)");
  list->add_option("--since", lf->since,
                   "created at or after: a duration ago (30m, 12h, 2d), Unix seconds or RFC 3339");
  list->add_option("--until", lf->until, "created before: same forms as --since");
  list->add_option("--limit", lf->limit, "at most this many; 0 lists all")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  list->add_option("--page-size", lf->page_size, "deliveries per request to hookd")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));

  auto id = std::make_shared<std::string>();
  CLI::App* show =
      AddLeaf(*cmd, inv, "show", "Show a delivery and every attempt at it",
              "  hookctl deliveries show dlv_01J...\n", [id](Context& c) { return Show(c, *id); });
  show->add_option("id", *id, "delivery id (dlv_...)")->required();

  AddRetryCommand(*cmd, inv);
}

}  // namespace hookline::ctl
