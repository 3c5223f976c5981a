#include "hookline/url.h"

#include <charconv>

namespace hookline {
namespace {

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool IsHexOrColon(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

}  // namespace

std::string Url::Origin() const {
  bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Url> ParseUrl(std::string_view text) {
  if (text.size() > kMaxUrlLength) {
    return Status::InvalidArgument("url is longer than " + std::to_string(kMaxUrlLength) +
                                   " characters");
  }
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7F) {
      return Status::InvalidArgument("url contains a space, control or non-ASCII character");
    }
  }
  Url url;
  size_t sep = text.find("://");
  if (sep == std::string_view::npos)
    return Status::InvalidArgument("url must start with http:// or https://");
  std::string scheme(text.substr(0, sep));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("url scheme must be http or https, not '" + scheme + "'");
  }
  url.scheme = scheme;
  std::string_view rest = text.substr(sep + 3);
  if (rest.find('#') != std::string_view::npos) {
    return Status::InvalidArgument("url must not contain a fragment ('#')");
  }
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("url must not contain credentials ('user:password@')");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Status::InvalidArgument("url has an unclosed '[' in its host");
    url.host = std::string(authority.substr(1, close - 1));
    for (char c : url.host) {
      if (!IsHexOrColon(c)) return Status::InvalidArgument("url has a malformed IPv6 host");
    }
    if (url.host.find(':') == std::string::npos) {
      return Status::InvalidArgument("url has a malformed IPv6 host");
    }
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::InvalidArgument("url has junk after its IPv6 host");
      port_text = after.substr(1);
      if (port_text.empty()) return Status::InvalidArgument("url has an empty port");
    }
  } else {
    size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return Status::InvalidArgument("url has an empty port");
    }
    for (char c : url.host) {
      if (!IsHostChar(c)) return Status::InvalidArgument("url host has an invalid character");
    }
  }
  if (url.host.empty()) return Status::InvalidArgument("url has no host");
  if (url.host.size() > 253) return Status::InvalidArgument("url host is too long");
  if (!port_text.empty()) {
    int port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 1 || port > 65535) {
      return Status::InvalidArgument("url port must be 1..65535");
    }
    url.port = port;
  } else {
    url.port = url.scheme == "https" ? 443 : 80;
  }
  url.target = target.empty() ? "/" : std::string(target);
  if (url.target.front() == '?') url.target.insert(url.target.begin(), '/');
  return url;
}

}  // namespace hookline
