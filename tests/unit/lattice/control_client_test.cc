// The control-interface client against real hosts: a nats-server with JetStream on a free loopback port and two
// in-process LatticeHosts in namespace "ctltest", one of them labelled. Every query, auction, command, link and call
// goes over NATS exactly as `stratus ctl` (or wash) sends it.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "stratus/claims/nkeys.h"
#include "stratus/lattice/control_client.h"
#include "stratus/lattice/lattice.h"
#include "support/actors.h"
#include "support/eventually.h"
#include "support/nats_server.h"
#include "support/payloads.h"
#include "support/server_process.h"

namespace stratus::lattice {
namespace {

using namespace std::chrono_literals;
using stratus::testing::bytesOf;
using stratus::testing::loadActor;
using stratus::testing::eventually;
using stratus::testing::signActor;
using stratus::testing::textOf;

constexpr char kNamespace[] = "ctltest";
constexpr char kRoleLabel[] = "ctltest.role";
// hosts() and the auctions wait for the whole timeout: short, yet long enough for a loaded machine.
constexpr auto kTimeout = 1000ms;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool hasLink(const std::vector<host::LinkDefinition>& links, const host::LinkDefinition& wanted) {
  return std::any_of(links.begin(), links.end(), [&](const host::LinkDefinition& l) {
    return l.actor_id == wanted.actor_id && l.provider_id == wanted.provider_id &&
           l.contract_id == wanted.contract_id && l.link_name == wanted.link_name && l.values == wanted.values;
  });
}

class ControlClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = stratus::testing::NatsServer::start("ctl-test");
    ASSERT_TRUE(server) << server.error().toString() << " (scripts/install-deps.sh --test installs nats-server)";
    nats_ = std::move(*server);
    dir_ = nats_->dir();

    a_ = join({{kRoleLabel, "special"}});
    b_ = join({});
    ASSERT_TRUE(a_ && b_);
    client_ = connect();
    ASSERT_TRUE(client_);

    actor_path_ = (dir_ / "ctl_actor.wasm").string();
    const Bytes signed_actor = signActor(loadActor("test_actor"), {.name = "ctl-actor"}, &actor_key_);
    std::ofstream(actor_path_, std::ios::binary)
        .write(reinterpret_cast<const char*>(signed_actor.data()), static_cast<std::streamsize>(signed_actor.size()));
  }

  void TearDown() override {
    client_.reset();
    a_.reset();
    b_.reset();
    nats_.reset();
  }

  std::unique_ptr<LatticeHost> join(const std::map<std::string, std::string>& labels) {
    host::HostBuilder builder;
    builder.withProviderHealthInterval(0ms);
    for (const auto& [k, v] : labels) builder.withLabel(k, v);
    LatticeOptions o;
    o.rpc.port = o.control.port = nats_->port();
    o.ns = kNamespace;
    auto joined = LatticeHost::start(std::move(builder), std::move(o));
    EXPECT_TRUE(joined) << joined.error().toString();
    return joined ? std::move(*joined) : nullptr;
  }

  std::unique_ptr<ControlClient> connect(std::string ns = kNamespace) {
    NatsEndpoint endpoint;
    endpoint.port = nats_->port();
    auto client = ControlClient::connect(endpoint, std::move(ns), kTimeout);
    EXPECT_TRUE(client) << client.error().toString();
    return client ? std::move(*client) : nullptr;
  }

  const std::string& aId() const { return a_->host().id(); }
  const std::string& bId() const { return b_->host().id(); }

  std::filesystem::path dir_;
  std::unique_ptr<stratus::testing::NatsServer> nats_;
  std::unique_ptr<LatticeHost> a_, b_;
  std::unique_ptr<ControlClient> client_;
  std::string actor_path_, actor_key_;
};

TEST_F(ControlClientTest, HostsListsEveryHostWithItsUptime) {
  std::this_thread::sleep_for(1100ms);
  auto hosts = client_->hosts();
  ASSERT_TRUE(hosts) << hosts.error().toString();
  ASSERT_EQ(hosts->size(), 2u);
  std::vector<std::string> expected{aId(), bId()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ((*hosts)[0].id, expected[0]);
  EXPECT_EQ((*hosts)[1].id, expected[1]);
  for (const auto& h : *hosts) {
    EXPECT_GE(h.uptime_seconds, 1u) << h.id;
    EXPECT_LT(h.uptime_seconds, 120u) << h.id;
  }
}

TEST_F(ControlClientTest, NoHostInTheNamespaceIsAClearError) {
  auto empty = connect("nobody-here");
  ASSERT_TRUE(empty);
  auto hosts = empty->hosts();
  ASSERT_FALSE(hosts);
  EXPECT_EQ(hosts.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(hosts.error().message, "no host answered get.hosts within 1000 ms on nats://127.0.0.1:" +
                                                  std::to_string(nats_->port())))
      << hosts.error().message;
  EXPECT_TRUE(contains(hosts.error().message, "nobody-here")) << hosts.error().message;
  auto links = empty->links();
  ASSERT_FALSE(links);
  EXPECT_TRUE(contains(links.error().message, "no host answered get.links")) << links.error().message;
}

TEST_F(ControlClientTest, StartActorShowsInTheInventoryWithItsPath) {
  ASSERT_TRUE(client_->startActor(aId(), actor_path_));
  auto inventory = client_->inventory(aId());
  ASSERT_TRUE(inventory) << inventory.error().toString();
  EXPECT_EQ(inventory->host_id, aId());
  EXPECT_EQ(inventory->labels.at(kRoleLabel), "special");
  EXPECT_TRUE(inventory->labels.count("hostcore.os"));
  ASSERT_EQ(inventory->actors.size(), 1u);
  EXPECT_EQ(inventory->actors[0].id, actor_key_);
  EXPECT_EQ(inventory->actors[0].image_ref, actor_path_);
  EXPECT_EQ(inventory->actors[0].name, "ctl-actor");

  auto other = client_->inventory(bId());
  ASSERT_TRUE(other) << other.error().toString();
  EXPECT_TRUE(other->actors.empty());
  EXPECT_EQ(other->labels.count(kRoleLabel), 0u);
}

TEST_F(ControlClientTest, StartingAMissingFileNamesTheHostAndTheFile) {
  const std::string missing = (dir_ / "missing.wasm").string();
  auto started = client_->startActor(bId(), missing);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kHostError);
  EXPECT_TRUE(contains(started.error().message, "host " + bId() + " refused to start actor " + missing))
      << started.error().message;
}

TEST_F(ControlClientTest, StopActorByKeyAndByReference) {
  ASSERT_TRUE(client_->startActor(aId(), actor_path_));
  auto stopped = client_->stopActor(aId(), actor_key_);
  ASSERT_TRUE(stopped) << stopped.error().toString();
  EXPECT_TRUE(a_->host().actors().empty());

  // Stopping it again: the host's refusal names the host.
  auto again = client_->stopActor(aId(), actor_key_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kHostError);
  EXPECT_TRUE(contains(again.error().message, "host " + aId() + " refused to stop actor " + actor_key_))
      << again.error().message;

  ASSERT_TRUE(client_->startActor(b_->host().id(), actor_path_));
  auto by_ref = client_->stopActor(bId(), actor_path_);
  ASSERT_TRUE(by_ref) << by_ref.error().toString();
  EXPECT_TRUE(b_->host().actors().empty());
}

TEST_F(ControlClientTest, CallReachesTheActorWhereverItRuns) {
  ASSERT_TRUE(client_->startActor(bId(), actor_path_));
  auto reply = client_->call(actor_key_, "Echo", bytesOf("from the control client"));
  ASSERT_TRUE(reply) << reply.error().toString();
  EXPECT_EQ(textOf(*reply), "from the control client");

  auto failed = client_->call(actor_key_, "Fail", bytesOf("boom"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kHostError);
  EXPECT_TRUE(contains(failed.error().message, "requested failure: boom")) << failed.error().message;
  EXPECT_TRUE(contains(failed.error().message, actor_key_)) << failed.error().message;
}

TEST_F(ControlClientTest, ACallToAnActorNowhereFailsClearly) {
  std::string nowhere;
  signActor(loadActor("test_actor"), {}, &nowhere);
  auto reply = client_->call(nowhere, "Echo", bytesOf("anyone?"));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(contains(reply.error().message, "actor " + nowhere + " runs on no host in namespace 'ctltest'"))
      << reply.error().message;

  auto not_a_key = client_->call("echo", "Echo", {});
  ASSERT_FALSE(not_a_key);
  EXPECT_EQ(not_a_key.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(not_a_key.error().message, "'echo' is not an actor's public key")) << not_a_key.error().message;
}

TEST_F(ControlClientTest, LinksReachEveryHostOutliveThemAndGoAway) {
  const std::string provider = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
  const host::LinkDefinition link{actor_key_, provider, "stratus:ctltest", "ctl", {{"KEY", "value"}}};
  ASSERT_TRUE(client_->putLink(link));
  EXPECT_TRUE(eventually([&] { return hasLink(a_->host().links(), link) && hasLink(b_->host().links(), link); }));
  auto links = client_->links();
  ASSERT_TRUE(links) << links.error().toString();
  EXPECT_TRUE(hasLink(*links, link));

  // Stored in the lattice bucket: a host that joins after every other left knows it.
  a_.reset();
  b_.reset();
  auto late = join({});
  ASSERT_TRUE(late);
  EXPECT_TRUE(hasLink(late->host().links(), link));

  ASSERT_TRUE(client_->deleteLink(actor_key_, "stratus:ctltest", "ctl"));
  EXPECT_TRUE(eventually([&] { return late->host().links().empty(); }));
  auto after = client_->links();
  ASSERT_TRUE(after) << after.error().toString();
  EXPECT_TRUE(after->empty());
  late.reset();
  auto later = join({});
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->host().links().empty());
}

TEST_F(ControlClientTest, ClaimsHoldTheStartedActor) {
  ASSERT_TRUE(client_->startActor(aId(), actor_path_));
  // The first host to answer may be the other one, which learns the claims from an advert.
  EXPECT_TRUE(eventually([&] {
    auto claims = client_->claims();
    return claims && std::any_of(claims->begin(), claims->end(), [&](const ClaimsValues& c) {
             return c.count("sub") && c.at("sub") == actor_key_ && c.count("iss") && c.count("caps");
           });
  }));
}

TEST_F(ControlClientTest, AuctionsGetBidsFromTheHostsThatQualify) {
  auto everyone = client_->actorAuction(actor_path_, {});
  ASSERT_TRUE(everyone) << everyone.error().toString();
  EXPECT_EQ(everyone->size(), 2u);

  auto labelled = client_->actorAuction(actor_path_, {{kRoleLabel, "special"}});
  ASSERT_TRUE(labelled) << labelled.error().toString();
  ASSERT_EQ(labelled->size(), 1u);
  EXPECT_EQ((*labelled)[0], aId());

  auto nobody = client_->actorAuction(actor_path_, {{kRoleLabel, "absent"}});
  ASSERT_TRUE(nobody) << nobody.error().toString();
  EXPECT_TRUE(nobody->empty());

  auto providers = client_->providerAuction("/nonexistent/provider.par", "default", {{kRoleLabel, "special"}});
  ASSERT_TRUE(providers) << providers.error().toString();
  ASSERT_EQ(providers->size(), 1u);
  EXPECT_EQ((*providers)[0], aId());
}

TEST_F(ControlClientTest, StartAnywhereStartsOnABidderAndFailsWhenNoneBids) {
  auto chosen = client_->startActorAnywhere(actor_path_, {{kRoleLabel, "special"}});
  ASSERT_TRUE(chosen) << chosen.error().toString();
  EXPECT_EQ(*chosen, aId());
  ASSERT_EQ(a_->host().actors().size(), 1u);

  // A host that runs the actor already does not bid: b is the only one left.
  auto second = client_->startActorAnywhere(actor_path_, {});
  ASSERT_TRUE(second) << second.error().toString();
  EXPECT_EQ(*second, bId());

  auto none = client_->startActorAnywhere(actor_path_, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(contains(none.error().message, "no host bid for actor " + actor_path_)) << none.error().message;
}

TEST_F(ControlClientTest, CommandsToAnUnknownHostOrAnInvalidIdFailClearly) {
  const std::string stranger = claims::KeyPair::generate(claims::KeyType::kServer)->publicKey();
  auto inventory = client_->inventory(stranger);
  ASSERT_FALSE(inventory);
  EXPECT_EQ(inventory.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(contains(inventory.error().message, "no host " + stranger + " in namespace 'ctltest'"))
      << inventory.error().message;

  auto started = client_->startActor(stranger, actor_path_);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(contains(started.error().message, stranger)) << started.error().message;

  auto invalid = client_->inventory("not-a-host");
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(invalid.error().message, "'not-a-host' is not a host id")) << invalid.error().message;
}

TEST_F(ControlClientTest, ProviderCommandsAndUpdatesCarryTheHostsRefusal) {
  auto stopped = client_->stopProvider(aId(), "VNOSUCHPROVIDER", "default", "wasmcloud:none");
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kHostError);
  EXPECT_TRUE(contains(stopped.error().message, "host " + aId() + " refused to stop provider VNOSUCHPROVIDER"))
      << stopped.error().message;

  const std::string missing = (dir_ / "missing.par").string();
  auto started = client_->startProvider(bId(), missing, "");
  ASSERT_FALSE(started);
  EXPECT_TRUE(contains(started.error().message, "host " + bId() + " refused to start provider " + missing))
      << started.error().message;

  ASSERT_TRUE(client_->startActor(aId(), actor_path_));
  auto updated = client_->updateActor(aId(), actor_key_, actor_path_);
  ASSERT_FALSE(updated);  // live updates are not enabled on these hosts
  EXPECT_EQ(updated.error().code, ErrorCode::kHostError);
  EXPECT_TRUE(contains(updated.error().message, "host " + aId() + " refused to update actor " + actor_key_))
      << updated.error().message;
}

TEST_F(ControlClientTest, CallsToHostsWithClusterIssuersNeedTheClusterSeed) {
  auto cluster = claims::KeyPair::generate(claims::KeyType::kCluster);
  ASSERT_TRUE(cluster);
  LatticeOptions o;
  o.rpc.port = o.control.port = nats_->port();
  o.ns = "ctlcluster";
  o.cluster_issuers = {cluster->publicKey()};
  o.cluster_seed = *cluster->seed();
  host::HostBuilder builder;
  builder.withProviderHealthInterval(0ms);
  auto strict = LatticeHost::start(std::move(builder), o);
  ASSERT_TRUE(strict) << strict.error().toString();
  std::string key;
  ASSERT_TRUE((*strict)->host().startActor(signActor(loadActor("test_actor"), {}, &key)));

  NatsEndpoint endpoint;
  endpoint.port = nats_->port();
  auto plain = ControlClient::connect(endpoint, "ctlcluster", kTimeout);
  ASSERT_TRUE(plain);
  auto refused = (*plain)->call(key, "Echo", bytesOf("x"));
  ASSERT_FALSE(refused);
  EXPECT_TRUE(contains(refused.error().message, "cluster issuers")) << refused.error().message;

  auto signed_by_cluster = ControlClient::connect(endpoint, "ctlcluster", kTimeout, *cluster->seed());
  ASSERT_TRUE(signed_by_cluster) << signed_by_cluster.error().toString();
  auto echo = (*signed_by_cluster)->call(key, "Echo", bytesOf("cluster"));
  ASSERT_TRUE(echo) << echo.error().toString();
  EXPECT_EQ(textOf(*echo), "cluster");

  auto wrong_seed = ControlClient::connect(endpoint, "ctlcluster", kTimeout, *cluster->seed() + "x");
  ASSERT_FALSE(wrong_seed);
  EXPECT_EQ(wrong_seed.error().code, ErrorCode::kInvalidArgument);
}

TEST(ControlClientConnectTest, APortWhereNothingListensFailsClearly) {
  NatsEndpoint endpoint;
  endpoint.port = stratus::testing::freeLoopbackPort();
  auto client = ControlClient::connect(endpoint, "default", 500ms);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(client.error().message, "nats://127.0.0.1:" + std::to_string(endpoint.port)))
      << client.error().message;
}

TEST(ControlClientConnectTest, BadSettingsAreRefusedBeforeConnecting) {
  auto no_ns = ControlClient::connect(NatsEndpoint{}, "", 500ms);
  ASSERT_FALSE(no_ns);
  EXPECT_EQ(no_ns.error().code, ErrorCode::kInvalidArgument);
  auto wildcard = ControlClient::connect(NatsEndpoint{}, "a.>", 500ms);
  ASSERT_FALSE(wildcard);
  EXPECT_EQ(wildcard.error().code, ErrorCode::kInvalidArgument);
  auto no_time = ControlClient::connect(NatsEndpoint{}, "default", 0ms);
  ASSERT_FALSE(no_time);
  EXPECT_EQ(no_time.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace stratus::lattice
