// A program outside hookline's tree that uses the installed receiver library:
// it verifies the Standard Webhooks specification's example signature, signs
// and verifies its own message, and checks that a tampered body is refused.
// Exit 0 only if every check holds.
#include <hookline/clock.h>
#include <hookline/receiver/verifier.h>
#include <hookline/secret.h>
#include <hookline/signing.h>

#include <cstdio>
#include <string>

namespace {

int failures = 0;

void Check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures;
}

}  // namespace

int main() {
  using hookline::receiver::Verifier;

  // The example in the Standard Webhooks specification, verified at its own time.
  hookline::FakeClock clock;
  clock.SetUnixSeconds(1614265330);
  Verifier::Options options;
  options.clock = &clock;
  auto spec = Verifier::Create({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, options);
  Check(spec.ok(), "the specification's secret parses");
  if (spec.ok()) {
    auto r =
        spec->Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", R"({"test": 2432232314})");
    Check(r.ok(), "the specification's example signature verifies");
    auto bad =
        spec->Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
                     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", R"({"test": 2432232315})");
    Check(!bad.ok(), "a tampered body is refused");
  }

  // Sign with a fresh secret (hookline::common) and verify with the receiver.
  hookline::Secret secret = hookline::Secret::Generate();
  int64_t now = hookline::SystemClock::Get().NowUnixSeconds();
  std::string body = R"({"type":"consumer.test","data":{}})";
  std::string signature = hookline::Sign(secret, "evt_consumer", now, body);
  auto verifier = Verifier::FromSecrets({secret}, Verifier::Options());
  Check(verifier.ok(), "a verifier from a generated secret");
  if (verifier.ok()) {
    Check(verifier->Verify("evt_consumer", std::to_string(now), signature, body).ok(),
          "our own signature verifies");
    Check(!verifier->Verify("evt_other", std::to_string(now), signature, body).ok(),
          "a signature for another id is refused");
  }
  return failures == 0 ? 0 : 1;
}
