// receiver_bench: what verifying and deduplicating a delivery costs on one
// thread, against the raw HMAC-SHA256 it cannot avoid (same run, same body).
//
// The issue's goal: >= 200k verify+dedupe per second. Each phase runs about a
// second (--seconds); the whole program well under 10 s. --json PATH writes the
// figures in the shape bench/run collects from every benchmark.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "hookline/clock.h"
#include "hookline/crypto.h"
#include "hookline/ids.h"
#include "hookline/receiver/memory_dedupe_store.h"
#include "hookline/receiver/verifier.h"
#include "hookline/secret.h"
#include "hookline/signing.h"

namespace {

using Clock = std::chrono::steady_clock;
using hookline::receiver::Headers;

double g_phase_seconds = 1.0;
constexpr size_t kBodyBytes = 400;
constexpr size_t kBatch = 10'000;
constexpr double kGoal = 200'000;
#ifdef HOOKLINE_BUILD_TYPE
constexpr const char* kBuildType = HOOKLINE_BUILD_TYPE;
#else
constexpr const char* kBuildType = "unknown";
#endif

// Keeps the optimizer from deleting work whose result is otherwise unused.
volatile size_t g_sink = 0;

std::string MakeBody() {
  std::string body =
      R"({"type":"invoice.paid","timestamp":"2026-01-01T00:00:00.000Z","data":{"customer":"cus_123","pad":")";
  std::string tail = R"("}})";
  body.append(kBodyBytes - body.size() - tail.size(), 'x');
  body += tail;
  return body;
}

// Runs `op` in rounds of `batch` until the phase time (--seconds) has passed; ops per second.
template <typename Op>
double Rate(Op&& op, size_t batch = 1000) {
  size_t n = 0;
  auto start = Clock::now();
  double elapsed = 0;
  do {
    for (size_t i = 0; i < batch; ++i) op();
    n += batch;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < g_phase_seconds);
  return static_cast<double>(n) / elapsed;
}

struct Signed {
  std::vector<Headers> headers;
  std::vector<std::string> ids;
};

// A batch of deliveries with unique ids, signed outside the timed section.
Signed MakeBatch(const hookline::Signer& signer, const std::string& body, int64_t ts) {
  Signed s;
  s.headers.reserve(kBatch);
  s.ids.reserve(kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    std::string id = hookline::NewEventId();
    s.headers.push_back(Headers{{"content-type", "application/json"},
                                {"webhook-id", id},
                                {"webhook-timestamp", std::to_string(ts)},
                                {"webhook-signature", signer.Sign(id, ts, body)}});
    s.ids.push_back(std::move(id));
  }
  return s;
}

// Verify (and optionally dedupe) fresh batches until a phase time of timed work.
template <typename Op>
double TimedOverBatches(const hookline::Signer& signer, const std::string& body, Op&& op) {
  size_t n = 0;
  double elapsed = 0;
  while (elapsed < g_phase_seconds) {
    Signed batch = MakeBatch(signer, body, hookline::SystemClock::Get().NowUnixSeconds());
    auto start = Clock::now();
    for (size_t i = 0; i < kBatch; ++i) op(batch.headers[i]);
    elapsed += std::chrono::duration<double>(Clock::now() - start).count();
    n += kBatch;
  }
  return static_cast<double>(n) / elapsed;
}

void Print(const char* what, double rate, double baseline) {
  std::printf("  %-46s %10.0f /s  %6.2fx raw HMAC  (%.2f us each)\n", what, rate, rate / baseline,
              1e6 / rate);
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  for (int i = 1; i < argc; i += 2) {
    std::string_view flag = argv[i];
    if (i + 1 == argc || (flag != "--json" && flag != "--seconds")) {
      std::fprintf(stderr, "usage: receiver_bench [--seconds 1] [--json PATH]\n");
      return 2;
    }
    if (flag == "--json") json_path = argv[i + 1];
    if (flag == "--seconds") g_phase_seconds = std::stod(argv[i + 1]);
  }
  const std::string body = MakeBody();
  hookline::Secret secret = hookline::Secret::Generate();
  const std::string key = secret.key();
  hookline::Signer signer(secret);
  std::printf("receiver_bench: %zu-byte JSON bodies, one thread, ~%.0f s per phase, %s build\n",
              body.size(), g_phase_seconds, kBuildType);

  double once = Rate([&] { g_sink = g_sink + hookline::HmacSha256Once(key, body).size(); });
  std::printf("  %-46s %10.0f /s  (baseline, %.2f us each)\n",
              "HMAC-SHA256 one-shot (HmacSha256Once)", once, 1e6 / once);
  hookline::HmacSha256 prepared(key);
  double prep = Rate([&] { g_sink = g_sink + prepared.Compute({body}).size(); });
  Print("HMAC-SHA256 prepared key (HmacSha256)", prep, once);

  auto verifier = hookline::receiver::Verifier::Create({secret.Reveal()});
  if (!verifier.ok()) {
    std::fprintf(stderr, "receiver_bench: %s\n", verifier.status().ToString().c_str());
    return 1;
  }
  size_t failures = 0;
  double verify = TimedOverBatches(signer, body, [&](const Headers& h) {
    if (!verifier->Verify(h, body).ok()) ++failures;
  });
  Print("Verifier::Verify", verify, once);

  hookline::receiver::MemoryDedupeStore store;
  double full = TimedOverBatches(signer, body, [&](const Headers& h) {
    auto r = verifier->Verify(h, body);
    if (!r.ok()) {
      ++failures;
      return;
    }
    auto claim = store.Claim(r.id);
    if (!claim.ok() || *claim != hookline::receiver::ClaimResult::kNew) ++failures;
    if (!store.Complete(r.id).ok()) ++failures;
  });
  Print("Verify + MemoryDedupeStore Claim/Complete", full, once);

  if (failures != 0) {
    std::fprintf(stderr, "receiver_bench: %zu operations failed\n", failures);
    return 1;
  }
  std::printf("  goal >= %.0f verify+dedupe/s: %s%s\n", kGoal, full >= kGoal ? "met" : "NOT met",
              std::string_view(kBuildType) == "Debug"
                  ? " (Debug build: measure with -DCMAKE_BUILD_TYPE=Release)"
                  : "");
  if (!json_path.empty()) {
    using Json = nlohmann::json;
    auto row = [&](const char* name, double value, Json goal, Json pass, const char* note) {
      return Json{{"name", name},          {"unit", "ops/s"}, {"value", value}, {"baseline", once},
                  {"ratio", value / once}, {"goal", goal},    {"pass", pass},   {"note", note}};
    };
    Json out = {
        {"benchmark", "receiver_bench"},
        {"build_type", kBuildType},
        {"phase_seconds", g_phase_seconds},
        {"rows",
         {row("receiver: verify + dedupe (1 thread, 400 B)", full, ">=200k/s", full >= kGoal,
              "Verifier::Verify + MemoryDedupeStore Claim/Complete; baseline: one-shot "
              "HMAC-SHA256 of the same body"),
          row("receiver: verify alone", verify, "", nullptr, "Verifier::Verify"),
          row("receiver: HMAC with a prepared key", prep, "", nullptr, "HmacSha256")}}};
    std::ofstream(json_path) << out.dump(2) << "\n";
    std::printf("wrote %s\n", json_path.c_str());
  }
  return 0;
}
