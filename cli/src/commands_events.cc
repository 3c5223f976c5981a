// hookctl events: send, show.
#include <memory>

#include "commands.h"

namespace hookline::ctl {
namespace {

struct EventFlags {
  std::string id, type, data, idempotency_key;
};

CommandOutcome Send(Context& ctx, const EventFlags& f) {
  auto data = ReadJsonFlag("--data", f.data);
  if (!data.ok()) return data.failure();
  Request request("POST", "/v1/events");
  request.body = Json{{"type", f.type}, {"data", *data}};
  if (!f.id.empty()) (*request.body)["id"] = f.id;
  if (!f.idempotency_key.empty())
    request.headers.emplace_back("Idempotency-Key", f.idempotency_key);
  auto reply = ctx.api.Send(request);
  if (!reply.ok()) return reply.failure();
  if (ctx.json) {
    PrintBody(ctx, *reply);
    return Done{};
  }
  std::string id = Str(reply->json, "id");
  int64_t n = reply->json.value("deliveries", int64_t{0});
  if (reply->replayed) {
    ctx.out << "Event " << id
            << " was already sent with this idempotency key; nothing new queued\n";
  } else if (n == 0) {
    ctx.out << "Sent event " << id << " (" << f.type
            << "); no enabled endpoint subscribes to it, so nothing is delivered\n";
  } else {
    ctx.out << "Sent event " << id << " (" << f.type << "): " << n
            << (n == 1 ? " delivery" : " deliveries") << " queued\n";
  }
  if (n > 0) ctx.out << "Follow it with: hookctl events show " << id << "\n";
  return Done{};
}

CommandOutcome Show(Context& ctx, const std::string& id) {
  auto reply = ctx.api.Send(
      Request("GET", "/v1/events/" + EscapePathSegment(id), "no event with id '" + id + "'"));
  if (!reply.ok()) return reply.failure();
  if (ctx.json) {
    PrintBody(ctx, *reply);
    return Done{};
  }
  const Json& e = reply->json;
  const Json& payload = e.contains("payload") ? e["payload"] : Json();
  Fields f;
  f.Add("id", Str(e, "id"));
  f.Add("type", Str(e, "type"));
  f.Add("created", FormatWhen(Str(e, "created_at"), ctx.now_ms));
  f.Add("data", Ellipsize(payload.is_object() && payload.contains("data") ? payload["data"].dump()
                                                                          : payload.dump(),
                          200));
  f.Print(ctx.out, ctx.colour);
  const Json& deliveries = e.contains("deliveries") ? e["deliveries"] : Json::array();
  if (deliveries.empty()) {
    ctx.out << "\nNo deliveries: no enabled endpoint subscribed to this type when it was sent\n";
    return Done{};
  }
  ctx.out << "\nDeliveries (" << deliveries.size() << "):\n";
  DeliveryTable(deliveries, ctx.now_ms, /*show_event=*/false, /*show_endpoint=*/true)
      .Print(ctx.out, ctx.colour);
  return Done{};
}

}  // namespace

void AddEventCommands(CLI::App& app, Invocation& inv) {
  CLI::App* cmd = app.add_subcommand("events", "Send events and see where they went");
  cmd->require_subcommand(1);
  cmd->footer(
      "Examples:\n  hookctl events send order.created --data '{\"order\": 42}'\n"
      "  hookctl events show evt_01J...");
  auto f = std::make_shared<EventFlags>();

  CLI::App* send = AddLeaf(
      *cmd, inv, "send", "Send an event to every endpoint subscribed to its type",
      "  hookctl events send order.created --data '{\"order\": 42}'\n"
      "  hookctl events send invoice.paid --data @invoice.json --idempotency-key inv-7-paid\n"
      "  jq -c .payload event.json | hookctl events send user.created --data @-\n",
      [f](Context& c) { return Send(c, *f); });
  send->add_option("type", f->type, "event type, e.g. order.created")->required();
  send->add_option("--data", f->data, "the payload: JSON, @FILE, or @- for stdin")->required();
  send->add_option("--id", f->id, "event id (default: generated evt_...); a repeat is refused");
  send->add_option("--idempotency-key", f->idempotency_key,
                   "repeating a key within 24 h returns the first answer instead of a new event");

  CLI::App* show =
      AddLeaf(*cmd, inv, "show", "Show an event and its deliveries",
              "  hookctl events show evt_01J...\n", [f](Context& c) { return Show(c, f->id); });
  show->add_option("id", f->id, "event id")->required();
}

}  // namespace hookline::ctl
