#include "hookline/receiver/memory_dedupe_store.h"

namespace hookline::receiver {

MemoryDedupeStore::MemoryDedupeStore(Options options) : options_(options) {
  if (options_.clock == nullptr) options_.clock = &SystemClock::Get();
}

void MemoryDedupeStore::EraseLocked(Slot* slot) {
  ListOf(slot->second.state).erase(slot->second.order);
  // Erase through an iterator: erasing by `slot->first` would pass a key that
  // dies during the erase.
  entries_.erase(entries_.find(slot->first));
}

void MemoryDedupeStore::InsertLocked(std::string_view id, State state, TimePoint now) {
  auto [it, inserted] = entries_.try_emplace(std::string(id), Entry{state, now, {}});
  (void)inserted;  // callers insert only ids they did not find
  Order& list = ListOf(state);
  it->second.order = list.insert(list.end(), &*it);
}

void MemoryDedupeStore::MoveLocked(Slot* slot, State state, TimePoint now) {
  Entry& e = slot->second;
  // splice relinks the node: no allocation, and `e.order` stays valid.
  ListOf(state).splice(ListOf(state).end(), ListOf(e.state), e.order);
  e.state = state;
  e.since = now;
}

void MemoryDedupeStore::ExpireLocked(TimePoint now) {
  // Each entry is dropped at most once, so this is amortized O(1) per operation.
  // A clock that steps back can leave an expired entry behind a live one; it is
  // then dropped a little later, which only costs memory, never correctness:
  // Claim() checks the age of the entry it finds.
  while (!done_.empty() && now - done_.front()->second.since >= options_.ttl) {
    EraseLocked(done_.front());
  }
  while (!claims_.empty() && now - claims_.front()->second.since >= options_.claim_timeout) {
    EraseLocked(claims_.front());
  }
}

bool MemoryDedupeStore::MakeRoomLocked() {
  if (entries_.size() < options_.capacity) return true;
  // Expired entries are already gone (ExpireLocked runs first), so the oldest
  // done id is the least useful one left.
  if (done_.empty()) return false;
  EraseLocked(done_.front());
  return true;
}

Result<ClaimResult> MemoryDedupeStore::Claim(std::string_view id) {
  TimePoint now = options_.clock->Now();
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(now);
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    if (!MakeRoomLocked()) return Status::Unavailable("dedupe store full");
    InsertLocked(id, State::kInProgress, now);
    return ClaimResult::kNew;
  }
  const Entry& e = it->second;
  if (e.state == State::kDone && now - e.since < options_.ttl) return ClaimResult::kDone;
  if (e.state == State::kInProgress && now - e.since < options_.claim_timeout) {
    return ClaimResult::kInProgress;
  }
  // Expired but not yet dropped (the clock stepped back): take it over.
  MoveLocked(&*it, State::kInProgress, now);
  return ClaimResult::kNew;
}

Status MemoryDedupeStore::Complete(std::string_view id) {
  TimePoint now = options_.clock->Now();
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(now);
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    MoveLocked(&*it, State::kDone, now);
    return Status::Ok();
  }
  if (!MakeRoomLocked()) return Status::Unavailable("dedupe store full");
  InsertLocked(id, State::kDone, now);
  return Status::Ok();
}

Status MemoryDedupeStore::Release(std::string_view id) {
  TimePoint now = options_.clock->Now();
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(now);
  auto it = entries_.find(id);
  if (it != entries_.end() && it->second.state == State::kInProgress) EraseLocked(&*it);
  return Status::Ok();
}

size_t MemoryDedupeStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace hookline::receiver
