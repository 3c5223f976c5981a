// Byte encodings used on the wire: base64 (RFC 4648, standard alphabet, padded)
// and lower-case hex. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "hookline/status.h"

namespace hookline {

std::string Base64Encode(std::string_view bytes);

// Strict decoding: the length must be a multiple of 4, padding may only close
// the text, no whitespace, and the unused low bits of the last symbol must be
// zero (so every byte string has exactly one accepted encoding).
// Fails with InvalidArgument naming the first problem.
Result<std::string> Base64Decode(std::string_view text);

std::string HexEncode(std::string_view bytes);
// Accepts upper- or lower-case digits; odd length or a non-hex digit fails.
Result<std::string> HexDecode(std::string_view text);

}  // namespace hookline
