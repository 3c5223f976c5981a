#include "logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <set>

namespace hookline::sender {
namespace {

// The length of the valid UTF-8 sequence at s[i], or 0 if it is not one.
size_t Utf8Length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

void AppendJsonString(std::string_view s, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else if (c >= 0x80) {
      size_t n = Utf8Length(s, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
        continue;
      }
      out.append(s.substr(i, n));
      i += n;
      continue;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
}

bool IsNumber(std::string_view v) {
  size_t start = !v.empty() && v[0] == '-' ? 1 : 0;
  if (v.size() == start || v.size() - start > 15) return false;  // exact in a double
  if (v[start] == '0' && v.size() - start > 1) return false;     // JSON has no leading zeros
  for (size_t i = start; i < v.size(); ++i) {
    if (v[i] < '0' || v[i] > '9') return false;
  }
  return true;
}

class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string out;
    AppendJsonMessage(std::string_view(msg.payload.data(), msg.payload.size()), out);
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

void AppendJsonMessage(std::string_view message, std::string& out) {
  out += "\"msg\":";
  AppendJsonString(message, out);
  std::set<std::string_view> seen = {"time", "level", "msg"};
  size_t i = 0;
  while (i < message.size()) {
    // A key starts the message or follows a space.
    size_t key_start = i;
    size_t k = i;
    while (k < message.size() && ((message[k] >= 'a' && message[k] <= 'z') || message[k] == '_')) {
      ++k;
    }
    bool is_pair = k > key_start && k < message.size() && message[k] == '=';
    size_t next;
    if (is_pair) {
      std::string_view key = message.substr(key_start, k - key_start);
      std::string_view value;
      size_t v = k + 1;
      bool quoted = v < message.size() && message[v] == '"';
      if (quoted) {
        size_t close = message.find('"', v + 1);
        if (close == std::string_view::npos) close = message.size();
        value = message.substr(v + 1, close - v - 1);
        next = close + 1;
      } else {
        size_t space = message.find(' ', v);
        if (space == std::string_view::npos) space = message.size();
        value = message.substr(v, space - v);
        next = space;
      }
      if (seen.insert(key).second) {
        out += ',';
        AppendJsonString(key, out);
        out += ':';
        if (!quoted && IsNumber(value)) {
          out.append(value);
        } else {
          AppendJsonString(value, out);
        }
      }
    } else {
      next = message.find(' ', i);
      if (next == std::string_view::npos) next = message.size();
    }
    // Skip to the start of the next token.
    i = next;
    while (i < message.size() && message[i] != ' ') ++i;
    while (i < message.size() && message[i] == ' ') ++i;
  }
}

std::unique_ptr<spdlog::formatter> NewJsonLogFormatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc, "\n");
  // %l is one of trace/debug/info/warning/error/critical: no escaping needed.
  f->add_flag<JsonMessageFlag>('*').set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%*})");
  return f;
}

Status ConfigureLogging(std::string_view format, std::string_view level) {
  if (format != "text" && format != "json") {
    return Status::InvalidArgument("--log-format must be text or json");
  }
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return Status::InvalidArgument("--log-level '" + std::string(level) + "' is not a level");
  }
  spdlog::drop("hookd");  // so that a second call replaces it instead of throwing
  auto logger = spdlog::stderr_color_mt("hookd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(lvl);
  if (format == "json") {
    logger->set_formatter(NewJsonLogFormatter());
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  }
  return Status::Ok();
}

}  // namespace hookline::sender
