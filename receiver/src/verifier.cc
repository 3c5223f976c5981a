#include "hookline/receiver/verifier.h"

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "hookline/encoding.h"

namespace hookline::receiver {
namespace {

// Unix seconds stay at 10 digits until the year 2286; 12 leaves room while
// rejecting milliseconds (13 digits), the most common sender mistake, as
// malformed rather than as "too new".
constexpr size_t kMaxTimestampDigits = 12;

VerifyResult Fail(VerifyOutcome outcome, std::string message) {
  VerifyResult r;
  r.outcome = outcome;
  r.message = std::move(message);
  return r;
}

std::optional<int64_t> ParseUnixSeconds(std::string_view text) {
  if (text.empty() || text.size() > kMaxTimestampDigits) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Base64 of a 32-byte MAC into a fixed buffer. The same encoding as
// hookline::Base64Encode, inlined because it sits on every verification and
// the general version builds its string a character at a time.
constexpr size_t kMacBase64Size = 44;
std::array<char, kMacBase64Size> MacToBase64(std::string_view mac) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::array<char, kMacBase64Size> out{};
  auto byte = [&](size_t i) { return i < mac.size() ? static_cast<uint8_t>(mac[i]) : 0u; };
  size_t o = 0;
  for (size_t i = 0; i < HmacSha256::kDigestSize; i += 3) {
    uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out[o++] = kAlphabet[(n >> 18) & 63];
    out[o++] = kAlphabet[(n >> 12) & 63];
    out[o++] = kAlphabet[(n >> 6) & 63];
    out[o++] = kAlphabet[n & 63];
  }
  out[kMacBase64Size - 1] = '=';  // 32 bytes leave one byte of padding
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits `text` at `sep` and calls `fn(piece)` for every non-empty piece until
// fn returns true; returns whether it did.
template <typename Fn>
bool AnyPiece(std::string_view text, char sep, Fn&& fn) {
  while (!text.empty()) {
    size_t end = text.find(sep);
    std::string_view piece = text.substr(0, end);
    if (!piece.empty() && fn(piece)) return true;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return false;
}

// The tolerance check shared by the schemes that sign a timestamp.
std::optional<VerifyResult> CheckWindow(int64_t timestamp, const Verifier::Options& options,
                                        std::string_view header) {
  int64_t now = options.clock->NowUnixSeconds();
  int64_t tolerance = options.tolerance.count();
  if (now - timestamp > tolerance) {
    return Fail(VerifyOutcome::kTimestampTooOld,
                std::string(header) + " is " + std::to_string(now - timestamp) +
                    " s old, more than the tolerance of " + std::to_string(tolerance) + " s");
  }
  if (timestamp - now > tolerance) {
    return Fail(VerifyOutcome::kTimestampTooNew,
                std::string(header) + " is " + std::to_string(timestamp - now) +
                    " s in the future, more than the tolerance of " + std::to_string(tolerance) +
                    " s");
  }
  return std::nullopt;
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Prepared keys from secret texts used as raw bytes (the Stripe and GitHub schemes).
Result<std::vector<HmacSha256>> RawKeys(const std::vector<std::string>& secrets) {
  if (secrets.empty()) return Status::InvalidArgument("bad secret list: no secret given");
  std::vector<HmacSha256> macs;
  macs.reserve(secrets.size());
  for (size_t i = 0; i < secrets.size(); ++i) {
    if (secrets[i].empty()) {
      return Status::InvalidArgument("bad secret #" + std::to_string(i + 1) + ": empty");
    }
    macs.emplace_back(secrets[i]);
  }
  return macs;
}

std::string_view HeaderOr(const Headers& headers, std::string_view name,
                          std::string_view fallback) {
  if (auto v = headers.Get(name); v && !v->empty()) return *v;
  if (auto v = headers.Get(fallback); v) return *v;
  return {};
}

}  // namespace

std::string_view VerifyOutcomeName(VerifyOutcome outcome) {
  switch (outcome) {
    case VerifyOutcome::kOk:
      return "ok";
    case VerifyOutcome::kMissingHeader:
      return "missing_header";
    case VerifyOutcome::kMalformedTimestamp:
      return "malformed_timestamp";
    case VerifyOutcome::kTimestampTooOld:
      return "timestamp_too_old";
    case VerifyOutcome::kTimestampTooNew:
      return "timestamp_too_new";
    case VerifyOutcome::kNoMatchingSignature:
      return "no_matching_signature";
  }
  return "unknown";
}

// ---- Standard Webhooks ----

Result<Verifier> Verifier::Create(const std::vector<std::string>& secrets, Options options) {
  if (secrets.empty()) return Status::InvalidArgument("bad secret list: no secret given");
  std::vector<Secret> parsed;
  parsed.reserve(secrets.size());
  for (size_t i = 0; i < secrets.size(); ++i) {
    auto secret = Secret::Parse(secrets[i]);
    if (!secret.ok()) {
      // Secret::Parse's messages never contain the secret, so they are safe to pass on.
      return Status::InvalidArgument("bad secret #" + std::to_string(i + 1) + ": " +
                                     secret.status().message());
    }
    parsed.push_back(std::move(secret).value());
  }
  return FromSecrets(parsed, options);
}

Result<Verifier> Verifier::FromSecrets(const std::vector<Secret>& secrets, Options options) {
  if (secrets.empty()) return Status::InvalidArgument("bad secret list: no secret given");
  if (options.clock == nullptr) return Status::InvalidArgument("Verifier: clock is null");
  if (options.tolerance.count() < 0) {
    return Status::InvalidArgument("Verifier: tolerance is negative");
  }
  std::vector<Signer> signers;
  signers.reserve(secrets.size());
  for (const Secret& s : secrets) signers.emplace_back(s);
  return Verifier(std::move(signers), options);
}

VerifyResult Verifier::Verify(const Headers& headers, std::string_view body) const {
  std::string_view id = HeaderOr(headers, "webhook-id", "svix-id");
  std::string_view timestamp = HeaderOr(headers, "webhook-timestamp", "svix-timestamp");
  std::string_view signature = HeaderOr(headers, "webhook-signature", "svix-signature");
  return Verify(id, timestamp, signature, body);
}

VerifyResult Verifier::Verify(std::string_view id, std::string_view timestamp,
                              std::string_view signature, std::string_view body) const {
  if (id.empty()) return Fail(VerifyOutcome::kMissingHeader, "missing webhook-id header");
  if (timestamp.empty()) {
    return Fail(VerifyOutcome::kMissingHeader, "missing webhook-timestamp header");
  }
  if (signature.empty()) {
    return Fail(VerifyOutcome::kMissingHeader, "missing webhook-signature header");
  }
  std::optional<int64_t> ts = ParseUnixSeconds(timestamp);
  if (!ts) {
    VerifyResult bad = Fail(VerifyOutcome::kMalformedTimestamp,
                            "webhook-timestamp must be Unix seconds: 1 to " +
                                std::to_string(kMaxTimestampDigits) + " decimal digits");
    bad.id = std::string(id);
    return bad;
  }
  if (auto window = CheckWindow(*ts, options_, "webhook-timestamp")) {
    window->id = std::string(id);
    window->timestamp = *ts;
    return std::move(*window);
  }

  VerifyResult result;
  result.id = std::string(id);
  result.timestamp = *ts;
  for (const Signer& signer : signers_) {
    // One MAC per secret, compared in its base64 form with every v1 entry, so the
    // cost does not grow with the number of entries a sender (or forger) lists.
    std::array<char, kMacBase64Size> encoded = MacToBase64(signer.Mac(id, *ts, body));
    std::string_view expected(encoded.data(), encoded.size());
    bool matched = AnyPiece(signature, ' ', [&](std::string_view entry) {
      size_t comma = entry.find(',');
      if (comma == std::string_view::npos || entry.substr(0, comma) != "v1") return false;
      return ConstantTimeEquals(entry.substr(comma + 1), expected);
    });
    if (matched) return result;
  }
  result.outcome = VerifyOutcome::kNoMatchingSignature;
  result.message = "no v1 entry of webhook-signature matches any configured secret";
  return result;
}

// ---- Stripe ----

Result<StripeVerifier> StripeVerifier::Create(const std::vector<std::string>& secrets,
                                              Options options) {
  if (options.clock == nullptr) return Status::InvalidArgument("StripeVerifier: clock is null");
  if (options.tolerance.count() < 0) {
    return Status::InvalidArgument("StripeVerifier: tolerance is negative");
  }
  auto macs = RawKeys(secrets);
  if (!macs.ok()) return macs.status();
  return StripeVerifier(std::move(macs).value(), options);
}

VerifyResult StripeVerifier::Verify(const Headers& headers, std::string_view body) const {
  return Verify(headers.Get("stripe-signature").value_or(std::string_view()), body);
}

VerifyResult StripeVerifier::Verify(std::string_view header, std::string_view body) const {
  if (header.empty()) return Fail(VerifyOutcome::kMissingHeader, "missing Stripe-Signature header");
  std::optional<std::string_view> t;
  bool has_v1 = false;
  AnyPiece(header, ',', [&](std::string_view item) {
    item = Trim(item);
    if (!t && item.substr(0, 2) == "t=") t = item.substr(2);
    if (item.substr(0, 3) == "v1=") has_v1 = true;
    return false;
  });
  std::optional<int64_t> ts = t ? ParseUnixSeconds(*t) : std::nullopt;
  if (!ts) {
    return Fail(VerifyOutcome::kMalformedTimestamp,
                "Stripe-Signature needs t=<Unix seconds> (1 to " +
                    std::to_string(kMaxTimestampDigits) + " decimal digits)");
  }
  if (auto window = CheckWindow(*ts, options_, "Stripe-Signature t=")) {
    window->timestamp = *ts;
    return std::move(*window);
  }
  VerifyResult result;
  result.timestamp = *ts;
  if (!has_v1) {
    result.outcome = VerifyOutcome::kNoMatchingSignature;
    result.message = "Stripe-Signature has no v1= signature";
    return result;
  }
  std::string ts_text = std::to_string(*ts);
  for (const HmacSha256& mac : macs_) {
    std::string expected = HexEncode(mac.Compute({ts_text, ".", body}));
    bool matched = AnyPiece(header, ',', [&](std::string_view item) {
      item = Trim(item);
      return item.substr(0, 3) == "v1=" && ConstantTimeEquals(LowerAscii(item.substr(3)), expected);
    });
    if (matched) return result;
  }
  result.outcome = VerifyOutcome::kNoMatchingSignature;
  result.message = "no v1= entry of Stripe-Signature matches any configured secret";
  return result;
}

// ---- GitHub ----

Result<GithubVerifier> GithubVerifier::Create(const std::vector<std::string>& secrets) {
  auto macs = RawKeys(secrets);
  if (!macs.ok()) return macs.status();
  return GithubVerifier(std::move(macs).value());
}

VerifyResult GithubVerifier::Verify(const Headers& headers, std::string_view body) const {
  return Verify(headers.Get("x-hub-signature-256").value_or(std::string_view()), body);
}

VerifyResult GithubVerifier::Verify(std::string_view header, std::string_view body) const {
  if (header.empty()) {
    return Fail(VerifyOutcome::kMissingHeader, "missing X-Hub-Signature-256 header");
  }
  constexpr std::string_view kPrefix = "sha256=";
  header = Trim(header);
  if (header.substr(0, kPrefix.size()) != kPrefix) {
    return Fail(VerifyOutcome::kNoMatchingSignature, "X-Hub-Signature-256 is not sha256=<hex>");
  }
  std::string given = LowerAscii(header.substr(kPrefix.size()));
  for (const HmacSha256& mac : macs_) {
    if (ConstantTimeEquals(given, HexEncode(mac.Compute({body})))) return VerifyResult();
  }
  return Fail(VerifyOutcome::kNoMatchingSignature,
              "X-Hub-Signature-256 matches no configured secret");
}

}  // namespace hookline::receiver
