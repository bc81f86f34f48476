// Actors and providers started from OCI references (a real registry on loopback), directly and from a manifest.
#include <gtest/gtest.h>

#include "stratus/common/files.h"
#include "stratus/host/host.h"
#include "stratus/host/manifest.h"
#include "support/actors.h"
#include "support/oci_registry.h"
#include "support/payloads.h"

namespace stratus::host {
namespace {

using stratus::testing::OciRegistry;

const std::string kLoggingPar = std::string(STRATUS_PROVIDER_DIR) + "/logging.par.gz";

struct RegistryStartTest : ::testing::Test {
  void SetUp() override {
    auto started = OciRegistry::start("host-registry");
    ASSERT_TRUE(started) << started.error().toString();
    registry = std::move(*started);
    client_options.allowed_insecure = {registry->host()};
    client_options.auth.credentials_file = stratus::testing::noCredentials(registry->dir());  // never the user's own credentials
    actor = stratus::testing::signActor(stratus::testing::loadActor("test_actor"), {.name = "oci"}, &actor_key);
    actor_ref = registry->host() + "/host/echo:0.1.0";
    provider_ref = registry->host() + "/host/logging:0.1.0";
    oci::RegistryClient client(client_options);
    ASSERT_TRUE(client.pushArtifact(*oci::Reference::parse(actor_ref), actor));
    ASSERT_TRUE(client.pushArtifact(*oci::Reference::parse(provider_ref), *readFileBytes(kLoggingPar)));
  }

  std::unique_ptr<Host> build(std::vector<HostEvent>* events = nullptr) {
    HostBuilder builder;
    builder.withProviderHealthInterval(std::chrono::milliseconds(0))
        .withRegistry(client_options, {.dir = (registry->dir() / "cache").string()});
    if (events) builder.withEventListener([events](const HostEvent& e) { events->push_back(e); });
    auto host = builder.build();
    EXPECT_TRUE(host) << host.error().toString();
    return host ? std::move(*host) : nullptr;
  }

  std::unique_ptr<OciRegistry> registry;
  oci::ClientOptions client_options;
  Bytes actor;
  std::string actor_key, actor_ref, provider_ref;
};

TEST_F(RegistryStartTest, StartsActorsAndProvidersByReferenceAndReportsTheReference) {
  std::vector<HostEvent> events;
  auto host = build(&events);
  ASSERT_TRUE(host);
  auto pk = host->startActorFromRegistry(actor_ref);
  ASSERT_TRUE(pk) << pk.error().toString();
  EXPECT_EQ(*pk, actor_key);
  auto echoed = host->callActor(*pk, "Echo", stratus::testing::bytesOf("from a registry"));
  ASSERT_TRUE(echoed) << echoed.error().toString();
  EXPECT_EQ(*echoed, stratus::testing::bytesOf("from a registry"));
  ASSERT_EQ(host->actors().size(), 1u);
  EXPECT_EQ(host->actors()[0].image_ref, actor_ref);

  auto provider = host->startProviderFromRegistry(provider_ref, "default");
  ASSERT_TRUE(provider) << provider.error().toString();
  bool listed = false;
  for (const auto& p : host->providers()) listed |= p.public_key == *provider && p.origin == provider_ref;
  EXPECT_TRUE(listed);

  int started_with_ref = 0;
  for (const auto& e : events) {
    if ((e.kind == HostEvent::Kind::kActorStarted && e.image_ref == actor_ref) ||
        (e.kind == HostEvent::Kind::kProviderStarted && e.image_ref == provider_ref)) {
      ++started_with_ref;
    }
  }
  EXPECT_EQ(started_with_ref, 2);
}

TEST_F(RegistryStartTest, TheWrongKindAndUnsignedModulesAreRefused) {
  auto host = build();
  ASSERT_TRUE(host);
  auto wrong = host->startActorFromRegistry(provider_ref);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong.error().message.find(provider_ref + " is a provider archive, not an actor"), std::string::npos);
  auto wrong_provider = host->startProviderFromRegistry(actor_ref, "default");
  ASSERT_FALSE(wrong_provider);
  EXPECT_NE(wrong_provider.error().message.find("is an actor, not a provider archive"), std::string::npos);

  // The registry is not trusted for claims: a module without them fails as a file would.
  const std::string unsigned_ref = registry->host() + "/host/unsigned:1";
  ASSERT_TRUE(oci::RegistryClient(client_options)
                  .pushArtifact(*oci::Reference::parse(unsigned_ref), stratus::testing::loadActor("test_actor")));
  auto refused = host->startActorFromRegistry(unsigned_ref);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidClaims);
  EXPECT_NE(refused.error().message.find(unsigned_ref), std::string::npos) << refused.error().message;
}

TEST_F(RegistryStartTest, AManifestNamesActorsAndCapabilitiesByReference) {
  auto host = build();
  ASSERT_TRUE(host);
  auto manifest = parseManifest("actors:\n  - " + actor_ref + "\ncapabilities:\n  - image_ref: " + provider_ref +
                                    "\n    link_name: oci\n",
                                "registry.yaml");
  ASSERT_TRUE(manifest) << manifest.error().toString();
  auto applied = applyManifest(*host, *manifest);
  ASSERT_TRUE(applied) << applied.error().toString();
  ASSERT_EQ(host->actors().size(), 1u);
  EXPECT_EQ(host->actors()[0].image_ref, actor_ref);
  bool found = false;
  for (const auto& p : host->providers()) found |= p.link_name == "oci" && p.origin == provider_ref;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace stratus::host
