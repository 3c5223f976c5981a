// In-process metrics rendered in the Prometheus text exposition format 0.0.4.
//
// A Registry owns metric families: counters, gauges and histograms, each with
// zero or more label names. Hot paths keep a reference to the child they
// update (Counter&, Gauge&, Histogram&): an update is one or two relaxed atomic
// operations, no lock. Looking a child up by label values (WithLabels) takes a
// shared (reader) lock on that family only; creating a new child takes it
// exclusively once.
//
// Bounded cardinality: every labeled family has a cap on its children
// (FamilyOptions::max_series, default 100). Past the cap, WithLabels returns
//  - kAggregate: one shared overflow child whose label values are all "other"
//    (for counters and histograms, whose sums stay meaningful), or
//  - kDrop: a detached child that is never rendered (for gauges such as a
//    per-endpoint state, where an aggregate means nothing);
// either way the registry's own counter
// hookline_metrics_overflow_total{family="..."} counts the lookups that
// overflowed, so the loss is visible.
//
// Scrape-time values (a queue depth read from the database) are callbacks:
// AddCallback registers a function that Render() calls to produce samples; the
// same cap applies, in the order the callback returns them (put the important
// ones first).
//
// Thread safety: every method of every class here may be called from any
// thread concurrently. References returned by Add*/WithLabels stay valid for
// the registry's lifetime (children are never removed).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hookline::metrics {

// The Content-Type of Registry::Render()'s output.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Fixed upper bounds (strictly increasing, finite); +Inf is implicit.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  // Adds `v` to the first bucket whose bound is >= v (Prometheus' "le"). NaN is ignored.
  void Observe(double v);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  // Read without stopping writers: each bucket is exact, and count is the sum
  // of the buckets read, so the +Inf bucket always equals count. `sum` may lag
  // or lead by observations made during the read.
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

// `count` bounds start, start*factor, ... (as Prometheus' ExponentialBuckets).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

enum class MetricType { kCounter, kGauge, kHistogram };

struct FamilyOptions {
  enum class Overflow { kAggregate, kDrop };
  size_t max_series = 100;
  Overflow overflow = Overflow::kAggregate;
};

class Registry;

// The children of one metric name, keyed by label values.
template <typename T>
class Family {
 public:
  // The child for `values` (one per label name, in order), created on first
  // use. A wrong number of values is a programming error (std::logic_error).
  T& WithLabels(std::initializer_list<std::string_view> values);
  T& WithLabels(const std::vector<std::string>& values);

 private:
  friend class Registry;
  Family(Registry& registry, std::string name, std::vector<std::string> label_names,
         FamilyOptions options, std::function<std::unique_ptr<T>()> make);
  void RenderTo(std::string& out) const;

  Registry& registry_;
  const std::string name_;
  const std::vector<std::string> label_names_;
  const FamilyOptions options_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable std::shared_mutex mu_;
  // key: label values joined by '\0'; sorted, so rendering is stable.
  std::map<std::string, std::pair<std::vector<std::string>, std::unique_ptr<T>>>
      children_;                     // guarded by mu_
  std::unique_ptr<T> overflow_;      // guarded by mu_ (created once)
  std::unique_ptr<T> dropped_sink_;  // kDrop: updated, never rendered
};

// One sample a callback reports: label values (as many as its label names) and a value.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and be unique; label names
  // [a-zA-Z_][a-zA-Z0-9_]* and not "le". Violations are programming errors
  // (std::logic_error at registration, i.e. at start-up).
  Counter& AddCounter(std::string name, std::string help);
  Gauge& AddGauge(std::string name, std::string help);
  Histogram& AddHistogram(std::string name, std::string help, std::vector<double> bounds);
  Family<Counter>& AddCounterFamily(std::string name, std::string help,
                                    std::vector<std::string> label_names,
                                    FamilyOptions options = {});
  Family<Gauge>& AddGaugeFamily(std::string name, std::string help,
                                std::vector<std::string> label_names, FamilyOptions options = {});
  Family<Histogram>& AddHistogramFamily(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> bounds, FamilyOptions options = {});

  // `collect` runs inside Render() (on the scraping thread) and appends the
  // family's samples; it must not call back into this registry. Counters and
  // gauges only. Samples past options.max_series are summed into an all-"other"
  // sample (kAggregate) or dropped (kDrop), and counted in the overflow counter.
  void AddCallback(std::string name, std::string help, MetricType type,
                   std::vector<std::string> label_names,
                   std::function<void(std::vector<Sample>&)> collect, FamilyOptions options = {});

  // Every family, in registration order (the overflow counter last), as
  // exposition format 0.0.4 text.
  std::string Render() const;

 private:
  template <typename T>
  friend class Family;
  struct Entry;
  Entry& Register(std::string name, std::string help, MetricType type,
                  std::vector<std::string> label_names);
  void CountOverflow(const std::string& family);

  mutable std::mutex mu_;  // registration and rendering order only; never on an update
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_
  Family<Counter>* overflow_ = nullptr;          // hookline_metrics_overflow_total
};

// Text-format helpers, public for tests.
// A label value with \ " and newline escaped.
std::string EscapeLabelValue(std::string_view v);
// A HELP text with \ and newline escaped.
std::string EscapeHelp(std::string_view v);
// A sample value: integers without a fraction, shortest round-trip otherwise,
// +Inf / -Inf / NaN.
std::string FormatValue(double v);

}  // namespace hookline::metrics
