// Output for people: aligned tables, "key  value" blocks, times both relative
// and absolute, shortened long fields, and status colours. Pure functions of
// their arguments (the current time is passed in), so nothing here reads the
// clock or the environment except ColourWanted().
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace hookline::ctl {

// True when stdout is a terminal and NO_COLOR is not set (https://no-color.org).
bool ColourWanted();

// One table cell or value: text, and an ANSI colour applied when colours are on.
struct Cell {
  Cell(std::string t = "") : text(std::move(t)) {}  // NOLINT: implicit by design
  Cell(const char* t) : text(t) {}                  // NOLINT: implicit by design
  Cell(std::string t, const char* c) : text(std::move(t)), colour(c) {}
  std::string text;
  const char* colour = nullptr;  // e.g. "32" for green; nullptr: none
};

// A delivery status word (or "disabled"/"enabled") with its colour:
// succeeded green, failed red, pending yellow, inflight cyan.
Cell StatusCell(std::string_view status);

// Columns padded to their widest cell (counting UTF-8 characters), two spaces apart.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void AddRow(std::vector<Cell> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  void Print(std::ostream& out, bool colour) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<Cell>> rows_;
};

// "key  value" lines with the values aligned; an empty value prints "-".
class Fields {
 public:
  void Add(std::string key, Cell value) { rows_.emplace_back(std::move(key), std::move(value)); }
  void Print(std::ostream& out, bool colour) const;

 private:
  std::vector<std::pair<std::string, Cell>> rows_;
};

// `text` cut to `max` UTF-8 characters, ending in "…" when it was cut.
std::string Ellipsize(std::string_view text, size_t max);

// Unix milliseconds from hookd's RFC 3339 UTC times ("2026-01-01T00:00:00.000Z");
// nullopt when `text` is not one.
std::optional<int64_t> ParseApiTime(std::string_view text);

// "3m ago (2026-11-23 14:02:11Z)", "in 5s (...)", "just now (...)"; `text`
// unchanged when it is not an RFC 3339 time, "-" when empty.
std::string FormatWhen(std::string_view text, int64_t now_ms);

// A span in one or two units: "45s", "3m", "2h 5m", "3d 4h".
std::string FormatSpan(int64_t seconds);

// A latency: "12 ms", "1.5 s".
std::string FormatLatency(int64_t ms);

}  // namespace hookline::ctl
