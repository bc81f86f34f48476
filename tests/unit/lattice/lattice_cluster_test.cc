// A lattice over a 3-server NATS cluster (routes between the servers, clustered JetStream): hosts attached to
// different servers call each other, share links through the bucket, and one server's loss leaves the others' hosts
// working.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "stratus/claims/nkeys.h"
#include "stratus/lattice/lattice.h"
#include "support/actors.h"
#include "support/payloads.h"
#include "support/eventually.h"
#include "support/server_process.h"

namespace stratus::lattice {
namespace {

using namespace std::chrono_literals;
using stratus::testing::bytesOf;
using stratus::testing::eventually;
using stratus::testing::freeLoopbackPort;
using stratus::testing::ServerProcess;
using stratus::testing::textOf;

class LatticeClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto& p : client_ports_) p = freeLoopbackPort();
    for (auto& p : route_ports_) p = freeLoopbackPort();
    dir_ = std::filesystem::path(::testing::TempDir()) / ("stratus-lattice-cluster-" + std::to_string(client_ports_[0]));
    for (int i = 0; i < 3; ++i) {
      std::string routes;
      for (int j = 0; j < 3; ++j) {
        if (j == i) continue;
        routes += (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(route_ports_[j]);
      }
      const std::string name = "s" + std::to_string(i + 1);
      auto server = ServerProcess::start(
          {"nats-server", "-a", "127.0.0.1", "-p", std::to_string(client_ports_[i]), "-n", name, "--cluster_name",
           "stratus", "--cluster", "nats://127.0.0.1:" + std::to_string(route_ports_[i]), "--routes", routes, "-js",
           "-sd", (dir_ / name).string()},
          client_ports_[i], (dir_ / (name + ".log")).string());
      ASSERT_TRUE(server) << server.error().toString();
      servers_.push_back(std::make_unique<ServerProcess>(std::move(*server)));
    }
  }
  void TearDown() override {
    servers_.clear();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<LatticeHost> joinServer(int index) {
    LatticeOptions o;
    o.rpc.port = o.control.port = client_ports_[index];
    o.ns = "cluster";
    host::HostBuilder builder;
    builder.withProviderHealthInterval(0ms);
    auto joined = LatticeHost::start(std::move(builder), o);
    EXPECT_TRUE(joined) << joined.error().toString();
    return joined ? std::move(*joined) : nullptr;
  }

  uint16_t client_ports_[3]{};
  uint16_t route_ports_[3]{};
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

TEST_F(LatticeClusterTest, HostsOnDifferentServersFormOneLattice) {
  auto a = joinServer(0), b = joinServer(1);
  ASSERT_TRUE(a && b);
  std::string actor;
  ASSERT_TRUE(a->host().startActor(stratus::testing::signActor(stratus::testing::loadActor("test_actor"),
                                                              {.name = "clustered", .caps = {"stratus:test"}},
                                                              &actor)));
  // Routes carry the subscription from server 1 to server 2 shortly after the start.
  ASSERT_TRUE(eventually([&] { return bool(b->host().callActor(actor, "Echo", bytesOf("x"))); }, 10s));
  auto echo = b->host().callActor(actor, "Echo", bytesOf("across servers"));
  ASSERT_TRUE(echo) << echo.error().toString();
  EXPECT_EQ(textOf(*echo), "across servers");

  const std::string provider = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
  ASSERT_TRUE(b->host().setLink({actor, provider, "stratus:test", "default", {{"K", "v"}}}));
  ASSERT_TRUE(eventually([&] { return a->host().links().size() == 1; }, 10s));

  // A host joining through the third server learns the link from the clustered bucket at once.
  auto c = joinServer(2);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->host().links().size(), 1u);
  EXPECT_EQ(c->host().links()[0].values.at("K"), "v");
  ASSERT_TRUE(eventually([&] { return bool(c->host().callActor(actor, "Echo", bytesOf("y"))); }, 10s));

  // Server 2 goes away: the hosts on servers 1 and 3 go on calling each other.
  servers_[1]->stop();
  auto still = c->host().callActor(actor, "Echo", bytesOf("still"));
  ASSERT_TRUE(still) << still.error().toString();
  EXPECT_EQ(textOf(*still), "still");
}

}  // namespace
}  // namespace stratus::lattice
