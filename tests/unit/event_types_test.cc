#include "hookline/event_types.h"

#include <catch2/catch.hpp>

using namespace hookline;

TEST_CASE("event types are validated", "[common][event-types]") {
  CHECK(ValidateEventType("invoice.paid").ok());
  CHECK(ValidateEventType("a:b-c_d.E9").ok());
  CHECK_FALSE(ValidateEventType("").ok());
  CHECK_FALSE(ValidateEventType("has space").ok());
  CHECK_FALSE(ValidateEventType("ünicode").ok());
  CHECK_FALSE(ValidateEventType(std::string(129, 'a')).ok());
  CHECK(ValidateEventType(std::string(128, 'a')).ok());
}

TEST_CASE("filters: exact, prefix.* and *", "[common][event-types]") {
  CHECK(ValidateEventTypeFilter("*").ok());
  CHECK(ValidateEventTypeFilter("invoice.*").ok());
  CHECK(ValidateEventTypeFilter("invoice.paid").ok());
  CHECK_FALSE(ValidateEventTypeFilter("inv*").ok());
  CHECK_FALSE(ValidateEventTypeFilter("*.paid").ok());
  CHECK_FALSE(ValidateEventTypeFilter(".*").ok());

  CHECK(MatchesEventType({}, "anything"));
  CHECK(MatchesEventType({"*"}, "anything"));
  CHECK(MatchesEventType({"invoice.*"}, "invoice.paid"));
  CHECK(MatchesEventType({"invoice.*"}, "invoice.paid.late"));
  CHECK_FALSE(MatchesEventType({"invoice.*"}, "invoice"));
  CHECK_FALSE(MatchesEventType({"invoice.*"}, "invoices.paid"));
  CHECK(MatchesEventType({"user.created", "invoice.*"}, "user.created"));
  CHECK_FALSE(MatchesEventType({"user.created"}, "user.created2"));
}
