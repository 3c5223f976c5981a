#include <catch2/catch.hpp>

#include "hookline/secret.h"
#include "hookline/signing.h"

using namespace hookline;

TEST_CASE("Standard Webhooks spec vectors", "[common][signing]") {
  SECTION("vector 1") {
    auto secret = Secret::Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    REQUIRE(secret.ok());
    CHECK(Sign(*secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})") ==
          "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }
  SECTION("vector 2") {
    auto secret = Secret::Parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
    REQUIRE(secret.ok());
    CHECK(Sign(*secret, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
               R"({"email":"test@example.com","username":"test_user"})") ==
          "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
  }
}

TEST_CASE("a Signer reused for many messages agrees with one-off Sign", "[common][signing]") {
  Secret secret = Secret::Generate();
  Signer signer(secret);
  for (int i = 0; i < 5; ++i) {
    std::string body = "{\"n\":" + std::to_string(i) + "}";
    CHECK(signer.Sign("evt_1", 1700000000 + i, body) ==
          Sign(secret, "evt_1", 1700000000 + i, body));
  }
  CHECK(SignedContent("id", 5, "body") == "id.5.body");
}

TEST_CASE("a signature depends on every signed part", "[common][signing]") {
  Secret secret = Secret::Generate();
  std::string base = Sign(secret, "evt_1", 100, "{}");
  CHECK(Sign(secret, "evt_2", 100, "{}") != base);
  CHECK(Sign(secret, "evt_1", 101, "{}") != base);
  CHECK(Sign(secret, "evt_1", 100, "{ }") != base);
  CHECK(Sign(Secret::Generate(), "evt_1", 100, "{}") != base);
}

TEST_CASE("secrets parse with or without the whsec_ prefix", "[common][secret]") {
  auto a = Secret::Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  auto b = Secret::Parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == *b);
  CHECK(a->key().size() == 24);
  CHECK(a->Reveal() == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
}

TEST_CASE("bad secrets are refused without echoing them", "[common][secret]") {
  const char* bad[] = {"", "whsec_", "whsec_not base64!", "whsec_c2hvcnQ=" /* "short": 5 bytes */,
                       "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS" /* bad length */};
  for (const char* text : bad) {
    INFO(text);
    auto r = Secret::Parse(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    if (std::string(text).size() > 6) {
      CHECK(r.status().message().find(std::string(text).substr(6)) == std::string::npos);
    }
  }
  CHECK_FALSE(Secret::FromBytes(std::string(23, 'x')).ok());
  CHECK(Secret::FromBytes(std::string(24, 'x')).ok());
  CHECK(Secret::FromBytes(std::string(64, 'x')).ok());
  CHECK_FALSE(Secret::FromBytes(std::string(65, 'x')).ok());
}

TEST_CASE("generated secrets are 32 random bytes and round-trip", "[common][secret]") {
  Secret a = Secret::Generate();
  Secret b = Secret::Generate();
  CHECK(a.key().size() == Secret::kGeneratedBytes);
  CHECK_FALSE(a == b);
  auto parsed = Secret::Parse(a.Reveal());
  REQUIRE(parsed.ok());
  CHECK(*parsed == a);
}
