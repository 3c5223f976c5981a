#include "endpoint_gate.h"

#include <algorithm>
#include <cmath>

#include "hookline/clock.h"
#include "hookline/retry_schedule.h"

namespace hookline::sender {

std::string_view CircuitStateName(CircuitState s) {
  switch (s) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

CircuitState CircuitStateOf(const db::EndpointHealth& h, int breaker_threshold, int64_t now) {
  if (h.circuit_open_until > now) return CircuitState::kOpen;
  if (breaker_threshold > 0 && h.circuit_open_until > 0 &&
      h.consecutive_failures >= breaker_threshold) {
    return CircuitState::kHalfOpen;
  }
  return CircuitState::kClosed;
}

void EndpointGates::Learn(const db::ClaimedDelivery& c) {
  auto [it, fresh] = states_.try_emplace(c.endpoint_id);
  State& s = it->second;
  if (s.limits.rate_limit_per_s != c.limits.rate_limit_per_s ||
      s.limits.rate_limit_burst != c.limits.rate_limit_burst) {
    s.refilled_at = -1;  // a new bucket, full
  }
  s.limits = c.limits;
  if (fresh) s.health = c.health;
}

void EndpointGates::Queued(const std::string& endpoint, int delta) {
  State& s = states_[endpoint];
  s.queued = std::max(0, s.queued + delta);
}

int EndpointGates::MaxInFlight(const State& s) const {
  return s.limits.max_in_flight > 0 ? s.limits.max_in_flight
                                    : std::max(1, options_.default_max_in_flight);
}

double EndpointGates::Burst(const State& s) const {
  return s.limits.rate_limit_burst > 0 ? s.limits.rate_limit_burst
                                       : std::max(1.0, std::ceil(s.limits.rate_limit_per_s));
}

void EndpointGates::Refill(State& s, int64_t now) const {
  double rate = s.limits.rate_limit_per_s;
  double burst = Burst(s);
  if (s.refilled_at < 0) {
    s.tokens = burst;
  } else if (now > s.refilled_at) {
    s.tokens = std::min(burst, s.tokens + static_cast<double>(now - s.refilled_at) * rate / 1000);
  }
  s.refilled_at = std::max(now, s.refilled_at);
}

EndpointGates::Verdict EndpointGates::Admit(const std::string& endpoint, int64_t now) {
  State& s = states_[endpoint];
  CircuitState circuit = CircuitStateOf(s.health, options_.breaker_threshold, now);
  if (circuit == CircuitState::kOpen) return {Verdict::kDefer, s.health.circuit_open_until};
  if (circuit == CircuitState::kHalfOpen && s.probing) return {Verdict::kWait, 0};
  if (s.in_flight >= MaxInFlight(s)) return {Verdict::kWait, 0};
  if (s.limits.rate_limit_per_s > 0) {
    Refill(s, now);
    if (s.tokens < 1) {
      double ms = std::ceil((1 - s.tokens) * 1000 / s.limits.rate_limit_per_s);
      return {Verdict::kWait, now + std::max<int64_t>(1, static_cast<int64_t>(ms))};
    }
    s.tokens -= 1;
  }
  if (circuit == CircuitState::kHalfOpen) s.probing = true;
  ++s.in_flight;
  return {Verdict::kGo, 0};
}

EndpointGates::Finished EndpointGates::Finish(const std::string& endpoint, bool success,
                                              int64_t now, std::string_view what) {
  State& s = states_[endpoint];
  Finished f;
  f.was_at_allowance = Allowance(s, now) <= 0;
  s.in_flight = std::max(0, s.in_flight - 1);
  s.probing = false;
  db::EndpointHealth& h = s.health;
  if (success) {
    if (h.consecutive_failures != 0 || h.failing_since != 0 || h.circuit_open_until != 0) {
      if (h.circuit_open_until != 0) f.recovered_from = h;
      h = db::EndpointHealth{};
      f.health = h;
    }
    return f;
  }
  ++h.consecutive_failures;
  if (h.failing_since == 0) h.failing_since = now;
  // Failures of attempts that started before the breaker opened do not extend it.
  if (options_.breaker_threshold > 0 && h.consecutive_failures >= options_.breaker_threshold &&
      h.circuit_open_until <= now) {
    h.circuit_open_until = now + options_.breaker_cooldown.count();
    f.opened = true;
  }
  f.health = h;
  auto failing_for = std::chrono::milliseconds(now - h.failing_since);
  if (options_.auto_disable_after.count() > 0 && failing_for >= options_.auto_disable_after) {
    f.disable_reason = "every attempt since " + FormatRfc3339(FromUnixMillis(h.failing_since)) +
                       " failed (" + std::to_string(h.consecutive_failures) +
                       " in a row, last: " + std::string(what) + "); auto-disabled after " +
                       FormatDuration(options_.auto_disable_after);
  }
  return f;
}

void EndpointGates::Abandon(const std::string& endpoint) {
  State& s = states_[endpoint];
  s.in_flight = std::max(0, s.in_flight - 1);
  s.probing = false;
}

int EndpointGates::Slots(const std::string& endpoint, int64_t now) const {
  auto it = states_.find(endpoint);
  if (it == states_.end()) return std::max(1, options_.default_max_in_flight);
  State s = it->second;  // a copy: looking must not refill the real bucket
  switch (CircuitStateOf(s.health, options_.breaker_threshold, now)) {
    case CircuitState::kOpen:
      return 0;
    case CircuitState::kHalfOpen:
      return s.probing ? 0 : 1;
    case CircuitState::kClosed:
      break;
  }
  int free = std::max(0, MaxInFlight(s) - s.in_flight);
  if (s.limits.rate_limit_per_s > 0) {
    Refill(s, now);
    free = std::min(free, static_cast<int>(s.tokens));
  }
  return free;
}

int EndpointGates::Allowance(const State& s, int64_t now) const {
  CircuitState circuit = CircuitStateOf(s.health, options_.breaker_threshold, now);
  if (circuit == CircuitState::kOpen) return 0;
  int hold = MaxInFlight(s) * std::max(1, options_.claim_multiple);
  if (circuit == CircuitState::kHalfOpen) hold = 1;
  if (s.limits.rate_limit_per_s > 0) {
    // No more than a few seconds' worth of its rate: the rest waits in the
    // database, where it does not hold a lease.
    hold = std::min(hold, std::max(1, static_cast<int>(std::ceil(s.limits.rate_limit_per_s * 5))));
  }
  return std::max(0, hold - s.queued - s.in_flight);
}

std::vector<std::pair<std::string, CircuitState>> EndpointGates::NotClosed(int64_t now) const {
  std::vector<std::pair<std::string, CircuitState>> out;
  for (const auto& [id, s] : states_) {
    CircuitState c = CircuitStateOf(s.health, options_.breaker_threshold, now);
    if (c != CircuitState::kClosed) out.emplace_back(id, c);
  }
  std::stable_partition(out.begin(), out.end(),
                        [](const auto& e) { return e.second == CircuitState::kOpen; });
  return out;
}

db::ClaimLimits EndpointGates::ClaimAllowances(int64_t now) const {
  db::ClaimLimits limits;
  limits.default_per_endpoint =
      std::max(1, options_.default_max_in_flight) * std::max(1, options_.claim_multiple);
  for (const auto& [id, s] : states_) {
    int allowance = Allowance(s, now);
    // Listing an endpoint that may take the default anyway only costs a lookup.
    if (allowance != limits.default_per_endpoint) limits.per_endpoint.emplace_back(id, allowance);
  }
  return limits;
}

}  // namespace hookline::sender
