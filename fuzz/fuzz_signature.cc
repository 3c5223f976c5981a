// The Standard Webhooks Verifier on arbitrary headers and bodies. Input: the
// webhook-id, webhook-timestamp and webhook-signature values on the first
// three lines, the body after them.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "hookline/clock.h"
#include "hookline/receiver/headers.h"
#include "hookline/receiver/verifier.h"
#include "hookline/secret.h"
#include "hookline/signing.h"

using namespace hookline;
using receiver::VerifyOutcome;

namespace {

// The Standard Webhooks specification's test vector secret and time.
constexpr std::string_view kSecretText = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr int64_t kNow = 1614265330;
constexpr auto kTolerance = std::chrono::seconds(300);

// What the Verifier promises to accept as a timestamp: 1..12 decimal digits.
bool WellFormedTimestamp(std::string_view t, int64_t* out) {
  if (t.empty() || t.size() > 12) return false;
  int64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool ContainsEntry(std::string_view header, std::string_view entry) {
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t end = header.find(' ', pos);
    if (header.substr(pos, end == std::string_view::npos ? end : end - pos) == entry) return true;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsText(data, size);
  std::string_view id = fuzz::TakeLine(in);
  std::string_view timestamp = fuzz::TakeLine(in);
  std::string_view signature = fuzz::TakeLine(in);
  std::string_view body = in;

  static const Secret secret = *Secret::Parse(kSecretText);
  static FakeClock clock;
  clock.SetUnixSeconds(kNow);
  static const receiver::Verifier verifier =
      std::move(receiver::Verifier::Create({std::string(kSecretText)}, {kTolerance, &clock}))
          .value();

  receiver::VerifyResult r = verifier.Verify(id, timestamp, signature, body);
  int64_t ts = 0;
  bool well_formed = WellFormedTimestamp(timestamp, &ts);
  if (id.empty() || timestamp.empty() || signature.empty()) {
    FUZZ_CHECK(r.outcome == VerifyOutcome::kMissingHeader);
  } else if (!well_formed) {
    FUZZ_CHECK(r.outcome == VerifyOutcome::kMalformedTimestamp);
  } else {
    FUZZ_CHECK(r.timestamp == ts && r.id == id);
    bool in_window = ts >= kNow - kTolerance.count() && ts <= kNow + kTolerance.count();
    FUZZ_CHECK(in_window == (r.outcome != VerifyOutcome::kTimestampTooOld &&
                             r.outcome != VerifyOutcome::kTimestampTooNew));
    // Accepted only with the real signature among the entries.
    std::string expected = Sign(secret, id, ts, body);
    FUZZ_CHECK(r.ok() == (in_window && ContainsEntry(signature, expected)));
  }
  FUZZ_CHECK(r.ok() == r.message.empty());

  // The same through the header map, in both spellings (webhook- and svix-).
  receiver::Headers headers;
  headers.Add("Webhook-Id", std::string(id));
  headers.Add("webhook-timestamp", std::string(timestamp));
  headers.Add("WEBHOOK-SIGNATURE", std::string(signature));
  FUZZ_CHECK(verifier.Verify(headers, body).outcome == r.outcome);
  receiver::Headers svix;
  svix.Add("svix-id", std::string(id));
  svix.Add("svix-timestamp", std::string(timestamp));
  svix.Add("svix-signature", std::string(signature));
  FUZZ_CHECK(verifier.Verify(svix, body).outcome == r.outcome);

  // Sign() and Verify() agree: a real signature verifies among any other
  // entries, and not for another body. (The clock is moved to the timestamp;
  // FakeClock counts nanoseconds in int64, so years past 2262 are skipped.)
  if (!id.empty() && well_formed && ts < 9'000'000'000) {
    clock.SetUnixSeconds(ts);
    std::string good = Sign(secret, id, ts, body);
    std::string mixed = std::string(signature) + " " + good;
    FUZZ_CHECK(verifier.Verify(id, timestamp, mixed, body).ok());
    FUZZ_CHECK(verifier.Verify(id, timestamp, good + " " + std::string(signature), body).ok());
    std::string other_body = std::string(body) + "x";
    FUZZ_CHECK(verifier.Verify(id, timestamp, good, other_body).outcome ==
               VerifyOutcome::kNoMatchingSignature);
  }
  return 0;
}
