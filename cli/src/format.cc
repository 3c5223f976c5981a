#include "format.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace hookline::ctl {
namespace {

// Characters, not bytes: every byte that does not continue a UTF-8 sequence.
size_t Width(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// Padding goes outside the colour codes, and only between cells: a line
// never ends in spaces, even when its last cells are empty.
void PrintRow(std::ostream& out, const std::vector<Cell>& cells, const std::vector<size_t>& widths,
              bool colour) {
  size_t last = cells.size();
  while (last > 0 && cells[last - 1].text.empty()) --last;
  for (size_t i = 0; i < last; ++i) {
    const Cell& cell = cells[i];
    bool paint = colour && cell.colour != nullptr && !cell.text.empty();
    if (paint) out << "\033[" << cell.colour << 'm';
    out << cell.text;
    if (paint) out << "\033[0m";
    if (i + 1 < last) out << std::string(widths[i] - Width(cell.text) + 2, ' ');
  }
  out << '\n';
}

}  // namespace

bool ColourWanted() {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  return isatty(STDOUT_FILENO) == 1;
}

Cell StatusCell(std::string_view status) {
  const char* colour = nullptr;
  if (status == "succeeded" || status == "enabled")
    colour = "32";
  else if (status == "failed" || status == "disabled")
    colour = "31";
  else if (status == "pending")
    colour = "33";
  else if (status == "inflight")
    colour = "36";
  return Cell(std::string(status), colour);
}

void Table::Print(std::ostream& out, bool colour) const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = Width(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row[i].text));
    }
  }
  std::vector<Cell> header(headers_.begin(), headers_.end());
  PrintRow(out, header, widths, false);
  for (const auto& row : rows_) {
    std::vector<Cell> cells = row;
    cells.resize(headers_.size());
    PrintRow(out, cells, widths, colour);
  }
}

void Fields::Print(std::ostream& out, bool colour) const {
  size_t width = 0;
  for (const auto& [key, value] : rows_) width = std::max(width, Width(key));
  for (const auto& [key, value] : rows_) {
    PrintRow(out, {Cell(key), value.text.empty() ? Cell("-") : value}, {width, 0}, colour);
  }
}

std::string Ellipsize(std::string_view text, size_t max) {
  if (Width(text) <= max) return std::string(text);
  if (max == 0) return "";
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    bool starts_char = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts_char && ++chars > max - 1) break;
    out += text[i];
  }
  return out + "…";
}

std::optional<int64_t> ParseApiTime(std::string_view text) {
  std::string s(text);
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  if (*rest == '.') {
    int scale = 100;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest, scale /= 10) ms += (*rest - '0') * scale;
  }
  if (*rest != 'Z' || rest[1] != '\0') return std::nullopt;  // hookd answers in UTC
  return ms;
}

std::string FormatSpan(int64_t seconds) {
  struct Unit {
    int64_t seconds;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  for (size_t i = 0; i < std::size(kUnits); ++i) {
    if (seconds < kUnits[i].seconds && i + 1 < std::size(kUnits)) continue;
    std::string out = std::to_string(seconds / kUnits[i].seconds) + kUnits[i].name;
    int64_t rest = seconds % kUnits[i].seconds;
    // A second unit only where the first is coarse enough to hide a lot.
    if (i < 2 && rest / kUnits[i + 1].seconds > 0) {
      // Appended piece by piece: `" " + std::to_string(...)` trips GCC 12's
      // -Wrestrict false positive at -O3 (GCC bug 105329), breaking Release builds.
      out += ' ';
      out += std::to_string(rest / kUnits[i + 1].seconds);
      out += kUnits[i + 1].name;
    }
    return out;
  }
  return "0s";
}

std::string FormatWhen(std::string_view text, int64_t now_ms) {
  if (text.empty()) return "-";
  std::optional<int64_t> ms = ParseApiTime(text);
  if (!ms) return std::string(text);
  std::time_t secs = static_cast<std::time_t>(*ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char absolute[32];
  std::strftime(absolute, sizeof absolute, "%Y-%m-%d %H:%M:%SZ", &tm);
  int64_t delta = (now_ms - *ms) / 1000;
  std::string relative = delta == 0  ? "just now"
                         : delta > 0 ? FormatSpan(delta) + " ago"
                                     : "in " + FormatSpan(-delta);
  return relative + " (" + absolute + ")";
}

std::string FormatLatency(int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + " ms";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

}  // namespace hookline::ctl
