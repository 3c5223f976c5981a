// Per-endpoint admission for the dispatcher: a concurrency cap, a token-bucket
// rate limit and a circuit breaker, so one slow, dead or rate-limited endpoint
// holds back only its own deliveries. Deliveries that must wait keep their
// attempt count: waiting is never an attempt.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hookline/db/outbox.h"

namespace hookline::sender {

struct GateOptions {
  int default_max_in_flight = 4;  // for endpoints that set none
  // Consecutive failed attempts that open the breaker; 0 = never open.
  int breaker_threshold = 20;
  std::chrono::milliseconds breaker_cooldown{30000};
  // An endpoint whose every attempt failed for this long is disabled; 0 = never.
  std::chrono::milliseconds auto_disable_after{5LL * 24 * 3600 * 1000};
  // Claims an endpoint may hold (queued + in flight), as a multiple of its cap:
  // enough to keep its slots busy, few enough that a hung endpoint's claims
  // wait at most a few timeouts (the dispatcher's lease covers that).
  int claim_multiple = 4;
};

enum class CircuitState { kClosed, kOpen, kHalfOpen };
std::string_view CircuitStateName(CircuitState s);
// Open while circuit_open_until is ahead; half-open once it passed with the
// failure streak still at the threshold (one probe decides); closed otherwise.
CircuitState CircuitStateOf(const db::EndpointHealth& health, int breaker_threshold, int64_t now);

// Not thread-safe: the dispatcher calls it under its own mutex.
class EndpointGates {
 public:
  explicit EndpointGates(GateOptions options) : options_(options) {}

  // Takes an endpoint's limits from a claim (every time: an operator may have
  // changed them) and, the first time, its stored health (after a restart).
  void Learn(const db::ClaimedDelivery& c);
  // Counts claims held in the dispatcher's queue (+1 queued, -1 taken out).
  void Queued(const std::string& endpoint, int delta);

  struct Verdict {
    enum Kind {
      kGo,     // attempt now: a slot (and a token) are taken; call Finish or Abandon after
      kWait,   // keep it queued: it may go once an attempt of this endpoint ends or at `until`
      kDefer,  // the breaker is open: give the claim back, due at `until`
    } kind = kGo;
    int64_t until = 0;  // kWait: 0 = no timer, wait for an attempt to end
  };
  Verdict Admit(const std::string& endpoint, int64_t now);

  struct Finished {
    std::optional<db::EndpointHealth> health;  // changed: persist it
    std::string disable_reason;                // non-empty: auto-disable the endpoint
    bool opened = false;                       // this failure opened the breaker
    bool was_at_allowance = false;             // the claim may take this endpoint's work again
    // This success closed a breaker that had opened; `before` is the health it cleared.
    std::optional<db::EndpointHealth> recovered_from;
  };
  // An admitted attempt ended. `what` describes a failure for the disable reason.
  Finished Finish(const std::string& endpoint, bool success, int64_t now, std::string_view what);
  // An admitted attempt was cancelled at shutdown: says nothing of the endpoint.
  void Abandon(const std::string& endpoint);

  // How many attempts the endpoint would admit now.
  int Slots(const std::string& endpoint, int64_t now) const;

  // Endpoints whose breaker is not closed now, open ones first.
  std::vector<std::pair<std::string, CircuitState>> NotClosed(int64_t now) const;

  // What ClaimDue may take per endpoint now; endpoints not listed get
  // default_per_endpoint.
  db::ClaimLimits ClaimAllowances(int64_t now) const;

 private:
  struct State {
    db::EndpointLimits limits;
    db::EndpointHealth health;
    int in_flight = 0;
    int queued = 0;
    bool probing = false;  // the half-open probe is in flight
    double tokens = 0;
    int64_t refilled_at = -1;  // -1: bucket not started (starts full)
  };
  int MaxInFlight(const State& s) const;
  int Allowance(const State& s, int64_t now) const;
  void Refill(State& s, int64_t now) const;
  double Burst(const State& s) const;

  const GateOptions options_;
  std::unordered_map<std::string, State> states_;
};

}  // namespace hookline::sender
