// Remembers which webhook ids were processed, so that a redelivery (the sender
// retries until it sees a 2xx, and may deliver twice) runs the handler once.
#pragma once

#include <string_view>

#include "hookline/status.h"

namespace hookline::receiver {

enum class ClaimResult {
  kNew,         // the caller now holds the claim: process, then Complete() or Release()
  kInProgress,  // another handler holds a live claim: answer with a retryable status
  kDone,        // already processed (within the TTL): acknowledge without processing
};

// The life of an id: unknown -> Claim() -> in progress -> Complete() -> done
// (for the TTL, then unknown again), or in progress -> Release() -> unknown.
// An in-progress claim older than the store's claim timeout is treated as left
// behind by a crashed handler: the next Claim() takes it over (kNew).
//
// Implementations are thread-safe; Claim() is atomic, so of many concurrent
// Claim() calls for one unknown id exactly one returns kNew.
//
// Ids are opaque bytes. Claims carry no owner: a handler that outlives the
// claim timeout and then calls Release() may release its successor's claim;
// the cost is at most one more processing of that id, which at-least-once
// delivery requires handlers to tolerate anyway.
class DedupeStore {
 public:
  virtual ~DedupeStore() = default;

  // Unavailable when the store cannot answer now (full, busy, I/O error); the
  // caller should answer with a retryable status and not run the handler.
  virtual Result<ClaimResult> Claim(std::string_view id) = 0;

  // Marks `id` done, whatever its state (a handler that finished after its
  // claim was taken over still did the work). Unavailable on storage failure.
  virtual Status Complete(std::string_view id) = 0;

  // Forgets an in-progress claim so a redelivery processes the id; a no-op for
  // unknown or done ids. Unavailable on storage failure.
  virtual Status Release(std::string_view id) = 0;
};

}  // namespace hookline::receiver
