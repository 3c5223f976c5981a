// Helpers shared by hookctl's commands: option wiring, paging, flag values.
#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "commands.h"

namespace hookline::ctl {

void AddConnectionOptions(CLI::App& app, Invocation& inv) {
  const char* group = "Connection";
  app.add_option("--url", inv.connection.url, "hookd's API address")
      ->envname("HOOKLINE_URL")
      ->capture_default_str()
      ->group(group);
  app.add_option("--token", inv.connection.token,
                 "API token; when neither --token nor HOOKLINE_TOKEN is given, hookctl takes "
                 "hookd's HOOKLINE_API_TOKEN, else reads ./hookline.db.token (what hookd writes "
                 "beside its default database) if present")
      ->envname("HOOKLINE_TOKEN")
      ->group(group);
  app.add_flag("--json", inv.json, "print hookd's JSON answer unmodified (for scripts)")
      ->group("Output");
}

CLI::App* AddLeaf(CLI::App& parent, Invocation& inv, const std::string& name,
                  const std::string& description, const std::string& examples, Action action) {
  CLI::App* leaf = parent.add_subcommand(name, description);
  leaf->add_flag("--json", inv.json, "print hookd's JSON answer unmodified (for scripts)");
  // --url and --token belong to hookctl itself (see hookctl --help); they may
  // come after the command too, except where the command has its own --url.
  leaf->footer(
      "Examples:\n" + examples +
      "\nConnection: --url (HOOKLINE_URL) and --token (HOOKLINE_TOKEN); see hookctl --help");
  leaf->callback([&inv, action = std::move(action)] { inv.action = action; });
  return leaf;
}

void PrintBody(Context& ctx, const Reply& reply) {
  if (reply.body.empty()) return;
  ctx.out << reply.body;
  if (reply.body.back() != '\n') ctx.out << '\n';
}

Outcome<Json> ListAll(Context& ctx, Request request, int64_t limit, int page_size) {
  Json data = Json::array();
  Json next_cursor = nullptr;
  const size_t base_query = request.query.size();
  while (true) {
    int64_t wanted = limit == 0
                         ? page_size
                         : std::min<int64_t>(page_size, limit - static_cast<int64_t>(data.size()));
    request.query.resize(base_query);
    request.query.emplace_back("limit", std::to_string(wanted));
    if (next_cursor.is_string())
      request.query.emplace_back("cursor", next_cursor.get<std::string>());
    auto page = ctx.api.Send(request);
    if (!page.ok()) return page.failure();
    const Json& body = page->json;
    if (!body.is_object() || !body.contains("data") || !body["data"].is_array()) {
      return Failure::Unavailable(ctx.api.url() + " answered a list without 'data'; is it hookd?");
    }
    for (const auto& item : body["data"]) data.push_back(item);
    next_cursor = body.contains("next_cursor") ? body["next_cursor"] : Json(nullptr);
    bool full = limit != 0 && static_cast<int64_t>(data.size()) >= limit;
    if (!next_cursor.is_string() || full) break;
  }
  return Json{{"data", std::move(data)}, {"next_cursor", std::move(next_cursor)}};
}

Outcome<std::string> ResolveTimeFlag(const std::string& flag, const std::string& text,
                                     int64_t now_ms) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  bool number = ec == std::errc() && end != text.data();
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  if (number && n >= 0 && unit.size() == 1) {
    int64_t scale = unit == "s"   ? 1
                    : unit == "m" ? 60
                    : unit == "h" ? 3600
                    : unit == "d" ? 86400
                                  : 0;
    if (scale != 0 && n <= 100LL * 365 * 86400 / scale) {
      return std::to_string(std::max<int64_t>(0, now_ms / 1000 - n * scale));
    }
  }
  // Unix seconds or RFC 3339: hookd checks these and names the flag's field.
  bool plausible = (number && unit.empty()) || (text.size() >= 19 && text[4] == '-');
  if (!plausible) {
    return Failure::Usage(flag + " '" + text +
                          "' must be a duration ago (30m, 12h, 2d), Unix seconds or RFC 3339 "
                          "(2026-01-01T00:00:00Z)");
  }
  return text;
}

Outcome<Json> ReadJsonFlag(const std::string& flag, const std::string& text) {
  std::string content = text;
  std::string source = "the value of " + flag;
  if (!text.empty() && text[0] == '@') {
    std::string path = text.substr(1);
    std::stringstream buffer;
    if (path == "-") {
      buffer << std::cin.rdbuf();
      source = "stdin";
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) return Failure::Usage(flag + ": cannot read '" + path + "'");
      buffer << in.rdbuf();
      source = "'" + path + "'";
    }
    content = buffer.str();
  }
  Json value = Json::parse(content, nullptr, false);
  if (value.is_discarded()) {
    return Failure::Usage(flag + ": " + source +
                          " is not valid JSON (strings need quotes: --data '\"text\"')");
  }
  return value;
}

std::string Str(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string ResultText(const Json& status_code, const Json& error) {
  std::string code = status_code.is_number() ? "HTTP " + status_code.dump() : "";
  std::string why = error.is_string() ? error.get<std::string>() : "";
  // A final failure's reason usually names the status already.
  if (!code.empty() && !why.empty() && why.find(status_code.dump()) == std::string::npos) {
    return code + ": " + why;
  }
  return why.empty() ? code : why;
}

Table DeliveryTable(const Json& deliveries, int64_t now_ms, bool show_event, bool show_endpoint) {
  std::vector<std::string> headers = {"ID"};
  if (show_event) headers.push_back("EVENT");
  if (show_endpoint) headers.push_back("ENDPOINT");
  for (const char* h : {"STATUS", "ATTEMPTS", "LAST RESULT", "NEXT ATTEMPT / UPDATED"}) {
    headers.push_back(h);
  }
  Table table(headers);
  for (const auto& d : deliveries) {
    std::vector<Cell> row = {Str(d, "id")};
    if (show_event) row.push_back(Str(d, "event_id"));
    if (show_endpoint) row.push_back(Str(d, "endpoint_id"));
    std::string status = Str(d, "status");
    row.push_back(StatusCell(status));
    row.push_back(Str(d, "attempts"));
    row.push_back(Ellipsize(
        ResultText(d.value("last_status_code", Json()), d.value("last_error", Json())), 50));
    std::string next = Str(d, "next_attempt_at");
    row.push_back(next.empty() ? FormatWhen(Str(d, "updated_at"), now_ms)
                               : "next " + FormatWhen(next, now_ms));
    table.AddRow(std::move(row));
  }
  return table;
}

}  // namespace hookline::ctl
