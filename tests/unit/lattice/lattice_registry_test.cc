// The control interface with OCI references (a real registry and a real nats-server on loopback): start commands
// take references, inventories report them, and `upd` live-updates an actor, announced by the 0.18 events (read off
// NATS as plain JSON, not with the implementation's decoder).
#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "lattice/nats_client.h"
#include "stratus/claims/nkeys.h"
#include "stratus/common/files.h"
#include "stratus/lattice/control_client.h"
#include "stratus/lattice/lattice.h"
#include "support/actors.h"
#include "support/eventually.h"
#include "support/nats_server.h"
#include "support/oci_registry.h"

namespace stratus::lattice {
namespace {

using namespace std::chrono_literals;
using stratus::testing::loadActor;
using stratus::testing::signActor;

constexpr const char* kNamespace = "ociregistry";
const std::string kLoggingPar = std::string(STRATUS_PROVIDER_DIR) + "/logging.par.gz";

struct LatticeRegistryTest : ::testing::Test {
  void SetUp() override {
    auto nats = stratus::testing::NatsServer::start("lattice-oci");
    ASSERT_TRUE(nats) << nats.error().toString();
    nats_ = std::move(*nats);
    auto registry = stratus::testing::OciRegistry::start("lattice-oci");
    ASSERT_TRUE(registry) << registry.error().toString();
    registry_ = std::move(*registry);
    oci_.allowed_insecure = {registry_->host()};
    oci_.auth.credentials_file = stratus::testing::noCredentials(registry_->dir());
    seed_ = *claims::KeyPair::generate(claims::KeyType::kModule)->seed();
    updating_ = join(true);
    locked_ = join(false);
    ASSERT_TRUE(updating_ && locked_);
    NatsEndpoint endpoint;
    endpoint.port = nats_->port();
    auto client = ControlClient::connect(endpoint, kNamespace, 5000ms);
    ASSERT_TRUE(client) << client.error().toString();
    client_ = std::move(*client);
  }

  std::unique_ptr<LatticeHost> join(bool live_updates) {
    host::HostBuilder builder;
    builder.withProviderHealthInterval(0ms)
        .withLiveUpdates(live_updates)
        .withRegistry(oci_, {.dir = (registry_->dir() / ("cache-" + std::to_string(live_updates))).string()});
    LatticeOptions o;
    o.rpc.port = o.control.port = nats_->port();
    o.ns = kNamespace;
    auto joined = LatticeHost::start(std::move(builder), std::move(o));
    EXPECT_TRUE(joined) << joined.error().toString();
    return joined ? std::move(*joined) : nullptr;
  }

  std::string pushActor(int32_t rev) {
    const std::string ref = registry_->host() + "/lattice/echo:0." + std::to_string(rev);
    const Bytes actor = signActor(loadActor("test_actor"), {.name = "oci", .rev = rev, .module_seed = seed_}, &key_);
    auto pushed = oci::RegistryClient(oci_).pushArtifact(*oci::Reference::parse(ref), actor);
    EXPECT_TRUE(pushed) << pushed.error().toString();
    return ref;
  }

  std::unique_ptr<stratus::testing::NatsServer> nats_;
  std::unique_ptr<stratus::testing::OciRegistry> registry_;
  oci::ClientOptions oci_;
  std::string seed_, key_;
  std::unique_ptr<LatticeHost> updating_, locked_;
  std::unique_ptr<ControlClient> client_;
};

TEST_F(LatticeRegistryTest, StartCommandsTakeReferencesAndInventoriesReportThem) {
  const std::string actor_ref = pushActor(1);
  const std::string provider_ref = registry_->host() + "/lattice/logging:0.1.0";
  ASSERT_TRUE(oci::RegistryClient(oci_).pushArtifact(*oci::Reference::parse(provider_ref), *readFileBytes(kLoggingPar)));

  const std::string& a = updating_->host().id();
  auto started = client_->startActor(a, actor_ref);
  ASSERT_TRUE(started) << started.error().toString();
  ASSERT_TRUE(client_->startProvider(a, provider_ref, "default"));
  auto inventory = client_->inventory(a);
  ASSERT_TRUE(inventory) << inventory.error().toString();
  ASSERT_EQ(inventory->actors.size(), 1u);
  EXPECT_EQ(inventory->actors[0].id, key_);
  EXPECT_EQ(inventory->actors[0].image_ref, actor_ref);
  EXPECT_EQ(inventory->actors[0].revision, 1);
  bool provider_listed = false;
  for (const auto& p : inventory->providers) provider_listed |= p.image_ref == provider_ref;
  EXPECT_TRUE(provider_listed);

  // Stop by the reference it was started from.
  ASSERT_TRUE(client_->stopActor(a, actor_ref));
  EXPECT_TRUE(client_->inventory(a)->actors.empty());

  auto missing = client_->startActor(a, registry_->host() + "/lattice/nothing:1");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nothing:1"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("HTTP 404"), std::string::npos) << missing.error().message;
}

TEST_F(LatticeRegistryTest, UpdateCommandSwapsTheActorAndAnnouncesIt) {
  NatsEndpoint endpoint;
  endpoint.port = nats_->port();
  auto listener = NatsClient::connect(endpoint, "events", "lattice-registry-test");
  ASSERT_TRUE(listener) << listener.error().toString();
  std::mutex mu;
  std::vector<nlohmann::json> events;
  auto subscription = (*listener)->subscribe(std::string("wasmbus.ctl.") + kNamespace + ".events", "",
                                             [&](NatsMessage m) {
                                               std::lock_guard lock(mu);
                                               events.push_back(nlohmann::json::parse(
                                                   std::string(m.data().begin(), m.data().end()), nullptr, false));
                                             });
  ASSERT_TRUE(subscription);
  ASSERT_TRUE((*listener)->flush(2000ms));

  const std::string v1 = pushActor(1), v2 = pushActor(2);
  const std::string& a = updating_->host().id();
  const std::string& b = locked_->host().id();
  ASSERT_TRUE(client_->startActor(a, v1));
  ASSERT_TRUE(client_->startActor(b, v1));

  auto refused = client_->updateActor(b, key_, v2);  // live updates not enabled there
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kHostError);
  EXPECT_EQ(client_->inventory(b)->actors[0].revision, 1);
  ASSERT_TRUE(client_->stopActor(b, key_));  // b now knows the actor from the lattice only

  auto updated = client_->updateActor(a, key_, v2);
  ASSERT_TRUE(updated) << updated.error().toString();
  auto inventory = client_->inventory(a);
  ASSERT_TRUE(inventory);
  ASSERT_EQ(inventory->actors.size(), 1u);
  EXPECT_EQ(inventory->actors[0].revision, 2);
  EXPECT_EQ(inventory->actors[0].image_ref, v2);
  const Bytes hi = {'h', 'i'};
  auto call = client_->call(key_, "Echo", hi);
  ASSERT_TRUE(call) << call.error().toString();
  EXPECT_EQ(*call, hi);

  // The lattice learns the new claims; the events carry both revisions.
  EXPECT_TRUE(stratus::testing::eventually([&] {
    auto known = locked_->host().knownActorClaims(key_);
    return known && known->metadata.rev == 2;
  }));
  EXPECT_TRUE(stratus::testing::eventually([&] {
    std::lock_guard lock(mu);
    int seen = 0;
    for (const auto& e : events) {
      for (const char* name : {"ActorUpdateBegan", "ActorUpdateCompleted"}) {
        if (e.is_object() && e.contains("event") && e["event"].is_object() && e["event"].contains(name)) {
          const auto& body = e["event"][name];
          seen += body["actor"] == key_ && body["old_revision"] == 1 && body["new_revision"] == 2 &&
                  e["header"]["host_origin"] == a;
        }
      }
    }
    return seen == 2;
  }));
}

}  // namespace
}  // namespace stratus::lattice
