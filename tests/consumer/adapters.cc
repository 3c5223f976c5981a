// The installed adapters, used from outside hookline's tree: a Receiver with the
// SQLite dedupe store, mounted on a cpp-httplib server on loopback, receives a
// signed webhook and then its duplicate. Exit 0 only if both answers are right.
#include <hookline/clock.h>
#include <hookline/receiver/httplib_adapter.h>
#include <hookline/receiver/receiver.h>
#include <hookline/receiver/sqlite_dedupe_store.h>
#include <hookline/secret.h>
#include <hookline/signing.h>
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer_adapters DEDUPE_DB_PATH\n");
    return 2;
  }
  using namespace hookline::receiver;
  hookline::Secret secret = hookline::Secret::Generate();
  auto verifier = Verifier::FromSecrets({secret}, Verifier::Options());
  auto store = SqliteDedupeStore::Open(argv[1]);
  if (!verifier.ok() || !store.ok()) {
    std::fprintf(stderr, "FAILED: cannot create the verifier or open %s\n", argv[1]);
    return 1;
  }
  int handled = 0;
  auto receiver = std::make_shared<Receiver>(
      std::move(*verifier), std::shared_ptr<DedupeStore>(std::move(*store)), [&](const Event&) {
        ++handled;
        return hookline::Status::Ok();
      });
  httplib::Server server;
  server.set_tcp_nodelay(true);
  MountReceiver(server, "/webhook", receiver);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  for (int i = 0; i < 500 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  std::string body = R"({"type":"consumer.test","timestamp":"2026-01-01T00:00:00Z","data":{}})";
  int64_t now = hookline::SystemClock::Get().NowUnixSeconds();
  httplib::Headers headers = {
      {"webhook-id", "evt_consumer_1"},
      {"webhook-timestamp", std::to_string(now)},
      {"webhook-signature", hookline::Sign(secret, "evt_consumer_1", now, body)}};
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  auto first = client.Post("/webhook", headers, body, "application/json");
  auto second = client.Post("/webhook", headers, body, "application/json");
  server.stop();
  serving.join();

  int failures = 0;
  if (!first || first->status != 200 || handled != 1) {
    std::fprintf(stderr, "FAILED: the first delivery was not processed\n");
    ++failures;
  }
  if (!second || second->status != 200 || second->body.find("duplicate") == std::string::npos ||
      handled != 1) {
    std::fprintf(stderr, "FAILED: the duplicate was not recognised\n");
    ++failures;
  }
  std::printf("%s: adapters (sqlite dedupe store, httplib mount)\n", failures ? "FAILED" : "ok");
  return failures == 0 ? 0 : 1;
}
