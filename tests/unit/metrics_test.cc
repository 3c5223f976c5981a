// The metrics registry: exact exposition text, caps on label cardinality, and
// updates from many threads (run under TSan as part of sender_unit_test).
#include "hookline/metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>

using namespace hookline::metrics;

namespace {

// The registry's own overflow family, rendered last in every registry.
constexpr const char* kOverflowHeader =
    "# HELP hookline_metrics_overflow_total Label lookups past a family's series cap "
    "(aggregated under \"other\" or dropped).\n"
    "# TYPE hookline_metrics_overflow_total counter\n";

}  // namespace

TEST_CASE("a small registry renders as exact exposition text", "[metrics]") {
  Registry r;
  Counter& ingested = r.AddCounter("app_events_total", "Events stored.");
  Family<Counter>& requests =
      r.AddCounterFamily("app_requests_total", "Requests by route.", {"route", "status"});
  Gauge& depth = r.AddGauge("app_queue_depth", "Queue depth.\nSecond line with a \\ backslash.");
  Histogram& latency = r.AddHistogram("app_latency_seconds", "Latency.", {0.1, 0.5, 2.5});

  ingested.Inc();
  ingested.Inc(2);
  requests.WithLabels({"/v1/events", "202"}).Inc(5);
  requests.WithLabels({"/v1/endpoints/{id}", "404"}).Inc();
  depth.Set(7.25);
  latency.Observe(0.05);
  latency.Observe(0.1);  // le is inclusive
  latency.Observe(1);
  latency.Observe(30);

  std::string expected =
      "# HELP app_events_total Events stored.\n"
      "# TYPE app_events_total counter\n"
      "app_events_total 3\n"
      "# HELP app_requests_total Requests by route.\n"
      "# TYPE app_requests_total counter\n"
      "app_requests_total{route=\"/v1/endpoints/{id}\",status=\"404\"} 1\n"
      "app_requests_total{route=\"/v1/events\",status=\"202\"} 5\n"
      "# HELP app_queue_depth Queue depth.\\nSecond line with a \\\\ backslash.\n"
      "# TYPE app_queue_depth gauge\n"
      "app_queue_depth 7.25\n"
      "# HELP app_latency_seconds Latency.\n"
      "# TYPE app_latency_seconds histogram\n"
      "app_latency_seconds_bucket{le=\"0.1\"} 2\n"
      "app_latency_seconds_bucket{le=\"0.5\"} 2\n"
      "app_latency_seconds_bucket{le=\"2.5\"} 3\n"
      "app_latency_seconds_bucket{le=\"+Inf\"} 4\n"
      "app_latency_seconds_sum 31.15\n"
      "app_latency_seconds_count 4\n" +
      std::string(kOverflowHeader);
  CHECK(r.Render() == expected);
}

TEST_CASE("labeled histograms put le last and keep one series per label set", "[metrics]") {
  Registry r;
  auto& h = r.AddHistogramFamily("op_seconds", "Op time.", {"op"}, {1});
  h.WithLabels({"read"}).Observe(0.5);
  h.WithLabels({"write"}).Observe(3);
  std::string text = r.Render();
  CHECK(text.find("op_seconds_bucket{op=\"read\",le=\"1\"} 1\n"
                  "op_seconds_bucket{op=\"read\",le=\"+Inf\"} 1\n"
                  "op_seconds_sum{op=\"read\"} 0.5\n"
                  "op_seconds_count{op=\"read\"} 1\n"
                  "op_seconds_bucket{op=\"write\",le=\"1\"} 0\n"
                  "op_seconds_bucket{op=\"write\",le=\"+Inf\"} 1\n") != std::string::npos);
}

TEST_CASE("label values and help text are escaped", "[metrics]") {
  CHECK(EscapeLabelValue("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  CHECK(EscapeLabelValue("plain /v1/{id}") == "plain /v1/{id}");
  CHECK(EscapeHelp("x\\y\nz \"q\"") == "x\\\\y\\nz \"q\"");
  Registry r;
  r.AddCounterFamily("esc_total", "h", {"v"}).WithLabels({"say \"hi\"\n"}).Inc();
  CHECK(r.Render().find("esc_total{v=\"say \\\"hi\\\"\\n\"} 1\n") != std::string::npos);
}

TEST_CASE("values are formatted as Prometheus reads them", "[metrics]") {
  CHECK(FormatValue(0) == "0");
  CHECK(FormatValue(42) == "42");
  CHECK(FormatValue(-3) == "-3");
  CHECK(FormatValue(0.005) == "0.005");
  CHECK(FormatValue(1e21) == "1e+21");
  CHECK(FormatValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(FormatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(FormatValue(std::nan("")) == "NaN");
}

TEST_CASE("a family past its series cap aggregates into other and counts it", "[metrics]") {
  Registry r;
  auto& f = r.AddCounterFamily("ep_waits_total", "Waits.", {"endpoint"}, FamilyOptions{2});
  f.WithLabels({"ep_a"}).Inc();
  f.WithLabels({"ep_b"}).Inc();
  f.WithLabels({"ep_c"}).Inc(3);
  f.WithLabels({"ep_d"}).Inc(4);
  f.WithLabels({"ep_a"}).Inc();  // an existing series still counts as itself
  std::string text = r.Render();
  CHECK(text.find("ep_waits_total{endpoint=\"ep_a\"} 2\n"
                  "ep_waits_total{endpoint=\"ep_b\"} 1\n"
                  "ep_waits_total{endpoint=\"other\"} 7\n") != std::string::npos);
  CHECK(text.find("hookline_metrics_overflow_total{family=\"ep_waits_total\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("ep_c") == std::string::npos);
}

TEST_CASE("a gauge family past its cap drops the extra series", "[metrics]") {
  Registry r;
  auto& f = r.AddGaugeFamily("ep_state", "State.", {"endpoint"},
                             FamilyOptions{1, FamilyOptions::Overflow::kDrop});
  f.WithLabels({"ep_a"}).Set(1);
  f.WithLabels({"ep_b"}).Set(2);  // usable, never rendered
  std::string text = r.Render();
  CHECK(text.find("ep_state{endpoint=\"ep_a\"} 1\n") != std::string::npos);
  CHECK(text.find("ep_b") == std::string::npos);
  CHECK(text.find("endpoint=\"other\"") == std::string::npos);
  CHECK(text.find("hookline_metrics_overflow_total{family=\"ep_state\"} 1\n") != std::string::npos);
}

TEST_CASE("callbacks give scrape-time samples under the same cap", "[metrics]") {
  Registry r;
  int calls = 0;
  r.AddCallback(
      "queue", "Depth by status.", MetricType::kGauge, {"status"},
      [&](std::vector<Sample>& out) {
        ++calls;
        out.push_back({{"pending"}, 4});
        out.push_back({{"failed"}, 1});
        out.push_back({{"inflight"}, 2});
      },
      FamilyOptions{2});
  std::string text = r.Render();
  CHECK(calls == 1);
  CHECK(text.find("# TYPE queue gauge\n"
                  "queue{status=\"pending\"} 4\n"
                  "queue{status=\"failed\"} 1\n"
                  "queue{status=\"other\"} 2\n") != std::string::npos);
  CHECK(text.find("hookline_metrics_overflow_total{family=\"queue\"} 1\n") != std::string::npos);
}

TEST_CASE("registration rejects names that Prometheus cannot parse", "[metrics]") {
  Registry r;
  r.AddCounter("ok_total", "x");
  CHECK_THROWS_AS(r.AddCounter("ok_total", "again"), std::logic_error);
  CHECK_THROWS_AS(r.AddCounter("1bad", "x"), std::logic_error);
  CHECK_THROWS_AS(r.AddCounter("bad-name", "x"), std::logic_error);
  CHECK_THROWS_AS(r.AddCounterFamily("l_total", "x", {"le"}), std::logic_error);
  CHECK_THROWS_AS(r.AddCounterFamily("m_total", "x", {"a:b"}), std::logic_error);
  CHECK_THROWS_AS(r.AddHistogram("h", "x", {1, 1}), std::logic_error);
  CHECK_THROWS_AS(r.AddHistogram("h2", "x", {std::numeric_limits<double>::infinity()}),
                  std::logic_error);
  auto& f = r.AddCounterFamily("n_total", "x", {"a", "b"});
  CHECK_THROWS_AS(f.WithLabels({"only one"}), std::logic_error);
  CHECK(ExponentialBuckets(0.001, 10, 3) == std::vector<double>{0.001, 0.01, 0.1});
  CHECK_THROWS_AS(ExponentialBuckets(0, 2, 3), std::logic_error);
}

TEST_CASE("updates from many threads are all counted while scrapes run", "[metrics][threads]") {
  Registry r;
  Counter& c = r.AddCounter("c_total", "c");
  Gauge& g = r.AddGauge("g", "g");
  Histogram& h = r.AddHistogram("h_seconds", "h", {0.5, 1.5});
  auto& fam = r.AddCounterFamily("f_total", "f", {"t"}, FamilyOptions{4});
  constexpr int kThreads = 4, kPerThread = 20000;
  std::atomic<bool> done{false};
  std::atomic<bool> scrape_ok{true};
  std::thread scraper([&] {
    // Bounded: stops when the writers are done, or after 10000 scrapes.
    for (int i = 0; i < 10000 && !done.load(); ++i) {
      std::string text = r.Render();
      if (text.find("# TYPE h_seconds histogram") == std::string::npos) scrape_ok = false;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.Inc();
        g.Add(1);
        h.Observe(i % 2);
        // Eight label values over a cap of four: creation and overflow race too.
        fam.WithLabels({std::to_string((t + i) % 8)}).Inc();
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  scraper.join();
  constexpr uint64_t kTotal = uint64_t{kThreads} * kPerThread;
  CHECK(scrape_ok);
  CHECK(c.value() == kTotal);
  CHECK(g.value() == static_cast<double>(kTotal));
  Histogram::Snapshot s = h.Read();
  CHECK(s.count == kTotal);
  CHECK(s.cumulative[0] == kTotal / 2);
  CHECK(s.sum == static_cast<double>(kTotal / 2));
  std::string text = r.Render();
  uint64_t family_total = 0;
  int series = 0;
  for (const char* v : {"0", "1", "2", "3", "4", "5", "6", "7", "other"}) {
    std::string needle = std::string("f_total{t=\"") + v + "\"} ";
    size_t at = text.find(needle);
    if (at == std::string::npos) continue;
    ++series;
    family_total += std::stoull(text.substr(at + needle.size()));
  }
  CHECK(series == 5);  // the cap of four, plus "other"
  CHECK(family_total == kTotal);
}
