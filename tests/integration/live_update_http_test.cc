// A live update under constant HTTP load through real parts (httpserver and keyvalue providers from their archives,
// the counter actor): every request answered 200, none lost, while the actor is replaced by newer revisions.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "stratus/claims/nkeys.h"
#include "stratus/host/host.h"
#include "support/actors.h"
#include "support/http_get.h"
#include "support/server_process.h"

namespace stratus::host {
namespace {

using stratus::testing::bodyOf;
using stratus::testing::httpGet;

const std::string kProviders = STRATUS_PROVIDER_DIR;

TEST(LiveUpdateHttpTest, NoRequestFailsOrIsLostWhileTheActorIsUpdated) {
  auto built = HostBuilder()
                   .withProviderHealthInterval(std::chrono::milliseconds(0))
                   .withProviderCacheDir(::testing::TempDir() + "/stratus-live-update-cache")
                   .withLiveUpdates(true)
                   .build();
  ASSERT_TRUE(built) << built.error().toString();
  auto& host = *built;
  const std::string seed = *claims::KeyPair::generate(claims::KeyType::kModule)->seed();
  auto revision = [&](int32_t rev) {
    return stratus::testing::signActor(stratus::testing::loadActor("counter"),
                                       {.name = "counter",
                                        .caps = {"wasmcloud:httpserver", "wasmcloud:keyvalue"},
                                        .rev = rev,
                                        .module_seed = seed});
  };
  auto actor = host->startActor(revision(1));
  ASSERT_TRUE(actor) << actor.error().toString();
  auto http = host->startProviderFromArchive(kProviders + "/httpserver.par.gz");
  auto kv = host->startProviderFromArchive(kProviders + "/keyvalue.par.gz");
  ASSERT_TRUE(http && kv);
  const uint16_t port = stratus::testing::freeLoopbackPort();
  ASSERT_TRUE(host->setLink({*actor, *kv, "wasmcloud:keyvalue", "default", {}}));
  ASSERT_TRUE(host->setLink(
      {*actor, *http, "wasmcloud:httpserver", "default", {{"BIND", "127.0.0.1:" + std::to_string(port)}}}));
  ASSERT_EQ(bodyOf(httpGet(port, "/live")), R"({"counter":1})");

  std::atomic<bool> stop{false};
  std::atomic<int> answered{1}, failed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&] {
      while (!stop) {
        const std::string response = httpGet(port, "/live");
        if (response.rfind("HTTP/1.1 200", 0) == 0) {
          answered++;
        } else {
          failed++;
          ADD_FAILURE() << "request failed during the update: " << response;
        }
      }
    });
  }
  for (int rev = 2; rev <= 4; ++rev) {
    const int before = answered.load();
    while (answered.load() < before + 20) std::this_thread::yield();
    auto updated = host->updateActor(*actor, revision(rev));
    ASSERT_TRUE(updated) << updated.error().toString();
  }
  const int before = answered.load();
  while (answered.load() < before + 20) std::this_thread::yield();
  stop = true;
  for (auto& c : clients) c.join();

  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(host->actors()[0].claims.metadata.rev, 4);
  // Every request counted once: the next one is the total plus one.
  EXPECT_EQ(bodyOf(httpGet(port, "/live")), "{\"counter\":" + std::to_string(answered.load() + 1) + "}");
}

}  // namespace
}  // namespace stratus::host
