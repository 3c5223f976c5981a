#include "hookline/ids.h"

#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <vector>

using namespace hookline;

TEST_CASE("ids carry the prefix and the creation time", "[common][ids]") {
  FakeClock clock;
  clock.SetUnixSeconds(1767225600);
  IdGenerator gen(clock);
  std::string id = gen.Next("evt_");
  CHECK(id.size() == 4 + 26);
  CHECK(id.rfind("evt_", 0) == 0);
  CHECK(IdUnixMillis(id, "evt_") == 1767225600000);
  CHECK(IdUnixMillis(id, "ep_") == -1);
  CHECK(IdUnixMillis("evt_short", "evt_") == -1);
  CHECK(IdUnixMillis("evt_0000000000000000000000000U", "evt_") == -1);  // U is not Crockford
}

TEST_CASE("ids sort by time and stay increasing when the clock stalls or steps back",
          "[common][ids]") {
  FakeClock clock;
  IdGenerator gen(clock);
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(gen.Next("evt_"));
    if (i % 100 == 0) clock.Advance(std::chrono::milliseconds(1));
    if (i == 500) clock.Advance(-std::chrono::seconds(5));
  }
  for (size_t i = 1; i < ids.size(); ++i) CHECK(ids[i - 1] < ids[i]);
}

TEST_CASE("ids from many threads are unique", "[common][ids]") {
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&out] {
      for (int i = 0; i < 5000; ++i) out.push_back(NewEventId());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto& v : per_thread) all.insert(v.begin(), v.end());
  CHECK(all.size() == 20000);
}

TEST_CASE("two generators in the same millisecond do not collide", "[common][ids]") {
  FakeClock clock;
  IdGenerator a(clock), b(clock);  // stand-ins for two processes
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    seen.insert(a.Next("evt_"));
    seen.insert(b.Next("evt_"));
  }
  CHECK(seen.size() == 2000);
}
