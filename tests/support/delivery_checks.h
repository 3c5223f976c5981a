// What reached a TestReceiver and what hookd says about its deliveries, for
// tests and soaks that check "every acknowledged event was delivered".
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "support/hookd_fixture.h"
#include "support/test_receiver.h"

namespace hookline::testing {

// How many times each webhook-id reached the receiver.
inline std::map<std::string, int> CountById(const TestReceiver& receiver) {
  std::map<std::string, int> seen;
  for (const auto& r : receiver.requests()) ++seen[r.id];
  return seen;
}

// The ids of `ids` seen fewer than `times` times in `seen`.
inline std::vector<std::string> Missing(const std::map<std::string, int>& seen,
                                        const std::vector<std::string>& ids, int times = 1) {
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    auto it = seen.find(id);
    if (it == seen.end() || it->second < times) missing.push_back(id);
  }
  return missing;
}

// The ids that reached the receiver fewer than `times` times.
inline std::vector<std::string> Missing(const TestReceiver& receiver,
                                        const std::vector<std::string>& ids, int times = 1) {
  return Missing(CountById(receiver), ids, times);
}

inline bool NoDeliveriesWith(const Hookd& hookd, const std::string& status) {
  ApiReply r = hookd.Get("/v1/deliveries?limit=1&status=" + status);
  return r.status == 200 && r.body["data"].empty();
}

// Nothing waits and nothing is leased.
inline bool Settled(const Hookd& hookd) {
  return NoDeliveriesWith(hookd, "pending") && NoDeliveriesWith(hookd, "inflight");
}

inline bool AllSucceeded(const Hookd& hookd, const std::vector<std::string>& event_ids) {
  return std::all_of(event_ids.begin(), event_ids.end(), [&](const std::string& id) {
    Json d = hookd.Deliveries(id);
    return d.is_array() && d.size() == 1 && d[0].value("status", "") == "succeeded";
  });
}

}  // namespace hookline::testing
