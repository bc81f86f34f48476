// The lattice benchmark: what a call between hosts costs beyond the NATS hop itself. Starts one nats-server (-js) on
// loopback and, in one run:
//   1. round trip: host B calls the Echo of an actor on host A (64 bytes) vs a bare libnats request to a libnats
//      responder that answers the same bytes, same server, same payload; rounds alternate to share the noise;
//   2. throughput: 64 calls in flight (64 threads) across the two hosts vs 64 bare requesters;
//   3. a joining host learning 10,000 links (the time LatticeHost::start takes until they are all applied).
// Usage: stratus_lattice_bench [--seconds S] [--links N] [--json FILE]
#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "stratus/claims/jwt.h"
#include "stratus/claims/nkeys.h"
#include "stratus/lattice/lattice.h"
#include "support/actors.h"
#include "support/nats_server.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using stratus::lattice::LatticeHost;

double seconds_per_run = 3;
size_t link_count = 10000;
const stratus::Bytes kPayload(64, 0x5a);

std::unique_ptr<LatticeHost> join(uint16_t port) {
  stratus::lattice::LatticeOptions o;
  o.rpc.port = o.control.port = port;
  o.ns = "bench";
  o.heartbeat_interval = 1h;
  stratus::host::HostBuilder builder;
  builder.withProviderHealthInterval(0ms).withActorOptions({.min_instances = 4, .max_instances = 64});
  auto joined = LatticeHost::start(std::move(builder), o);
  if (!joined) {
    std::fprintf(stderr, "cannot join: %s\n", joined.error().message.c_str());
    return nullptr;
  }
  return std::move(*joined);
}

void echoHandler(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  natsConnection_Publish(nc, natsMsg_GetReply(msg), natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

std::atomic<uint64_t> failed_calls{0};

// Calls per second of `call` run by `threads` threads for the configured time; failed calls are counted apart
// (main reports them and exits 2, after stopping what it started).
template <typename F>
double rate(size_t threads, F call) {
  std::atomic<uint64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (size_t t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        if (call()) {
          done.fetch_add(1, std::memory_order_relaxed);
        } else {
          failed_calls.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds_per_run));
  stop = true;
  for (auto& w : workers) w.join();
  return double(done.load()) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // the table, not the hosts' progress
  std::string json_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds_per_run = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--links")) link_count = std::strtoul(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--json")) json_path = argv[i + 1];
  }
  auto server = stratus::testing::NatsServer::start("lattice-bench");  // stopped and removed on every way out
  if (!server) {
    std::fprintf(stderr, "%s\n", server.error().message.c_str());
    return 1;
  }
  const uint16_t port = (*server)->port();

  // The bare pair: one libnats responder (callback thread), one requester connection.
  const std::string url = "nats://127.0.0.1:" + std::to_string(port);
  natsConnection *responder = nullptr, *requester = nullptr;
  natsSubscription* sub = nullptr;
  natsOptions* options = nullptr;
  natsOptions_Create(&options);
  natsOptions_SetURL(options, url.c_str());
  natsOptions_SetSendAsap(options, true);  // as the lattice's connections: no wait for the flusher thread
  natsConnection_Connect(&responder, options);
  natsConnection_Connect(&requester, options);
  natsOptions_Destroy(options);
  natsConnection_Subscribe(&sub, responder, "bench.echo", echoHandler, nullptr);
  natsConnection_Flush(responder);
  const auto bare = [&] {
    natsMsg* reply = nullptr;
    if (natsConnection_Request(&reply, requester, "bench.echo", kPayload.data(), int(kPayload.size()), 2000) !=
        NATS_OK) {
      return false;
    }
    natsMsg_Destroy(reply);
    return true;
  };

  auto a = join(port), b = join(port);
  if (!a || !b) return 1;
  std::string actor;
  auto started = a->host().startActor(
      stratus::testing::signActor(stratus::testing::loadActor("test_actor"), {.name = "echo"}, &actor));
  if (!started) {
    std::fprintf(stderr, "%s\n", started.error().message.c_str());
    return 1;
  }
  const auto lattice = [&] { return bool(b->host().callActor(actor, "Echo", kPayload)); };
  for (int i = 0; i < 2000; ++i) (void)(bare() && lattice());  // warm up both paths

  // 1. Round trips, alternating rounds.
  double bare_us = 1e18, lattice_us = 1e18;
  for (int round = 0; round < 5; ++round) {
    bare_us = std::min(bare_us, 1e6 / rate(1, bare));
    lattice_us = std::min(lattice_us, 1e6 / rate(1, lattice));
  }
  // What wasmCloud 0.18's antiforgery costs by itself on this machine now: the sender signs a JWT, the receiver
  // verifies it (Ed25519 over a token of the size invocations carry).
  auto key = stratus::claims::KeyPair::generate(stratus::claims::KeyType::kServer);
  const std::string claims_json = "{\"jti\":\"" + std::string(22, 'j') + "\",\"iat\":1700000000,\"iss\":\"" +
                                  key->publicKey() + "\",\"sub\":\"" + std::string(36, 's') +
                                  "\",\"wascap\":{\"target_url\":\"wasmbus://" + std::string(56, 'M') +
                                  "/Echo\",\"origin_url\":\"wasmbus://system\",\"hash\":\"" +
                                  std::string(64, 'H') + "\"}}";
  auto parsed = stratus::claims::parseToken(*stratus::claims::signToken(claims_json, *key));
  if (!parsed || !stratus::claims::verifyTokenSignature(*parsed)) {
    std::fprintf(stderr, "the reference token does not verify\n");
    return 1;
  }
  const auto crypto = [&] {
    return stratus::claims::signToken(claims_json, *key) && stratus::claims::verifyTokenSignature(*parsed);
  };
  double crypto_us = 1e18;
  for (int round = 0; round < 3; ++round) crypto_us = std::min(crypto_us, 1e6 / rate(1, crypto));

  // 2. 64 in flight.
  const double bare_64 = rate(64, bare);
  const double lattice_64 = rate(64, lattice);

  // 3. A joining host learning the links.
  const std::string provider = stratus::claims::KeyPair::generate(stratus::claims::KeyType::kService)->publicKey();
  auto put_start = Clock::now();
  for (size_t i = 0; i < link_count; ++i) {
    (void)a->host().setLink({actor, provider, "bench:contract", "link" + std::to_string(i), {{"N", std::to_string(i)}}});
  }
  const double put_s = std::chrono::duration<double>(Clock::now() - put_start).count();
  const auto join_start = Clock::now();
  auto late = join(port);
  if (!late) return 1;
  const double join_s = std::chrono::duration<double>(Clock::now() - join_start).count();
  const size_t learned = late->host().links().size();

  std::printf("== lattice (one nats-server on loopback, %zu-byte payload, best of 5 rounds of %.1f s)\n",
              kPayload.size(), seconds_per_run);
  std::printf("round trip, bare libnats request/reply:    %8.1f us\n", bare_us);
  std::printf("round trip, host B -> actor on host A:     %8.1f us   (%.2fx bare)\n", lattice_us, lattice_us / bare_us);
  std::printf("  of which signing + verifying the invocation's JWT (Ed25519, measured alone): %.1f us\n", crypto_us);
  std::printf("  the host's own cost beyond the hop and the JWT: %.1f us (%.2fx bare with it)\n",
              lattice_us - bare_us - crypto_us, (lattice_us - crypto_us) / bare_us);
  std::printf("64 in flight, bare libnats:                %8.0f req/s\n", bare_64);
  std::printf("64 in flight, host B -> actor on host A:   %8.0f calls/s (%.2fx bare)\n", lattice_64,
              lattice_64 / bare_64);
  std::printf("%zu links set on host A:                %8.2f s\n", link_count, put_s);
  std::printf("a joining host learns them (%zu known):  %8.2f s\n", learned, join_s);

  if (!json_path.empty()) {
    std::ofstream(json_path) << "{\"payload_bytes\":" << kPayload.size() << ",\"bare_round_trip_us\":" << bare_us
                             << ",\"lattice_round_trip_us\":" << lattice_us
                             << ",\"round_trip_ratio\":" << lattice_us / bare_us << ",\"jwt_sign_verify_us\":" << crypto_us << ",\"bare_64_per_s\":" << bare_64
                             << ",\"lattice_64_per_s\":" << lattice_64 << ",\"links\":" << link_count
                             << ",\"links_put_s\":" << put_s << ",\"join_s\":" << join_s
                             << ",\"links_learned\":" << learned << "}\n";
  }
  late.reset();
  b.reset();
  a.reset();
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(requester);
  natsConnection_Destroy(responder);
  if (failed_calls > 0) std::fprintf(stderr, "%llu call(s) failed\n", (unsigned long long)failed_calls.load());
  return learned == link_count && failed_calls == 0 ? 0 : 2;
}
