// hookctl endpoints: list, create, show, update, disable, enable, delete,
// rotate-secret, secret.
#include <memory>

#include "commands.h"

namespace hookline::ctl {
namespace {

std::string EndpointPath(const std::string& id) { return "/v1/endpoints/" + EscapePathSegment(id); }
std::string NoEndpoint(const std::string& id) { return "no endpoint with id '" + id + "'"; }

std::string EventTypes(const Json& e) {
  // hookd's own notices go there, whatever its filters say.
  if (e.value("operations", false)) return "hookd operational webhooks";
  const Json& types = e.contains("event_types") ? e["event_types"] : Json();
  if (!types.is_array() || types.empty()) return "all";
  std::string out;
  for (const auto& t : types) out += (out.empty() ? "" : ", ") + t.get<std::string>();
  return out;
}

std::string CircuitState(const Json& e) {
  const Json& c = e.contains("circuit") && e["circuit"].is_object() ? e["circuit"] : Json();
  std::string state = c.is_object() ? Str(c, "state") : "";
  return state.empty() ? "closed" : state;
}

Cell EndpointState(const Json& e) {
  if (!e.value("disabled", false)) {
    std::string circuit = CircuitState(e);
    if (circuit == "closed") return StatusCell("enabled");
    return Cell("enabled, circuit " + circuit, "33");
  }
  Cell c = StatusCell("disabled");
  if (std::string why = Str(e, "disabled_reason"); !why.empty()) c.text += ": " + why;
  return c;
}

void PrintEndpoint(Context& ctx, const Json& e) {
  Fields f;
  f.Add("id", Str(e, "id"));
  f.Add("url", Str(e, "url"));
  f.Add("description", Str(e, "description"));
  f.Add("event types", EventTypes(e));
  f.Add("status", EndpointState(e));
  if (e.contains("circuit") && e["circuit"].is_object()) {
    const Json& c = e["circuit"];
    std::string text = CircuitState(e);
    if (int n = c.value("consecutive_failures", 0); n > 0) {
      text += ", " + std::to_string(n) + " failures in a row since " +
              FormatWhen(Str(c, "failing_since"), ctx.now_ms);
    }
    if (std::string until = Str(c, "open_until"); !until.empty()) {
      text += "; holds deliveries until " + FormatWhen(until, ctx.now_ms);
    }
    f.Add("circuit", text);
  }
  std::string limits;
  auto limit = [&](const char* key, const char* label) {
    if (e.contains(key) && e[key].is_number()) {
      double v = e[key].get<double>();
      // 5, not 5.0: the store keeps rates as reals.
      std::string text = v == static_cast<double>(static_cast<int64_t>(v))
                             ? std::to_string(static_cast<int64_t>(v))
                             : e[key].dump();
      limits += (limits.empty() ? "" : ", ") + std::string(label) + " " + text;
    }
  };
  limit("rate_limit_per_s", "rate/s");
  limit("rate_limit_burst", "burst");
  limit("max_in_flight", "in flight");
  f.Add("limits", limits.empty() ? "hookd's defaults" : limits);
  f.Add("created", FormatWhen(Str(e, "created_at"), ctx.now_ms));
  f.Add("updated", FormatWhen(Str(e, "updated_at"), ctx.now_ms));
  if (std::string until = Str(e, "previous_secret_expires_at"); !until.empty()) {
    f.Add("previous secret", "still signs; expires " + FormatWhen(until, ctx.now_ms));
  }
  if (std::string secret = Str(e, "secret"); !secret.empty()) f.Add("secret", secret);
  f.Print(ctx.out, ctx.colour);
}

// Sends `request`; prints the body for --json, else the endpoint it answers with.
CommandOutcome ShowEndpointReply(Context& ctx, const Request& request) {
  auto reply = ctx.api.Send(request);
  if (!reply.ok()) return reply.failure();
  if (ctx.json) {
    PrintBody(ctx, *reply);
  } else {
    PrintEndpoint(ctx, reply->json);
  }
  return Done{};
}

CommandOutcome List(Context& ctx) {
  Request request("GET", "/v1/endpoints");
  auto all = ListAll(ctx, request, 0, 1000);
  if (!all.ok()) return all.failure();
  if (ctx.json) {
    ctx.out << all->dump() << '\n';
    return Done{};
  }
  if ((*all)["data"].empty()) {
    ctx.out << "No endpoints yet; add one with: hookctl endpoints create URL\n";
    return Done{};
  }
  Table table({"ID", "URL", "EVENT TYPES", "STATUS", "DESCRIPTION", "CREATED"});
  for (const auto& e : (*all)["data"]) {
    Cell state = EndpointState(e);
    state.text = Ellipsize(state.text, 30);
    table.AddRow({Str(e, "id"), Ellipsize(Str(e, "url"), 48), Ellipsize(EventTypes(e), 30), state,
                  Ellipsize(Str(e, "description"), 30),
                  FormatWhen(Str(e, "created_at"), ctx.now_ms)});
  }
  table.Print(ctx.out, ctx.colour);
  return Done{};
}

struct EndpointFlags {
  std::string id, url, description, secret;
  std::vector<std::string> event_types;
  bool all_event_types = false, disabled = false;
  CLI::Option* description_option = nullptr;
};

CommandOutcome Create(Context& ctx, const EndpointFlags& f) {
  Json body{{"url", f.url}};
  if (!f.event_types.empty()) body["event_types"] = f.event_types;
  if (!f.description.empty()) body["description"] = f.description;
  if (!f.secret.empty()) body["secret"] = f.secret;
  if (f.disabled) body["disabled"] = true;
  return ShowEndpointReply(ctx, Request("POST", "/v1/endpoints").WithBody(body));
}

CommandOutcome Update(Context& ctx, const EndpointFlags& f) {
  Json body = Json::object();
  if (!f.url.empty()) body["url"] = f.url;
  if (!f.event_types.empty()) body["event_types"] = f.event_types;
  if (f.all_event_types) body["event_types"] = Json::array();
  if (f.description_option->count() > 0) body["description"] = f.description;
  if (body.empty()) {
    return Failure::Usage(
        "nothing to update: give --url, --event-type, --all-event-types or "
        "--description");
  }
  return ShowEndpointReply(ctx,
                           Request("PATCH", EndpointPath(f.id), NoEndpoint(f.id)).WithBody(body));
}

CommandOutcome SetDisabled(Context& ctx, const std::string& id, bool disabled) {
  auto reply = ctx.api.Send(
      Request("POST", EndpointPath(id) + (disabled ? "/disable" : "/enable"), NoEndpoint(id)));
  if (!reply.ok()) return reply.failure();
  if (ctx.json) {
    PrintBody(ctx, *reply);
  } else if (disabled) {
    ctx.out << "Disabled endpoint " << id
            << "; its deliveries wait until: hookctl endpoints enable " << id << "\n";
  } else {
    ctx.out << "Enabled endpoint " << id << "; its waiting deliveries go out now\n";
  }
  return Done{};
}

CommandOutcome Delete(Context& ctx, const std::string& id) {
  auto reply = ctx.api.Send(Request("DELETE", EndpointPath(id), NoEndpoint(id)));
  if (!reply.ok()) return reply.failure();
  if (ctx.json) {
    PrintBody(ctx, *reply);  // 204: nothing
  } else {
    ctx.out << "Deleted endpoint " << id << "; its open deliveries failed (endpoint deleted)\n";
  }
  return Done{};
}

CommandOutcome RotateSecret(Context& ctx, const EndpointFlags& f) {
  Request request("POST", EndpointPath(f.id) + "/rotate-secret", NoEndpoint(f.id));
  if (!f.secret.empty()) request.body = Json{{"secret", f.secret}};
  auto reply = ctx.api.Send(request);
  if (!reply.ok()) return reply.failure();
  if (ctx.json) {
    PrintBody(ctx, *reply);
    return Done{};
  }
  ctx.out << "New secret for " << f.id << ": " << Str(reply->json, "secret") << "\n"
          << "The previous secret keeps signing too; it expires "
          << FormatWhen(Str(reply->json, "previous_secret_expires_at"), ctx.now_ms) << "\n";
  return Done{};
}

CommandOutcome Secret(Context& ctx, const std::string& id) {
  auto reply = ctx.api.Send(Request("GET", EndpointPath(id) + "/secret", NoEndpoint(id)));
  if (!reply.ok()) return reply.failure();
  if (ctx.json) {
    PrintBody(ctx, *reply);
  } else {
    ctx.out << Str(reply->json, "secret") << "\n";
  }
  return Done{};
}

}  // namespace

void AddEndpointCommands(CLI::App& app, Invocation& inv) {
  CLI::App* cmd = app.add_subcommand("endpoints", "Manage the URLs hookd delivers to");
  cmd->require_subcommand(1);
  cmd->footer("Examples:\n  hookctl endpoints list\n  hookctl endpoints create --help");
  auto f = std::make_shared<EndpointFlags>();
  auto id = [&f](CLI::App* leaf) {
    leaf->add_option("id", f->id, "endpoint id (ep_...)")->required();
  };

  AddLeaf(*cmd, inv, "list", "List every endpoint", "  hookctl endpoints list\n",
          [](Context& c) { return List(c); });

  CLI::App* create =
      AddLeaf(*cmd, inv, "create", "Add an endpoint; prints it with its signing secret",
              "  hookctl endpoints create https://example.com/webhooks\n"
              "  hookctl endpoints create http://127.0.0.1:9000/hook --event-type 'invoice.*' \\\n"
              "      --event-type user.created --description billing\n",
              [f](Context& c) { return Create(c, *f); });
  create->add_option("url", f->url, "where deliveries are POSTed (http or https)")->required();
  create->add_option("--event-type", f->event_types,
                     "event types to receive, repeatable; 'invoice.*' matches a prefix (default: "
                     "all)");
  create->add_option("--description", f->description, "a note for operators");
  create->add_option("--secret", f->secret, "signing secret whsec_... (default: generated)");
  create->add_flag("--disabled", f->disabled, "create it disabled (deliveries wait)");

  id(AddLeaf(*cmd, inv, "show", "Show one endpoint", "  hookctl endpoints show ep_01J...\n",
             [f](Context& c) {
               return ShowEndpointReply(c, Request("GET", EndpointPath(f->id), NoEndpoint(f->id)));
             }));

  CLI::App* update =
      AddLeaf(*cmd, inv, "update", "Change an endpoint's URL, event types or description",
              "  hookctl endpoints update ep_01J... --url http://127.0.0.1:9001/hook\n"
              "  hookctl endpoints update ep_01J... --all-event-types\n"
              "Here --url is the endpoint's new URL: give hookd's address in HOOKLINE_URL, or\n"
              "before the command: hookctl --url http://hookd:8080 endpoints update ...\n",
              [f](Context& c) { return Update(c, *f); });
  id(update);
  update->add_option("--url", f->url, "new URL");
  auto* types =
      update->add_option("--event-type", f->event_types, "replace the event types (repeatable)");
  update->add_flag("--all-event-types", f->all_event_types, "receive every event type")
      ->excludes(types);
  f->description_option = update->add_option("--description", f->description, "new description");

  id(AddLeaf(*cmd, inv, "disable", "Stop delivering to an endpoint; its deliveries wait",
             "  hookctl endpoints disable ep_01J...\n",
             [f](Context& c) { return SetDisabled(c, f->id, true); }));
  id(AddLeaf(*cmd, inv, "enable", "Deliver to an endpoint again, starting with what waited",
             "  hookctl endpoints enable ep_01J...\n",
             [f](Context& c) { return SetDisabled(c, f->id, false); }));
  id(AddLeaf(*cmd, inv, "delete", "Delete an endpoint; its open deliveries fail",
             "  hookctl endpoints delete ep_01J...\n",
             [f](Context& c) { return Delete(c, f->id); }));

  CLI::App* rotate =
      AddLeaf(*cmd, inv, "rotate-secret",
              "Give an endpoint a new signing secret; the old one also signs for 24 h",
              "  hookctl endpoints rotate-secret ep_01J...\n",
              [f](Context& c) { return RotateSecret(c, *f); });
  id(rotate);
  rotate->add_option("--secret", f->secret, "the new secret whsec_... (default: generated)");

  id(AddLeaf(*cmd, inv, "secret", "Print an endpoint's signing secret",
             "  hookctl endpoints secret ep_01J...\n"
             "  SECRET=$(hookctl endpoints secret ep_01J...)\n",
             [f](Context& c) { return Secret(c, f->id); }));
}

}  // namespace hookline::ctl
