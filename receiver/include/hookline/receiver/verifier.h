// Webhook signature verification: Standard Webhooks (what hookline sends, also
// Svix), plus the Stripe and GitHub schemes.
//
// All three verifiers are immutable after creation and thread-safe: any number
// of threads may call Verify() on one shared instance at the same time. Each
// keeps one prepared HMAC key per secret, so verifying costs one HMAC per
// configured secret and never redoes the key schedule.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hookline/clock.h"
#include "hookline/crypto.h"
#include "hookline/receiver/headers.h"
#include "hookline/signing.h"
#include "hookline/status.h"

namespace hookline::receiver {

// Which check decided the outcome. Everything except kOk means "do not trust
// this request"; the distinction is for the response code and for logs.
enum class VerifyOutcome {
  kOk = 0,
  kMissingHeader,        // a required header is absent or empty
  kMalformedTimestamp,   // the timestamp is not 1..12 decimal digits
  kTimestampTooOld,      // older than now - tolerance (a replay or a very late retry)
  kTimestampTooNew,      // later than now + tolerance (clock skew or forgery)
  kNoMatchingSignature,  // no signature entry matches any configured secret
};

// Stable lower-case name, e.g. "missing_header"; used in responses and logs.
std::string_view VerifyOutcomeName(VerifyOutcome outcome);

struct VerifyResult {
  VerifyOutcome outcome = VerifyOutcome::kOk;
  // Empty when ok; otherwise says what failed, e.g. "missing webhook-id header".
  // Never contains a secret or a signature.
  std::string message;
  // The message id (Standard Webhooks only) and the signed Unix timestamp
  // (Standard Webhooks and Stripe). Set whenever the headers got that far.
  std::string id;
  int64_t timestamp = 0;

  bool ok() const { return outcome == VerifyOutcome::kOk; }
};

// Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature`
// (or the same with the `svix-` prefix). The signature header is a
// space-separated list of `<version>,<base64>`; a request is accepted if any
// `v1` entry equals HMAC-SHA256(secret, "<id>.<timestamp>.<body>") for any
// configured secret. Entries of other versions are skipped, so senders can add
// new schemes without breaking old receivers.
class Verifier {
 public:
  struct Options {
    // How far the timestamp may be from now, in either direction.
    std::chrono::seconds tolerance{300};
    // Not owned; must outlive the Verifier. Tests pass a FakeClock.
    const Clock* clock = &SystemClock::Get();
  };

  // `secrets` are "whsec_<base64>" (or bare base64) texts. Pass the new and the
  // old secret during a rotation. InvalidArgument "bad secret ..." if the list
  // is empty or a secret does not parse; the message never echoes the secret.
  static Result<Verifier> Create(const std::vector<std::string>& secrets, Options options);
  static Result<Verifier> Create(const std::vector<std::string>& secrets) {
    return Create(secrets, Options());
  }
  // The same from already-parsed secrets; InvalidArgument if `secrets` is empty.
  static Result<Verifier> FromSecrets(const std::vector<Secret>& secrets, Options options);

  Verifier(Verifier&&) noexcept = default;
  Verifier& operator=(Verifier&&) noexcept = default;
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // Verifies `body` (the raw request bytes, exactly as received) against the
  // headers. Never throws for any input.
  VerifyResult Verify(const Headers& headers, std::string_view body) const;
  // The same with the three header values already extracted (empty = missing).
  VerifyResult Verify(std::string_view id, std::string_view timestamp, std::string_view signature,
                      std::string_view body) const;

  size_t secret_count() const { return signers_.size(); }

 private:
  Verifier(std::vector<Signer> signers, Options options)
      : signers_(std::move(signers)), options_(options) {}

  std::vector<Signer> signers_;
  Options options_;
};

// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=...]` where
// v1 = lower-case hex HMAC-SHA256 over "<t>.<body>", keyed with the secret
// text's bytes exactly as given (the whole "whsec_..." string; Stripe does not
// decode it). Entries other than t= and v1= are ignored.
class StripeVerifier {
 public:
  using Options = Verifier::Options;

  // InvalidArgument "bad secret ..." if the list is empty or a secret is empty.
  static Result<StripeVerifier> Create(const std::vector<std::string>& secrets, Options options);
  static Result<StripeVerifier> Create(const std::vector<std::string>& secrets) {
    return Create(secrets, Options());
  }

  StripeVerifier(StripeVerifier&&) noexcept = default;
  StripeVerifier& operator=(StripeVerifier&&) noexcept = default;

  // kMissingHeader without the header; kMalformedTimestamp without a valid t=;
  // kNoMatchingSignature without a matching v1=. Never throws.
  VerifyResult Verify(const Headers& headers, std::string_view body) const;
  VerifyResult Verify(std::string_view signature_header, std::string_view body) const;

 private:
  StripeVerifier(std::vector<HmacSha256> macs, Options options)
      : macs_(std::move(macs)), options_(options) {}

  std::vector<HmacSha256> macs_;
  Options options_;
};

// GitHub: `X-Hub-Signature-256: sha256=<hex>` where hex is HMAC-SHA256 over the
// body keyed with the secret text's bytes. GitHub signs no timestamp, so there
// is no replay window to check: dedupe on X-GitHub-Delivery instead.
class GithubVerifier {
 public:
  // InvalidArgument "bad secret ..." if the list is empty or a secret is empty.
  static Result<GithubVerifier> Create(const std::vector<std::string>& secrets);

  GithubVerifier(GithubVerifier&&) noexcept = default;
  GithubVerifier& operator=(GithubVerifier&&) noexcept = default;

  // kMissingHeader without the header; kNoMatchingSignature otherwise. Never throws.
  VerifyResult Verify(const Headers& headers, std::string_view body) const;
  VerifyResult Verify(std::string_view signature_header, std::string_view body) const;

 private:
  explicit GithubVerifier(std::vector<HmacSha256> macs) : macs_(std::move(macs)) {}

  std::vector<HmacSha256> macs_;
};

}  // namespace hookline::receiver
