#include "hookline/receiver/verifier.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "hookline/clock.h"
#include "hookline/crypto.h"
#include "hookline/encoding.h"
#include "hookline/secret.h"
#include "hookline/signing.h"

using namespace hookline;
using namespace hookline::receiver;

namespace {

// Standard Webhooks spec vector 1 (also in the common signing tests).
constexpr const char* kSecret1 = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kId1 = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTs1 = 1614265330;
constexpr const char* kBody1 = R"({"test": 2432232314})";
constexpr const char* kSig1 = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

Verifier MakeVerifier(const FakeClock& clock, std::vector<std::string> secrets = {kSecret1},
                      std::chrono::seconds tolerance = std::chrono::seconds(300)) {
  auto v = Verifier::Create(secrets, {.tolerance = tolerance, .clock = &clock});
  REQUIRE(v.ok());
  return std::move(v).value();
}

Headers SpecHeaders(std::string signature = kSig1) {
  return {{"webhook-id", kId1},
          {"webhook-timestamp", std::to_string(kTs1)},
          {"webhook-signature", std::move(signature)}};
}

std::string SigOf(const std::string& secret_text, std::string_view id, int64_t ts,
                  std::string_view body) {
  auto secret = Secret::Parse(secret_text);
  REQUIRE(secret.ok());
  return Sign(*secret, id, ts, body);
}

}  // namespace

TEST_CASE("Standard Webhooks spec vectors verify", "[receiver][verifier]") {
  FakeClock clock;
  clock.SetUnixSeconds(kTs1);
  Verifier v = MakeVerifier(clock);
  VerifyResult r = v.Verify(SpecHeaders(), kBody1);
  CHECK(r.ok());
  CHECK(r.message.empty());
  CHECK(r.id == kId1);
  CHECK(r.timestamp == kTs1);

  clock.SetUnixSeconds(1649367553);
  Verifier v2 = MakeVerifier(clock, {"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"});
  Headers h{{"webhook-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"},
            {"webhook-timestamp", "1649367553"},
            {"webhook-signature", "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="}};
  CHECK(v2.Verify(h, R"({"email":"test@example.com","username":"test_user"})").ok());
}

TEST_CASE("each missing header is named", "[receiver][verifier]") {
  FakeClock clock;
  clock.SetUnixSeconds(kTs1);
  Verifier v = MakeVerifier(clock);
  const char* names[] = {"webhook-id", "webhook-timestamp", "webhook-signature"};
  for (const char* missing : names) {
    INFO(missing);
    Headers h;
    Headers empty_value;
    Headers all = SpecHeaders();
    for (const auto& [n, val] : all.pairs()) {
      if (n != missing) h.Add(n, val);
      empty_value.Add(n, n == missing ? "" : val);
    }
    for (const Headers* headers : {&h, &empty_value}) {
      VerifyResult r = v.Verify(*headers, kBody1);
      CHECK(r.outcome == VerifyOutcome::kMissingHeader);
      CHECK(r.message.find(missing) != std::string::npos);
    }
  }
  CHECK(v.Verify(Headers(), kBody1).outcome == VerifyOutcome::kMissingHeader);
}

TEST_CASE("timestamps must be 1 to 12 decimal digits", "[receiver][verifier]") {
  FakeClock clock;
  clock.SetUnixSeconds(kTs1);
  Verifier v = MakeVerifier(clock);
  const char* bad[] = {"12a",
                       "-5",
                       "+1614265330",
                       " 1614265330",
                       "1614265330 ",
                       "1614265330.0",
                       "0x60381c72",
                       "1614265330000",
                       "99999999999999999999999",
                       "1e9",
                       "١٦١٤٢٦٥٣٣٠"};
  for (const char* ts : bad) {
    INFO(ts);
    VerifyResult r = v.Verify(kId1, ts, kSig1, kBody1);
    CHECK(r.outcome == VerifyOutcome::kMalformedTimestamp);
    CHECK(r.message.find("webhook-timestamp") != std::string::npos);
  }
  // Leading zeros are digits; the value is what gets signed, as in the official libraries.
  CHECK(v.Verify(kId1, "01614265330", kSig1, kBody1).ok());
}

TEST_CASE("the tolerance applies in both directions and is configurable", "[receiver][verifier]") {
  FakeClock clock;
  Verifier v = MakeVerifier(clock);
  clock.SetUnixSeconds(kTs1 + 300);
  CHECK(v.Verify(SpecHeaders(), kBody1).ok());
  clock.SetUnixSeconds(kTs1 + 301);
  VerifyResult old = v.Verify(SpecHeaders(), kBody1);
  CHECK(old.outcome == VerifyOutcome::kTimestampTooOld);
  CHECK(old.message.find("301 s old") != std::string::npos);
  CHECK(old.id == kId1);  // known even on rejection, for logs
  clock.SetUnixSeconds(kTs1 - 300);
  CHECK(v.Verify(SpecHeaders(), kBody1).ok());
  clock.SetUnixSeconds(kTs1 - 301);
  CHECK(v.Verify(SpecHeaders(), kBody1).outcome == VerifyOutcome::kTimestampTooNew);

  Verifier strict = MakeVerifier(clock, {kSecret1}, std::chrono::seconds(10));
  clock.SetUnixSeconds(kTs1 + 10);
  CHECK(strict.Verify(SpecHeaders(), kBody1).ok());
  clock.SetUnixSeconds(kTs1 + 11);
  CHECK(strict.Verify(SpecHeaders(), kBody1).outcome == VerifyOutcome::kTimestampTooOld);
  clock.SetUnixSeconds(kTs1 - 11);
  CHECK(strict.Verify(SpecHeaders(), kBody1).outcome == VerifyOutcome::kTimestampTooNew);
}

TEST_CASE("tampering with any signed part or using another secret fails", "[receiver][verifier]") {
  FakeClock clock;
  clock.SetUnixSeconds(kTs1);
  Verifier v = MakeVerifier(clock);
  CHECK(v.Verify(SpecHeaders(), R"({"test": 2432232315})").outcome ==
        VerifyOutcome::kNoMatchingSignature);
  CHECK(v.Verify(SpecHeaders(), std::string(kBody1) + " ").outcome ==
        VerifyOutcome::kNoMatchingSignature);
  CHECK(v.Verify("msg_other", "1614265330", kSig1, kBody1).outcome ==
        VerifyOutcome::kNoMatchingSignature);
  CHECK(v.Verify(kId1, "1614265331", kSig1, kBody1).outcome == VerifyOutcome::kNoMatchingSignature);

  std::string other = Secret::Generate().Reveal();
  Verifier wrong = MakeVerifier(clock, {other});
  VerifyResult r = wrong.Verify(SpecHeaders(), kBody1);
  CHECK(r.outcome == VerifyOutcome::kNoMatchingSignature);
  CHECK(r.message.find(other) == std::string::npos);
}

TEST_CASE("rotation: either configured secret is accepted", "[receiver][verifier]") {
  FakeClock clock;
  clock.SetUnixSeconds(kTs1);
  std::string old_secret = Secret::Generate().Reveal();
  std::string new_secret = Secret::Generate().Reveal();
  Verifier v = MakeVerifier(clock, {new_secret, old_secret});
  CHECK(v.secret_count() == 2);
  CHECK(v.Verify(SpecHeaders(SigOf(old_secret, kId1, kTs1, kBody1)), kBody1).ok());
  CHECK(v.Verify(SpecHeaders(SigOf(new_secret, kId1, kTs1, kBody1)), kBody1).ok());
  // A sender mid-rotation lists both signatures.
  std::string both =
      SigOf(new_secret, kId1, kTs1, kBody1) + " " + SigOf(old_secret, kId1, kTs1, kBody1);
  CHECK(v.Verify(SpecHeaders(both), kBody1).ok());
  std::string third = Secret::Generate().Reveal();
  CHECK(v.Verify(SpecHeaders(SigOf(third, kId1, kTs1, kBody1)), kBody1).outcome ==
        VerifyOutcome::kNoMatchingSignature);
}

TEST_CASE("signature lists: unknown versions skipped, any v1 may match", "[receiver][verifier]") {
  FakeClock clock;
  clock.SetUnixSeconds(kTs1);
  Verifier v = MakeVerifier(clock);
  std::string good = std::string(kSig1).substr(3);
  CHECK(v.Verify(SpecHeaders("v2,abc v1a,xyz " + std::string(kSig1)), kBody1).ok());
  CHECK(v.Verify(SpecHeaders("v1,AAAA v1,bm9wZQ== " + std::string(kSig1)), kBody1).ok());
  CHECK(v.Verify(SpecHeaders(std::string(kSig1) + " v1,AAAA"), kBody1).ok());
  CHECK(v.Verify(SpecHeaders("  " + std::string(kSig1) + "  "), kBody1).ok());
  // The right bytes under another version are not a v1 signature.
  CHECK(v.Verify(SpecHeaders("v2," + good), kBody1).outcome == VerifyOutcome::kNoMatchingSignature);
  CHECK(v.Verify(SpecHeaders("v1a," + good), kBody1).outcome ==
        VerifyOutcome::kNoMatchingSignature);
  CHECK(v.Verify(SpecHeaders("v1,AAAA v1,BBBB"), kBody1).outcome ==
        VerifyOutcome::kNoMatchingSignature);
  // Truncated or padded signatures never match.
  CHECK_FALSE(v.Verify(SpecHeaders("v1," + good.substr(0, good.size() - 1)), kBody1).ok());
  CHECK_FALSE(v.Verify(SpecHeaders(std::string(kSig1) + "A"), kBody1).ok());
  const char* garbage[] = {"v1", "v1,", ",", " ", "v1,,", "v1 ,x", "v1,!!!!", "\x01\xff"};
  for (const char* g : garbage) {
    INFO(g);
    VerifyResult r = v.Verify(SpecHeaders(g), kBody1);
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("svix-* headers and any header-name case are accepted", "[receiver][verifier]") {
  FakeClock clock;
  clock.SetUnixSeconds(kTs1);
  Verifier v = MakeVerifier(clock);
  Headers svix{{"svix-id", kId1}, {"svix-timestamp", "1614265330"}, {"svix-signature", kSig1}};
  CHECK(v.Verify(svix, kBody1).ok());
  Headers mixed{{"Webhook-Id", kId1},
                {"WEBHOOK-TIMESTAMP", "1614265330"},
                {"Webhook-Signature", kSig1},
                {"Content-Type", "application/json"}};
  CHECK(v.Verify(mixed, kBody1).ok());
  Headers svix_upper{
      {"Svix-Id", kId1}, {"SVIX-TIMESTAMP", "1614265330"}, {"svix-SIGNATURE", kSig1}};
  CHECK(v.Verify(svix_upper, kBody1).ok());
  CHECK(mixed.Get("content-TYPE") == std::optional<std::string_view>("application/json"));
  CHECK_FALSE(mixed.Get("webhook-idx").has_value());
}

TEST_CASE("bad secrets are refused without echoing them", "[receiver][verifier]") {
  auto none = Verifier::Create({});
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == StatusCode::kInvalidArgument);
  const char* bad_text = "whsec_not*valid*base64*secret";
  auto bad = Verifier::Create({kSecret1, bad_text});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
  CHECK(bad.status().message().rfind("bad secret #2", 0) == 0);
  CHECK(bad.status().message().find("not*valid") == std::string::npos);
  CHECK_FALSE(Verifier::Create({"whsec_c2hvcnQ="}).ok());              // 5 bytes: too short
  CHECK(Verifier::Create({"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}).ok());  // bare base64

  CHECK_FALSE(StripeVerifier::Create({}).ok());
  CHECK_FALSE(StripeVerifier::Create({""}).ok());
  CHECK_FALSE(GithubVerifier::Create({}).ok());
  auto gh = GithubVerifier::Create({"x", ""});
  REQUIRE_FALSE(gh.ok());
  CHECK(gh.status().message().rfind("bad secret #2", 0) == 0);
}

// ---- Stripe ----

namespace {

constexpr const char* kStripeSecret = "whsec_test_secret";
constexpr const char* kStripeBody = R"({"id":"evt_1","object":"event"})";

std::string StripeSig(const std::string& secret, int64_t t, std::string_view body) {
  return HexEncode(HmacSha256Once(secret, std::to_string(t) + "." + std::string(body)));
}

}  // namespace

TEST_CASE("Stripe signatures", "[receiver][verifier][stripe]") {
  FakeClock clock;
  clock.SetUnixSeconds(kTs1);
  auto created = StripeVerifier::Create({kStripeSecret}, {.clock = &clock});
  REQUIRE(created.ok());
  const StripeVerifier& v = *created;
  std::string t = "t=" + std::to_string(kTs1);
  std::string good = StripeSig(kStripeSecret, kTs1, kStripeBody);

  SECTION("a vector computed independently (openssl dgst -hmac)") {
    CHECK(good == "42b3d2b2181207b6b299df380bf37599bb895dc182467ba12e046b1916c4cd19");
    Headers h{{"Stripe-Signature", t + ",v1=" + good}};
    CHECK(v.Verify(h, kStripeBody).ok());
    CHECK(v.Verify(h, kStripeBody).timestamp == kTs1);
  }
  SECTION("several v1 entries, v0 and unknown keys ignored") {
    CHECK(
        v.Verify(t + ",v1=" + std::string(64, 'a') + ",v1=" + good + ",v0=abc", kStripeBody).ok());
    CHECK(v.Verify("v0=" + good + "," + t + ",v1=" + good + ",x=y", kStripeBody).ok());
    CHECK(v.Verify(t + ", v1=" + good, kStripeBody).ok());
  }
  SECTION("rejections") {
    CHECK(v.Verify(Headers(), kStripeBody).outcome == VerifyOutcome::kMissingHeader);
    CHECK(v.Verify("v1=" + good, kStripeBody).outcome == VerifyOutcome::kMalformedTimestamp);
    CHECK(v.Verify("t=12a,v1=" + good, kStripeBody).outcome == VerifyOutcome::kMalformedTimestamp);
    CHECK(v.Verify("t=,v1=" + good, kStripeBody).outcome == VerifyOutcome::kMalformedTimestamp);
    CHECK(v.Verify(t, kStripeBody).outcome == VerifyOutcome::kNoMatchingSignature);
    CHECK(v.Verify(t + ",v0=" + good, kStripeBody).outcome == VerifyOutcome::kNoMatchingSignature);
    CHECK(v.Verify(t + ",v1=" + good, std::string(kStripeBody) + "\n").outcome ==
          VerifyOutcome::kNoMatchingSignature);
    CHECK(v.Verify(t + ",v1=" + StripeSig("whsec_other", kTs1, kStripeBody), kStripeBody).outcome ==
          VerifyOutcome::kNoMatchingSignature);
    clock.SetUnixSeconds(kTs1 + 301);
    CHECK(v.Verify(t + ",v1=" + good, kStripeBody).outcome == VerifyOutcome::kTimestampTooOld);
    clock.SetUnixSeconds(kTs1 - 301);
    CHECK(v.Verify(t + ",v1=" + good, kStripeBody).outcome == VerifyOutcome::kTimestampTooNew);
  }
  SECTION("the key is the secret's text, not its base64 decoding") {
    auto sw = StripeVerifier::Create({kSecret1}, {.clock = &clock});
    REQUIRE(sw.ok());
    auto decoded = Secret::Parse(kSecret1);
    REQUIRE(decoded.ok());
    std::string signed_part = std::to_string(kTs1) + "." + kStripeBody;
    CHECK(sw->Verify(t + ",v1=" + StripeSig(kSecret1, kTs1, kStripeBody), kStripeBody).ok());
    CHECK_FALSE(
        sw->Verify(t + ",v1=" + HexEncode(HmacSha256Once(decoded->key(), signed_part)), kStripeBody)
            .ok());
  }
  SECTION("two secrets") {
    auto two = StripeVerifier::Create({"whsec_new", kStripeSecret}, {.clock = &clock});
    REQUIRE(two.ok());
    CHECK(two->Verify(t + ",v1=" + good, kStripeBody).ok());
    CHECK(two->Verify(t + ",v1=" + StripeSig("whsec_new", kTs1, kStripeBody), kStripeBody).ok());
  }
  SECTION("tolerance is configurable") {
    auto strict = StripeVerifier::Create({kStripeSecret},
                                         {.tolerance = std::chrono::seconds(5), .clock = &clock});
    REQUIRE(strict.ok());
    clock.SetUnixSeconds(kTs1 + 6);
    CHECK(strict->Verify(t + ",v1=" + good, kStripeBody).outcome ==
          VerifyOutcome::kTimestampTooOld);
  }
}

// ---- GitHub ----

TEST_CASE("GitHub signatures", "[receiver][verifier][github]") {
  SECTION("the example from GitHub's documentation") {
    auto v = GithubVerifier::Create({"It's a Secret to Everybody"});
    REQUIRE(v.ok());
    Headers h{{"X-Hub-Signature-256",
               "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}};
    CHECK(v->Verify(h, "Hello, World!").ok());
    CHECK(v->Verify(h, "Hello, World?").outcome == VerifyOutcome::kNoMatchingSignature);
  }
  SECTION("RFC 4231 test case 2 through the GitHub scheme") {
    auto v = GithubVerifier::Create({"Jefe"});
    REQUIRE(v.ok());
    CHECK(v->Verify("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                    "what do ya want for nothing?")
              .ok());
  }
  SECTION("computed vectors, rotation and rejections") {
    std::string body = R"({"action":"opened"})";
    std::string sig = "sha256=" + HexEncode(HmacSha256Once("gh-secret", body));
    auto v = GithubVerifier::Create({"other", "gh-secret"});
    REQUIRE(v.ok());
    CHECK(v->Verify(Headers{{"x-hub-signature-256", sig}}, body).ok());
    CHECK(v->Verify(Headers(), body).outcome == VerifyOutcome::kMissingHeader);
    CHECK(v->Verify(Headers{{"X-Hub-Signature", sig}}, body).outcome ==
          VerifyOutcome::kMissingHeader);
    CHECK(v->Verify(sig.substr(7), body).outcome == VerifyOutcome::kNoMatchingSignature);
    CHECK(v->Verify("sha1=" + sig.substr(7), body).outcome == VerifyOutcome::kNoMatchingSignature);
    CHECK(v->Verify(sig, body + " ").outcome == VerifyOutcome::kNoMatchingSignature);
    CHECK(v->Verify(sig.substr(0, sig.size() - 2), body).outcome ==
          VerifyOutcome::kNoMatchingSignature);
    auto wrong = GithubVerifier::Create({"not-it"});
    REQUIRE(wrong.ok());
    CHECK(wrong->Verify(sig, body).outcome == VerifyOutcome::kNoMatchingSignature);
  }
}

TEST_CASE("outcome names are stable", "[receiver][verifier]") {
  CHECK(VerifyOutcomeName(VerifyOutcome::kOk) == "ok");
  CHECK(VerifyOutcomeName(VerifyOutcome::kMissingHeader) == "missing_header");
  CHECK(VerifyOutcomeName(VerifyOutcome::kMalformedTimestamp) == "malformed_timestamp");
  CHECK(VerifyOutcomeName(VerifyOutcome::kTimestampTooOld) == "timestamp_too_old");
  CHECK(VerifyOutcomeName(VerifyOutcome::kTimestampTooNew) == "timestamp_too_new");
  CHECK(VerifyOutcomeName(VerifyOutcome::kNoMatchingSignature) == "no_matching_signature");
}
