// An in-process DedupeStore: fast, bounded, forgotten on restart.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hookline/clock.h"
#include "hookline/receiver/dedupe_store.h"

namespace hookline::receiver {

// Thread-safe (one mutex; every operation is amortized O(1)). Expired entries
// are dropped as operations pass by, so memory follows the traffic of the last
// TTL up to `capacity` entries.
class MemoryDedupeStore final : public DedupeStore {
 public:
  struct Options {
    // How long a done id is remembered. Keep it longer than the sender's whole
    // retry schedule, or a late retry is processed again.
    std::chrono::milliseconds ttl = std::chrono::hours(24);
    // After this long an in-progress claim counts as abandoned (crashed handler).
    // Keep it longer than the slowest handler.
    std::chrono::milliseconds claim_timeout = std::chrono::minutes(5);
    // The most ids held at once. When full, the oldest done ids are forgotten
    // first; live claims are never evicted (Claim() then fails Unavailable).
    size_t capacity = 1'000'000;
    // Not owned; must outlive the store.
    const Clock* clock = &SystemClock::Get();
  };

  MemoryDedupeStore() : MemoryDedupeStore(Options()) {}
  explicit MemoryDedupeStore(Options options);
  MemoryDedupeStore(const MemoryDedupeStore&) = delete;
  MemoryDedupeStore& operator=(const MemoryDedupeStore&) = delete;

  // Unavailable("dedupe store full") when a new id needs room and every entry
  // is a live claim.
  Result<ClaimResult> Claim(std::string_view id) override;
  // Unavailable("dedupe store full") only when `id` is unknown and there is no room.
  Status Complete(std::string_view id) override;
  Status Release(std::string_view id) override;

  // Entries currently held (claims and done ids), for tests and metrics.
  size_t size() const;

 private:
  enum class State { kInProgress, kDone };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct Entry;
  using Slot = std::pair<const std::string, Entry>;  // a node of `entries_`
  // Each list holds the entries of one state in the order they entered it.
  // Since the TTL and the claim timeout are fixed, that is also expiry order, so
  // expired entries are always at the front. unordered_map nodes never move, so
  // the lists can point at them.
  using Order = std::list<Slot*>;
  struct Entry {
    State state;
    TimePoint since;        // when the current state began
    Order::iterator order;  // this id's node in claims_ or done_
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  void ExpireLocked(TimePoint now);
  // Makes room for one more entry; false if only live claims remain.
  bool MakeRoomLocked();
  void EraseLocked(Slot* slot);
  void InsertLocked(std::string_view id, State state, TimePoint now);
  // Moves an existing entry to the back of the list of `state`.
  void MoveLocked(Slot* slot, State state, TimePoint now);
  Order& ListOf(State state) { return state == State::kDone ? done_ : claims_; }

  Options options_;
  mutable std::mutex mu_;
  Map entries_;   // guarded by mu_
  Order claims_;  // guarded by mu_
  Order done_;    // guarded by mu_
};

}  // namespace hookline::receiver
