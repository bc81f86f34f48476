// The example split across a lattice: the counter actor on host A; the httpserver and keyvalue providers, and the
// links, on host B. An HTTP request to B reaches the actor on A over NATS, whose keyvalue calls come back to B.
// Then host A dies mid-traffic and returns.
#include <gtest/gtest.h>

#include <filesystem>

#include "stratus/lattice/lattice.h"
#include "support/actors.h"
#include "support/eventually.h"
#include "support/http_get.h"
#include "support/nats_server.h"

namespace stratus::lattice {
namespace {

using namespace std::chrono_literals;
using stratus::testing::bodyOf;
using stratus::testing::httpGet;

const std::string kProviders = STRATUS_PROVIDER_DIR;

class LatticeExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = stratus::testing::NatsServer::start("lattice-e2e");
    ASSERT_TRUE(server) << server.error().toString();
    nats_ = std::move(*server);
    counter_ = stratus::testing::signActor(stratus::testing::loadActor("counter"),
                                           {.name = "counter", .caps = {"wasmcloud:httpserver", "wasmcloud:keyvalue"}},
                                           &actor_);
  }

  std::unique_ptr<LatticeHost> join(std::chrono::milliseconds rpc_timeout = 2s) {
    LatticeOptions o;
    o.rpc.port = o.control.port = nats_->port();
    o.ns = "example";
    o.rpc_timeout = rpc_timeout;
    host::HostBuilder builder;
    builder.withProviderHealthInterval(0ms).withProviderCacheDir(::testing::TempDir() + "/stratus-lattice-e2e-cache");
    auto joined = LatticeHost::start(std::move(builder), o);
    EXPECT_TRUE(joined) << joined.error().toString();
    return joined ? std::move(*joined) : nullptr;
  }

  std::unique_ptr<stratus::testing::NatsServer> nats_;
  Bytes counter_;
  std::string actor_;
};

TEST_F(LatticeExampleTest, AnHttpRequestToOneHostIsAnsweredByTheActorOnAnother) {
  auto a = join(), b = join(500ms);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->host().startActor(counter_));
  auto http = b->host().startProviderFromArchive(kProviders + "/httpserver.par.gz");
  auto kv = b->host().startProviderFromArchive(kProviders + "/keyvalue.par.gz");
  ASSERT_TRUE(http && kv);
  const uint16_t port = stratus::testing::freeLoopbackPort();
  // The httpserver link is set on A, where its provider does not run: B's provider is bound through the lattice.
  ASSERT_TRUE(a->host().setLink(
      {actor_, *http, "wasmcloud:httpserver", "default", {{"BIND", "127.0.0.1:" + std::to_string(port)}}}));
  ASSERT_TRUE(b->host().setLink({actor_, *kv, "wasmcloud:keyvalue", "default", {}}));
  // A learns the keyvalue link from the lattice before its actor needs it.
  ASSERT_TRUE(stratus::testing::eventually([&] { return a->host().links().size() == 2; }));

  EXPECT_EQ(bodyOf(httpGet(port, "/hits")), R"({"counter":1})");
  EXPECT_EQ(bodyOf(httpGet(port, "/hits")), R"({"counter":2})");

  // Host A dies mid-traffic: B's callers get an error within B's rpc timeout, not a hang.
  a.reset();
  const auto start = std::chrono::steady_clock::now();
  const std::string down = httpGet(port, "/hits");
  EXPECT_EQ(down.rfind("HTTP/1.1 503", 0), 0u) << down;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);

  // A returns (a new host process, the same actor): the count goes on where the keyvalue provider on B has it.
  auto again = join();
  ASSERT_TRUE(again);
  ASSERT_TRUE(again->host().startActor(counter_));
  ASSERT_EQ(again->host().links().size(), 2u);  // from the bucket, when the join returns
  EXPECT_EQ(bodyOf(httpGet(port, "/hits")), R"({"counter":3})");

  // The link removed on the new A: B's provider gets RemoveActor and closes the actor's listener.
  ASSERT_TRUE(again->host().removeLink(actor_, "wasmcloud:httpserver", "default"));
  EXPECT_TRUE(stratus::testing::eventually([&] { return httpGet(port, "/hits").empty(); }));
}

}  // namespace
}  // namespace stratus::lattice
