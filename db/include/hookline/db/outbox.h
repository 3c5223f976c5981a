// The outbox: where endpoints, events, deliveries and their attempts live.
//
// The HTTP API and the dispatcher talk only to this interface, so a backend
// other than SQLite (PostgreSQL, for users who outgrow one box) can be added
// without touching either. Times are Unix milliseconds.
//
// Thread safety: every method may be called from any thread concurrently.
// Durability: a method that writes returns OK only after its transaction has
// committed; on a non-OK Status nothing of that call was written.
// Errors: InvalidArgument (bad input), NotFound, AlreadyExists (conflict),
// FailedPrecondition (wrong state, e.g. retrying a pending delivery),
// Unavailable (the store cannot take the write now: the API answers 503).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hookline/status.h"

namespace hookline::db {

// How long an Idempotency-Key is remembered: a replay within it gets the
// first answer; after it the key may be used afresh.
constexpr std::chrono::milliseconds kIdempotencyKeyTtl{24LL * 3600 * 1000};

// kPaused: waiting like kPending, but its endpoint is disabled; enabling the
// endpoint makes it pending again.
enum class DeliveryStatus { kPending = 0, kInflight = 1, kSucceeded = 2, kFailed = 3, kPaused = 4 };
std::string_view DeliveryStatusName(DeliveryStatus s);
std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view name);

// What the dispatcher knows of an endpoint's recent attempts. It writes this
// only when it changes, so the success path of a healthy endpoint costs nothing.
struct EndpointHealth {
  int consecutive_failures = 0;
  int64_t failing_since = 0;       // first failure since the last success; 0 = none
  int64_t circuit_open_until = 0;  // the breaker is open before this time
};

// Per-endpoint delivery limits. Zero means "not set": no rate limit, hookd's
// default concurrency.
struct EndpointLimits {
  double rate_limit_per_s = 0;  // sustained attempts per second
  int rate_limit_burst = 0;     // attempts allowed at once after a quiet spell
  int max_in_flight = 0;        // concurrent attempts
};

struct Endpoint {
  std::string id;
  std::string url;
  std::string description;
  std::vector<std::string> event_types;  // filters; empty = every type
  std::string secret;                    // "whsec_..."
  std::string previous_secret;           // "" unless a rotation's grace period runs
  int64_t previous_secret_expires_at = 0;
  bool disabled = false;
  std::string disabled_reason;
  EndpointLimits limits;
  EndpointHealth health;
  // The operations endpoint (hookd --ops-endpoint): it receives hookd's own
  // notices (Notice), never the events applications post. At most one exists.
  bool operations = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// Fields left empty are not changed. Disabling pauses the endpoint's pending
// deliveries; enabling makes them pending again and clears its health record.
struct EndpointPatch {
  std::optional<std::string> url;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> event_types;
  std::optional<bool> disabled;
  std::optional<std::string> disabled_reason;
  // 0 clears a limit.
  std::optional<double> rate_limit_per_s;
  std::optional<int> rate_limit_burst;
  std::optional<int> max_in_flight;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;  // "" on the last page
};

struct Event {
  std::string id;
  std::string type;
  std::string body;  // the exact bytes delivered
  int64_t created_at = 0;
};

struct IngestRequest {
  Event event;                  // id, type, body and created_at set by the caller
  std::string idempotency_key;  // "" for none
  std::string request_hash;     // identifies the request body for the key
  int64_t now = 0;
};

struct IngestResult {
  std::string event_id;
  int deliveries = 0;
  bool replay = false;  // an earlier request with the same key answered this
};

struct Delivery {
  std::string id;
  std::string event_id;
  std::string endpoint_id;
  DeliveryStatus status = DeliveryStatus::kPending;
  int attempts = 0;
  int64_t next_attempt_at = 0;
  std::optional<int> last_status_code;
  std::string last_error;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct Attempt {
  int64_t attempted_at = 0;
  std::optional<int> status_code;  // empty: no HTTP response (network error, timeout)
  std::string error;               // "" for a clean response
  int64_t latency_ms = 0;
  std::string response_excerpt;
};

struct DeliveryFilter {
  std::optional<DeliveryStatus> status;
  std::string endpoint_id;       // "" = any
  std::string event_id;          // "" = any
  std::optional<int64_t> since;  // created_at >= since
  std::optional<int64_t> until;  // created_at < until
  std::string cursor;            // the last id of the previous page
  int limit = 50;
};

// Selects failed deliveries to send again.
struct RetryFilter {
  std::string endpoint_id;  // "" = any
  std::optional<int64_t> since;
  std::optional<int64_t> until;
};

// What a dispatcher worker needs to make one attempt, read in the claim.
struct ClaimedDelivery {
  std::string delivery_id;
  std::string event_id;
  std::string endpoint_id;
  std::string url;
  std::string event_type;
  std::string body;
  std::vector<std::string> secrets;  // current first; previous while its grace runs
  int attempts_made = 0;             // in the current run (the schedule position)
  int64_t event_created_at = 0;
  EndpointLimits limits;  // the endpoint's, as stored now
  EndpointHealth health;  // as last written by a dispatcher (seeds one after a restart)
};

// Which due deliveries a claim may take: at most `per_endpoint[id]` (or
// `default_per_endpoint`) for each endpoint, so one endpoint at its limit cannot
// fill the claim. The oldest due work comes first; a claim skips at most
// `max_skip` due deliveries of endpoints at their allowance from the oldest,
// and as many again from where the previous claim stopped skipping, so its
// cost is bounded and work behind a large backlog is reached claim by claim.
struct ClaimLimits {
  int default_per_endpoint = 1 << 30;
  std::vector<std::pair<std::string, int>> per_endpoint;
  int max_skip = 256;
};

// Gives a claim back without counting an attempt: pending again, due at `due_at`.
struct Release {
  std::string delivery_id;
  int64_t due_at = 0;
};

// An operational event (endpoint.disabled, delivery.failed,
// endpoint.recovered) stored with the outcome that caused it, in the same
// transaction, as an event with one delivery to the operations endpoint. So it
// has the guarantees of any delivery, and an outcome undone by a crash undoes
// its notice too (the attempt that is made again raises it again).
struct Notice {
  Event event;  // id, type, body and created_at set by the caller
  // Stored only if this outcome's disable_endpoint_reason disabled the endpoint
  // (it was enabled until then): one endpoint.disabled per disable, however
  // many attempts in flight asked for it.
  bool only_if_disabled_now = false;
};

// The result of one attempt, and what happens next.
struct Outcome {
  std::string delivery_id;
  std::string endpoint_id;
  Attempt attempt;
  DeliveryStatus next_status = DeliveryStatus::kPending;  // pending = retry at next_attempt_at
  int64_t next_attempt_at = 0;
  std::string disable_endpoint_reason;  // non-empty: disable the endpoint (e.g. 410 Gone)
  // Set when the endpoint's health changed. A circuit_open_until in the future
  // also moves the endpoint's pending deliveries that fall due before it to it,
  // so they wait without being claimed (and without spending attempts).
  std::optional<EndpointHealth> health;
  // Dropped when no operations endpoint exists; paused while it is disabled.
  std::vector<Notice> notices;
};

// What `hookd --ops-endpoint` asks of the operations endpoint at start-up.
struct OperationsEndpointSpec {
  std::string url;  // "" = none configured: an existing one is disabled
  // Signs its deliveries. A new endpoint gets it; an existing one keeps its
  // own unless `replace_secret` (the operator passed one explicitly).
  std::string secret;
  bool replace_secret = false;
  int64_t now = 0;
};

// Why hookd disabled the operations endpoint when started without one.
inline constexpr std::string_view kOperationsNotConfigured =
    "hookd was started without --ops-endpoint";

struct Counts {
  int64_t pending = 0, inflight = 0, succeeded = 0, failed = 0, paused = 0;
  std::optional<int64_t> oldest_due_at;  // the earliest next_attempt_at among pending
};

struct FailingEndpoint {
  std::string endpoint_id;
  int64_t failed = 0;  // failed deliveries waiting for an operator
};

// Cumulative counters of the store's write path.
struct OutboxStats {
  uint64_t commits = 0;  // transactions committed
  uint64_t writes = 0;   // write operations in them (> commits when group commit works)
  // How long the oldest write not yet committed has waited; 0 when no write is
  // waiting. Grows without bound when the store has stopped committing.
  std::chrono::milliseconds write_wait{0};
};

class Outbox {
 public:
  virtual ~Outbox() = default;

  // Endpoints. Create fills id, timestamps; the caller validated the fields.
  virtual Result<Endpoint> CreateEndpoint(Endpoint endpoint) = 0;
  virtual Result<Endpoint> GetEndpoint(std::string_view id) = 0;
  virtual Result<Page<Endpoint>> ListEndpoints(std::string_view cursor, int limit) = 0;
  virtual Result<Endpoint> UpdateEndpoint(std::string_view id, const EndpointPatch& patch,
                                          int64_t now) = 0;
  // Deletes the endpoint; its pending deliveries are failed with that reason.
  virtual Status DeleteEndpoint(std::string_view id, int64_t now) = 0;
  // Makes `new_secret` current; the old one keeps signing until `previous_expires_at`.
  virtual Result<Endpoint> RotateSecret(std::string_view id, std::string new_secret,
                                        int64_t previous_expires_at, int64_t now) = 0;
  // Creates the operations endpoint, or updates its url (and secret, see the
  // spec) and enables it if hookd itself had disabled it; with an empty url,
  // disables an existing one (kOperationsNotConfigured) so its notices wait.
  // An endpoint an operator or a receiver's 410 disabled stays disabled.
  // Returns the endpoint, or nullopt when there is none and none is asked for.
  virtual Result<std::optional<Endpoint>> ConfigureOperationsEndpoint(
      const OperationsEndpointSpec& spec) = 0;

  // Stores the event and one pending delivery per enabled endpoint whose filters
  // match (never the operations endpoint), atomically. With an idempotency key: the same key and
  // hash again returns the first result with replay=true; the same key with another hash is
  // AlreadyExists. An event id that exists already is AlreadyExists.
  virtual Result<IngestResult> Ingest(const IngestRequest& request) = 0;
  virtual Result<Event> GetEvent(std::string_view id) = 0;

  virtual Result<Page<Delivery>> ListDeliveries(const DeliveryFilter& filter) = 0;
  virtual Result<Delivery> GetDelivery(std::string_view id) = 0;
  // Oldest first.
  virtual Result<std::vector<Attempt>> ListAttempts(std::string_view delivery_id) = 0;
  // A failed or succeeded delivery becomes pending now with a fresh schedule
  // (same event, same webhook-id). FailedPrecondition when pending or inflight,
  // or when its endpoint is gone.
  virtual Result<Delivery> RetryDelivery(std::string_view id, int64_t now) = 0;
  // Makes every failed delivery matching `filter` pending now; returns how many.
  // With dry_run, only counts.
  virtual Result<int64_t> RetryFailed(const RetryFilter& filter, bool dry_run, int64_t now) = 0;

  // Dispatcher side. Claims up to `limit` pending deliveries due at `now`
  // (oldest due first, within `limits`), marking them inflight until
  // `lease_until`; a delivery whose lease runs out is due again.
  virtual Result<std::vector<ClaimedDelivery>> ClaimDue(int64_t now, int limit, int64_t lease_until,
                                                        const ClaimLimits& limits) = 0;
  // The earliest next_attempt_at among pending deliveries, or the earliest
  // lease expiry among inflight ones; nullopt when there is no work at all.
  virtual Result<std::optional<int64_t>> NextDueAt() = 0;
  // Records attempts and their consequences, all in one transaction.
  virtual Status RecordOutcomes(const std::vector<Outcome>& outcomes) = 0;
  // Gives claims back without counting an attempt.
  virtual Status ReleaseClaims(const std::vector<Release>& releases) = 0;
  // At start-up of the single process that owns the store: every inflight
  // delivery was abandoned by a dead process and is due now. Returns how many.
  virtual Result<int64_t> ReleaseAllInflight(int64_t now) = 0;

  // Deletes up to `limit` idempotency keys created before `before`; returns how
  // many. Small batches keep the writer free for ingest.
  virtual Result<int64_t> PurgeIdempotencyKeys(int64_t before, int limit) = 0;
  // Retention: deletes up to `limit` deliveries (with their attempts) that
  // succeeded before `succeeded_before` or failed before `failed_before`, then
  // events older than `succeeded_before` that no delivery refers to any more.
  // Returns how many rows of deliveries and events went. Small batches keep the
  // writer free for ingest and delivery.
  virtual Result<int64_t> PurgeHistory(int64_t succeeded_before, int64_t failed_before,
                                       int limit) = 0;

  virtual Result<Counts> CountDeliveries() = 0;
  // Endpoints with the most failed deliveries, most first.
  virtual Result<std::vector<FailingEndpoint>> FailingEndpoints(int limit) = 0;
  virtual OutboxStats Stats() = 0;
  // OK if a write transaction can commit now (for /readyz).
  virtual Status CheckWritable() = 0;
};

}  // namespace hookline::db
