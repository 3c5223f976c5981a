#include "hookline/encoding.h"

#include <catch2/catch.hpp>

#include "hookline/crypto.h"

using namespace hookline;

TEST_CASE("base64 round-trips every length", "[common][encoding]") {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    auto decoded = Base64Decode(Base64Encode(bytes));
    REQUIRE(decoded.ok());
    CHECK(*decoded == bytes);
    bytes += static_cast<char>(n * 37 + 11);
  }
}

TEST_CASE("base64 matches RFC 4648 vectors", "[common][encoding]") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(*Base64Decode("Zm9vYg==") == "foob");
}

TEST_CASE("base64 decoding is strict", "[common][encoding]") {
  const char* bad[] = {"Zg",        // not a multiple of 4
                       "Zg=a",      // data after padding
                       "Z===",      // too much padding
                       "Zm9v\n",    // whitespace
                       "Zm 9",      // space inside
                       "Zh==",      // non-zero bits under the padding
                       "Zm9=Zm9v",  // padding in the middle
                       "Zm9-",      // url-safe alphabet is not standard base64
                       "===="};
  for (const char* text : bad) {
    INFO(text);
    auto r = Base64Decode(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("hex encodes lower-case and decodes either case", "[common][encoding]") {
  CHECK(HexEncode(std::string("\x00\xff\x10", 3)) == "00ff10");
  CHECK(*HexDecode("00FF10") == std::string("\x00\xff\x10", 3));
  CHECK_FALSE(HexDecode("abc").ok());
  CHECK_FALSE(HexDecode("zz").ok());
}

TEST_CASE("constant-time comparison", "[common][crypto]") {
  CHECK(ConstantTimeEquals("", ""));
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abcd"));
}

TEST_CASE("prepared HMAC equals one-shot HMAC (RFC 4231 case 2)", "[common][crypto]") {
  HmacSha256 mac("Jefe");
  std::string digest = mac.Compute({"what do ya want ", "for nothing?"});
  CHECK(HexEncode(digest) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(HmacSha256Once("Jefe", "what do ya want for nothing?") == digest);
  // The prepared key is reusable.
  CHECK(mac.Compute({"what do ya want for nothing?"}) == digest);
}

TEST_CASE("secure random bytes are random", "[common][crypto]") {
  CHECK(SecureRandomBytes(32).size() == 32);
  CHECK(SecureRandomBytes(32) != SecureRandomBytes(32));
}
