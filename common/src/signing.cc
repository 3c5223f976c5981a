#include "hookline/signing.h"

#include "hookline/encoding.h"

namespace hookline {

std::string SignedContent(std::string_view id, int64_t timestamp, std::string_view body) {
  std::string out;
  std::string ts = std::to_string(timestamp);
  out.reserve(id.size() + ts.size() + body.size() + 2);
  out.append(id).append(".").append(ts).append(".").append(body);
  return out;
}

std::string Signer::Mac(std::string_view id, int64_t timestamp, std::string_view body) const {
  std::string ts = std::to_string(timestamp);
  return mac_.Compute({id, ".", ts, ".", body});
}

std::string Signer::Sign(std::string_view id, int64_t timestamp, std::string_view body) const {
  return "v1," + Base64Encode(Mac(id, timestamp, body));
}

std::string Sign(const Secret& secret, std::string_view id, int64_t timestamp,
                 std::string_view body) {
  return Signer(secret).Sign(id, timestamp, body);
}

}  // namespace hookline
