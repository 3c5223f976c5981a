// Base64 and hex: strict decoders under secrets and signatures.
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "hookline/encoding.h"

using namespace hookline;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::AsText(data, size);

  // Every byte string round-trips, through both encodings.
  auto b64 = Base64Decode(Base64Encode(text));
  FUZZ_CHECK(b64.ok() && *b64 == text);
  auto hex = HexDecode(HexEncode(text));
  FUZZ_CHECK(hex.ok() && *hex == text);

  // The input as an encoding: strict base64 accepts exactly one spelling of
  // each byte string, so whatever it accepts re-encodes to the same text.
  if (auto decoded = Base64Decode(text); decoded.ok()) {
    size_t padding = 0;
    while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
    FUZZ_CHECK(padding <= 2);
    FUZZ_CHECK(decoded->size() == text.size() / 4 * 3 - padding);
    FUZZ_CHECK(Base64Encode(*decoded) == text);
  } else {
    FUZZ_CHECK(decoded.status().code() == StatusCode::kInvalidArgument);
  }
  if (auto decoded = HexDecode(text); decoded.ok()) {
    FUZZ_CHECK(HexEncode(*decoded) == Lower(text));
  } else {
    FUZZ_CHECK(decoded.status().code() == StatusCode::kInvalidArgument);
  }
  return 0;
}
