// A SQLite outbox in a test's temp dir, for unit tests of the store.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "hookline/db/sqlite_outbox.h"

namespace hookline::testing {

// 2026-01-01T00:00:00Z: a fixed "now" for stores under test.
constexpr int64_t kOutboxNow = 1'767'225'600'000;

inline std::unique_ptr<db::Outbox> OpenOutboxOrDie(const std::string& path) {
  auto outbox = db::OpenSqliteOutbox(path);
  REQUIRE(outbox.ok());
  return std::move(outbox).value();
}

// Every delivery of `endpoint` (up to 1000), as the store lists them.
inline std::vector<db::Delivery> DeliveriesOf(db::Outbox& outbox, const std::string& endpoint) {
  db::DeliveryFilter f;
  f.endpoint_id = endpoint;
  f.limit = 1000;
  auto page = outbox.ListDeliveries(f);
  REQUIRE(page.ok());
  return page->items;
}

}  // namespace hookline::testing
