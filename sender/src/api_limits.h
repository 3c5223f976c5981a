// Every hard limit of the v1 API in one place; README.md ("Limits") lists them.
// Each is enforced with a 4xx naming the limit, never by truncation.
#pragma once

#include <cstddef>

#include "hookline/event_types.h"
#include "hookline/url.h"

namespace hookline::sender::api {

using hookline::kMaxEventTypeLength;  // 128 characters of [A-Za-z0-9._:-]
using hookline::kMaxUrlLength;        // 2048

constexpr int kMaxJsonDepth = 32;              // nesting of a request body
constexpr size_t kMaxDescription = 1024;       // endpoint description, bytes
constexpr size_t kMaxFilters = 100;            // event_types filters per endpoint
constexpr size_t kMaxEventId = 64;             // a producer-chosen event id
constexpr size_t kMaxIdempotencyKey = 255;     // Idempotency-Key header
constexpr int kDefaultPageLimit = 50;          // ?limit= when absent
constexpr int kMaxPageLimit = 1000;            // ?limit= at most
constexpr size_t kMaxHeaderCount = 100;        // request headers: more gets 431
constexpr size_t kMaxHeaderBytes = 32 * 1024;  // names + values of all request headers: 431
// Compiled into Debian's cpp-httplib 0.11.4 (CPPHTTPLIB_*_MAX_LENGTH), enforced
// before hookd sees the request: a longer request line gets 414, a longer
// header line 431 (httplib answers 400; ApiServer's error handler says why).
constexpr size_t kMaxRequestLineBytes = 8192;
constexpr size_t kMaxHeaderLineBytes = 8192;
// Per-endpoint delivery limits: bounds that catch typos (a rate of 1e9/s)
// without limiting real use.
constexpr double kMaxRatePerSecond = 100000;
constexpr int kMaxBurst = 100000;
constexpr int kMaxInFlight = 1024;

}  // namespace hookline::sender::api
