// StripeVerifier on arbitrary Stripe-Signature headers and bodies. Input: the
// header value on the first line, the body after it.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "hookline/clock.h"
#include "hookline/crypto.h"
#include "hookline/encoding.h"
#include "hookline/receiver/headers.h"
#include "hookline/receiver/verifier.h"

using namespace hookline;
using receiver::VerifyOutcome;

namespace {

constexpr std::string_view kSecret = "whsec_stripe_fuzz_secret";
constexpr int64_t kNow = 1767225600;
constexpr auto kTolerance = std::chrono::seconds(300);

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// Whether a comma-separated item of `header` is "v1=<expected>", ignoring
// spaces around items and the case of the hex digits.
bool HasV1(std::string_view header, const std::string& expected) {
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t end = header.find(',', pos);
    std::string_view item = header.substr(pos, end == std::string_view::npos ? end : end - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.substr(0, 3) == "v1=" && Upper(std::string(item.substr(3))) == Upper(expected)) {
      return true;
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsText(data, size);
  std::string_view header = fuzz::TakeLine(in);
  std::string_view body = in;

  static FakeClock clock;
  clock.SetUnixSeconds(kNow);
  static const receiver::StripeVerifier verifier =
      std::move(receiver::StripeVerifier::Create({std::string(kSecret)}, {kTolerance, &clock}))
          .value();
  static const HmacSha256 mac{std::string(kSecret)};

  receiver::VerifyResult r = verifier.Verify(header, body);
  FUZZ_CHECK(r.ok() == r.message.empty());
  if (header.empty()) FUZZ_CHECK(r.outcome == VerifyOutcome::kMissingHeader);
  if (r.outcome != VerifyOutcome::kMissingHeader &&
      r.outcome != VerifyOutcome::kMalformedTimestamp) {
    FUZZ_CHECK(r.timestamp >= 0);
  }
  if (r.ok()) {
    // Accepted only with the real MAC for the timestamp it reports.
    FUZZ_CHECK(r.timestamp >= kNow - kTolerance.count() &&
               r.timestamp <= kNow + kTolerance.count());
    std::string expected = HexEncode(mac.Compute({std::to_string(r.timestamp), ".", body}));
    FUZZ_CHECK(HasV1(header, expected));
  }
  receiver::Headers headers;
  headers.Add("Stripe-Signature", std::string(header));
  FUZZ_CHECK(verifier.Verify(headers, body).outcome == r.outcome);

  // A header that starts with a fresh t= and its real v1= verifies whatever
  // entries follow, in either hex case; the same entries for another body do not.
  std::string t = std::to_string(kNow);
  std::string sig = HexEncode(mac.Compute({t, ".", body}));
  std::string rest = header.empty() ? std::string() : "," + std::string(header);
  FUZZ_CHECK(verifier.Verify("t=" + t + ",v1=" + sig + rest, body).ok());
  FUZZ_CHECK(verifier.Verify("t=" + t + ",v1=" + Upper(sig) + rest, body).ok());
  FUZZ_CHECK(verifier.Verify(" t=" + t + " , v1=" + sig + " " + rest, body).ok());
  std::string other_body = std::string(body) + "x";
  FUZZ_CHECK(verifier.Verify("t=" + t + ",v1=" + sig + rest, other_body).outcome ==
             VerifyOutcome::kNoMatchingSignature);
  return 0;
}
