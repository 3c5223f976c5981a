// Endpoint URLs: http(s) only, no credentials, no fragment.
#pragma once

#include <string>
#include <string_view>

#include "hookline/status.h"

namespace hookline {

constexpr size_t kMaxUrlLength = 2048;

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // as written; IPv6 without brackets
  int port = 0;        // explicit or the scheme's default
  std::string target;  // path and query, at least "/"
  // "scheme://host:port" (IPv6 bracketed): identifies one connection pool.
  std::string Origin() const;
};

// InvalidArgument naming the problem: not http/https, userinfo ("user:pass@"),
// a fragment, a missing or malformed host, a bad port, spaces or control
// characters, or longer than kMaxUrlLength.
Result<Url> ParseUrl(std::string_view text);

}  // namespace hookline
