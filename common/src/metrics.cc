#include "hookline/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace hookline::metrics {
namespace {

bool ValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::string_view TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} plus an optional extra pair (the histogram's le); "" when empty.
void AppendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void AppendSample(std::string& out, std::string_view name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, const std::string& value) {
  out += name;
  AppendLabels(out, names, values);
  out += ' ';
  out += value;
  out += '\n';
}

void AppendHistogram(std::string& out, const std::string& name,
                     const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const Histogram& h) {
  Histogram::Snapshot s = h.Read();
  for (size_t i = 0; i <= s.bounds.size(); ++i) {
    out += name;
    out += "_bucket";
    AppendLabels(out, names, values, "le", i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf");
    out += ' ';
    out += std::to_string(s.cumulative[i]);
    out += '\n';
  }
  AppendSample(out, name + "_sum", names, values, FormatValue(s.sum));
  AppendSample(out, name + "_count", names, values, std::to_string(s.count));
}

void AppendValue(std::string& out, const std::string& name, const std::vector<std::string>& names,
                 const std::vector<std::string>& values, const Counter& c) {
  AppendSample(out, name, names, values, std::to_string(c.value()));
}

void AppendValue(std::string& out, const std::string& name, const std::vector<std::string>& names,
                 const std::vector<std::string>& values, const Gauge& g) {
  AppendSample(out, name, names, values, FormatValue(g.value()));
}

void AppendValue(std::string& out, const std::string& name, const std::vector<std::string>& names,
                 const std::vector<std::string>& values, const Histogram& h) {
  AppendHistogram(out, name, names, values, h);
}

}  // namespace

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general);
  if (ec != std::errc()) return "NaN";  // cannot happen with 64 bytes for a double
  return std::string(buf, end);
}

void Gauge::Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      throw std::logic_error("histogram bounds must be finite and strictly increasing");
    }
  }
}

void Histogram::Observe(double v) {
  if (std::isnan(v)) return;
  size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (start <= 0 || factor <= 1 || count < 1) {
    throw std::logic_error("ExponentialBuckets needs start > 0, factor > 1, count >= 1");
  }
  std::vector<double> out;
  double b = start;
  for (int i = 0; i < count; ++i, b *= factor) out.push_back(b);
  return out;
}

// ---- Family

template <typename T>
Family<T>::Family(Registry& registry, std::string name, std::vector<std::string> label_names,
                  FamilyOptions options, std::function<std::unique_ptr<T>()> make)
    : registry_(registry),
      name_(std::move(name)),
      label_names_(std::move(label_names)),
      options_(options),
      make_(std::move(make)),
      dropped_sink_(make_()) {}

template <typename T>
T& Family<T>::WithLabels(std::initializer_list<std::string_view> values) {
  return WithLabels(std::vector<std::string>(values.begin(), values.end()));
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    throw std::logic_error("metric " + name_ + " takes " + std::to_string(label_names_.size()) +
                           " label values, got " + std::to_string(values.size()));
  }
  std::string key;
  for (const auto& v : values) {
    key += v;
    key += '\0';
  }
  {
    std::shared_lock lock(mu_);
    auto it = children_.find(key);
    if (it != children_.end()) return *it->second.second;
  }
  std::unique_lock lock(mu_);
  auto it = children_.find(key);
  if (it != children_.end()) return *it->second.second;
  if (children_.size() < options_.max_series) {
    auto& slot = children_[key];
    slot.first = values;
    slot.second = make_();
    return *slot.second;
  }
  lock.unlock();
  registry_.CountOverflow(name_);
  if (options_.overflow == FamilyOptions::Overflow::kDrop) return *dropped_sink_;
  lock.lock();
  if (!overflow_) overflow_ = make_();
  return *overflow_;
}

template <typename T>
void Family<T>::RenderTo(std::string& out) const {
  std::shared_lock lock(mu_);
  for (const auto& [key, child] : children_) {
    AppendValue(out, name_, label_names_, child.first, *child.second);
  }
  if (overflow_) {
    AppendValue(out, name_, label_names_, std::vector<std::string>(label_names_.size(), "other"),
                *overflow_);
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- Registry

struct Registry::Entry {
  std::string name;
  std::string help;
  MetricType type;
  std::vector<std::string> label_names;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::function<void(std::vector<Sample>&)> collect;
  FamilyOptions options;
};

Registry::Registry() {
  overflow_ = &AddCounterFamily(
      "hookline_metrics_overflow_total",
      "Label lookups past a family's series cap (aggregated under \"other\" or dropped).",
      {"family"}, FamilyOptions{1000, FamilyOptions::Overflow::kDrop});
}

Registry::~Registry() = default;

Registry::Entry& Registry::Register(std::string name, std::string help, MetricType type,
                                    std::vector<std::string> label_names) {
  if (!ValidName(name, true)) throw std::logic_error("invalid metric name '" + name + "'");
  for (const auto& l : label_names) {
    if (!ValidName(l, false) || l == "le" || l.rfind("__", 0) == 0) {
      throw std::logic_error("invalid label name '" + l + "' for " + name);
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e->name == name) throw std::logic_error("metric '" + name + "' registered twice");
  }
  auto e = std::make_unique<Entry>();
  e->name = std::move(name);
  e->help = std::move(help);
  e->type = type;
  e->label_names = std::move(label_names);
  entries_.push_back(std::move(e));
  return *entries_.back();
}

void Registry::CountOverflow(const std::string& family) {
  if (overflow_) overflow_->WithLabels({family}).Inc();
}

Family<Counter>& Registry::AddCounterFamily(std::string name, std::string help,
                                            std::vector<std::string> label_names,
                                            FamilyOptions options) {
  Entry& e = Register(std::move(name), std::move(help), MetricType::kCounter, label_names);
  e.counters.reset(new Family<Counter>(*this, e.name, std::move(label_names), options,
                                       [] { return std::make_unique<Counter>(); }));
  return *e.counters;
}

Family<Gauge>& Registry::AddGaugeFamily(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        FamilyOptions options) {
  Entry& e = Register(std::move(name), std::move(help), MetricType::kGauge, label_names);
  e.gauges.reset(new Family<Gauge>(*this, e.name, std::move(label_names), options,
                                   [] { return std::make_unique<Gauge>(); }));
  return *e.gauges;
}

Family<Histogram>& Registry::AddHistogramFamily(std::string name, std::string help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> bounds, FamilyOptions options) {
  Histogram probe(bounds);  // validates the bounds now, at registration
  Entry& e = Register(std::move(name), std::move(help), MetricType::kHistogram, label_names);
  e.histograms.reset(
      new Family<Histogram>(*this, e.name, std::move(label_names), options,
                            [bounds] { return std::make_unique<Histogram>(bounds); }));
  return *e.histograms;
}

Counter& Registry::AddCounter(std::string name, std::string help) {
  return AddCounterFamily(std::move(name), std::move(help), {}).WithLabels({});
}

Gauge& Registry::AddGauge(std::string name, std::string help) {
  return AddGaugeFamily(std::move(name), std::move(help), {}).WithLabels({});
}

Histogram& Registry::AddHistogram(std::string name, std::string help, std::vector<double> bounds) {
  return AddHistogramFamily(std::move(name), std::move(help), {}, std::move(bounds)).WithLabels({});
}

void Registry::AddCallback(std::string name, std::string help, MetricType type,
                           std::vector<std::string> label_names,
                           std::function<void(std::vector<Sample>&)> collect,
                           FamilyOptions options) {
  if (type == MetricType::kHistogram) throw std::logic_error("callback histograms: unsupported");
  Entry& e = Register(std::move(name), std::move(help), type, std::move(label_names));
  e.collect = std::move(collect);
  e.options = options;
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  // The overflow family (entries_[0]) goes last, so that it includes what the
  // callbacks rendered before it overflowed.
  for (size_t n = 1; n <= entries_.size(); ++n) {
    const auto& e = entries_[n % entries_.size()];
    out += "# HELP ";
    out += e->name;
    out += ' ';
    out += EscapeHelp(e->help);
    out += "\n# TYPE ";
    out += e->name;
    out += ' ';
    out += TypeName(e->type);
    out += '\n';
    if (e->counters) {
      e->counters->RenderTo(out);
    } else if (e->gauges) {
      e->gauges->RenderTo(out);
    } else if (e->histograms) {
      e->histograms->RenderTo(out);
    } else if (e->collect) {
      std::vector<Sample> samples;
      e->collect(samples);
      size_t kept = std::min(samples.size(), e->options.max_series);
      for (size_t i = 0; i < samples.size(); ++i) {
        if (samples[i].label_values.size() != e->label_names.size()) {
          throw std::logic_error("callback for " + e->name + " gave a sample with " +
                                 std::to_string(samples[i].label_values.size()) + " label values");
        }
      }
      for (size_t i = 0; i < kept; ++i) {
        AppendSample(out, e->name, e->label_names, samples[i].label_values,
                     FormatValue(samples[i].value));
      }
      if (samples.size() > kept) {
        overflow_->WithLabels({e->name}).Inc(samples.size() - kept);
        if (e->options.overflow == FamilyOptions::Overflow::kAggregate) {
          double rest = 0;
          for (size_t i = kept; i < samples.size(); ++i) rest += samples[i].value;
          AppendSample(out, e->name, e->label_names,
                       std::vector<std::string>(e->label_names.size(), "other"), FormatValue(rest));
        }
      }
    }
  }
  return out;
}

}  // namespace hookline::metrics
