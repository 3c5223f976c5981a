// Secret::Parse on arbitrary text: the endpoint API and every receiver parse
// secrets that people paste in.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "hookline/clock.h"
#include "hookline/receiver/verifier.h"
#include "hookline/secret.h"
#include "hookline/signing.h"

using namespace hookline;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::AsText(data, size);
  auto secret = Secret::Parse(text);
  if (!secret.ok()) {
    FUZZ_CHECK(secret.status().code() == StatusCode::kInvalidArgument);
    // The message must never echo the secret. Long space-free inputs cannot be
    // mere words of the fixed message text, so finding one in it is a leak.
    if (text.size() >= 16 && text.find(' ') == std::string_view::npos) {
      FUZZ_CHECK(secret.status().message().find(text) == std::string::npos);
    }
    return 0;
  }
  FUZZ_CHECK(secret->key().size() >= Secret::kMinBytes);
  FUZZ_CHECK(secret->key().size() <= Secret::kMaxBytes);

  // Base64 decoding is strict, so an accepted text is the canonical spelling:
  // it re-serializes to itself (with the prefix added when it was bare).
  std::string revealed = secret->Reveal();
  bool prefixed = text.substr(0, Secret::kPrefix.size()) == Secret::kPrefix;
  FUZZ_CHECK(revealed == (prefixed ? std::string(text) : "whsec_" + std::string(text)));
  auto again = Secret::Parse(revealed);
  FUZZ_CHECK(again.ok() && *again == *secret);

  // Any accepted secret signs messages that a Verifier built from its text accepts.
  constexpr int64_t kNow = 1767225600;
  FakeClock clock;
  clock.SetUnixSeconds(kNow);
  auto verifier =
      receiver::Verifier::Create({std::string(text)}, {std::chrono::seconds(300), &clock});
  FUZZ_CHECK(verifier.ok());
  std::string signature = Sign(*secret, "msg_fuzz", kNow, text);
  FUZZ_CHECK(verifier->Verify("msg_fuzz", std::to_string(kNow), signature, text).ok());
  FUZZ_CHECK(!verifier->Verify("msg_fuzz", std::to_string(kNow), signature, "x").ok());
  return 0;
}
