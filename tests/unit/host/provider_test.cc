// Capability providers in the standalone host: loading, links and BindActor/RemoveActor, routing of actor calls to
// providers and back, health checks, the built-in extras provider, archives, and faulty providers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "stratus/claims/nkeys.h"
#include "stratus/codec/extras.h"
#include "stratus/codec/msgpack.h"
#include "stratus/host/host.h"
#include "stratus/par/archive.h"
#include "support/actors.h"
#include "support/payloads.h"

namespace stratus::host {
namespace {

using stratus::testing::bytesOf;
using stratus::testing::hostCallPayload;
using stratus::testing::loadActor;
using stratus::testing::signActor;
using stratus::testing::textOf;

const std::string kProviderDir = STRATUS_TEST_PROVIDER_DIR;
const std::string kTestProvider = kProviderDir + "/libstratus_test_provider.so";
constexpr std::string_view kContract = "stratus:test";

claims::ProviderClaims providerClaims(std::string capid = std::string(kContract)) {
  claims::ProviderClaims c;
  c.subject = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
  c.metadata.capid = std::move(capid);
  c.metadata.name = "test provider";
  c.metadata.vendor = "stratus";
  return c;
}

std::map<std::string, std::map<std::string, std::string>> decodeBindings(const Bytes& bytes) {
  std::map<std::string, std::map<std::string, std::string>> out;
  auto v = codec::decode(bytes);
  EXPECT_TRUE(v) << v.error().toString();
  if (!v) return out;
  for (const auto& [k, values] : v->entries()) out[*k.asString("actor")] = *values.asStringMap("values");
  return out;
}

class ProviderHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto built = HostBuilder()
                     .withProviderHealthInterval(std::chrono::milliseconds(0))
                     .withProviderStopTimeout(std::chrono::milliseconds(1000))
                     .withProviderCacheDir(::testing::TempDir() + "/stratus-provider-cache")
                     .withEventListener([this](const HostEvent& e) {
                       std::lock_guard lock(events_mu_);
                       events_.push_back(e);
                     })
                     .build();
    ASSERT_TRUE(built) << built.error().toString();
    host_ = std::move(*built);
  }
  // The host reports events while it shuts down: stop it before the event list goes.
  void TearDown() override { host_.reset(); }

  std::string startActor(std::vector<std::string> caps, std::string name = "caller") {
    auto pk = host_->startActor(signActor(actor_, {.name = std::move(name), .caps = std::move(caps)}));
    EXPECT_TRUE(pk) << pk.error().toString();
    return pk ? *pk : std::string();
  }

  std::string startProvider(const std::string& lib = kTestProvider, std::string link_name = "default") {
    claims_ = providerClaims();
    auto pk = host_->startProviderFromLibrary(lib, claims_, std::move(link_name));
    EXPECT_TRUE(pk) << pk.error().toString();
    return pk ? *pk : std::string();
  }

  Expected<Bytes> actorCalls(const std::string& actor, std::string_view op, const Bytes& payload,
                             std::string_view ns = kContract, std::string_view binding = "") {
    return host_->callActor(actor, "HostCall", hostCallPayload(binding, ns, op, payload));
  }

  Bytes bindings(const std::string& via_actor) {
    auto r = actorCalls(via_actor, "Bindings", {});
    EXPECT_TRUE(r) << r.error().toString();
    return r ? *r : Bytes{};
  }

  std::vector<HostEvent> eventsOf(HostEvent::Kind kind) {
    std::lock_guard lock(events_mu_);
    std::vector<HostEvent> out;
    for (const auto& e : events_) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

  const Bytes actor_ = loadActor("test_actor");
  std::unique_ptr<Host> host_;
  claims::ProviderClaims claims_;
  std::mutex events_mu_;
  std::vector<HostEvent> events_;
};

TEST_F(ProviderHostTest, LinkBeforeEitherSideStartsBindsWithValuesAndHiddenValues) {
  // Keys known before anything runs, as in a manifest.
  const std::string provider_id = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
  std::string actor_id;
  const Bytes signed_actor =
      signActor(actor_, {.name = "linked", .caps = {std::string(kContract)}}, &actor_id);
  ASSERT_TRUE(host_->setLink({actor_id, provider_id, std::string(kContract), "default", {{"COLOR", "blue"}}}));

  ASSERT_TRUE(host_->startActor(signed_actor));
  claims_ = providerClaims();
  claims_.subject = provider_id;
  ASSERT_TRUE(host_->startProviderFromLibrary(kTestProvider, claims_));

  auto bound = decodeBindings(bindings(actor_id));
  ASSERT_EQ(bound.size(), 1u);
  const auto& values = bound[actor_id];
  EXPECT_EQ(values.at("COLOR"), "blue");
  EXPECT_EQ(values.at("__wasmcloud_name"), "linked");
  EXPECT_EQ(values.at("__wasmcloud_capabilities"), "stratus:test");
  EXPECT_EQ(values.at("__wasmcloud_expires"), "0");
  EXPECT_EQ(values.at("__wasmcloud_issuer").substr(0, 1), "A");
  EXPECT_TRUE(values.count("__wasmcloud_tags"));

  auto who = actorCalls(actor_id, "WhoAmI", {});
  ASSERT_TRUE(who) << who.error().toString();
  EXPECT_EQ(textOf(*who), actor_id);  // the provider sees the calling actor as origin
}

TEST_F(ProviderHostTest, LinkAfterBothStartBindsAndRoutesCalls) {
  const std::string actor = startActor({std::string(kContract)});
  const std::string provider = startProvider();
  auto before = actorCalls(actor, "Echo", bytesOf("x"));
  ASSERT_FALSE(before);
  EXPECT_NE(before.error().message.find("no link definition for actor " + actor), std::string::npos)
      << before.error().message;
  EXPECT_NE(before.error().message.find("'stratus:test'"), std::string::npos);
  EXPECT_NE(before.error().message.find("link name 'default'"), std::string::npos);

  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {}}));
  auto echoed = actorCalls(actor, "Echo", bytesOf("through the provider"));
  ASSERT_TRUE(echoed) << echoed.error().toString();
  EXPECT_EQ(textOf(*echoed), "through the provider");
  EXPECT_EQ(eventsOf(HostEvent::Kind::kLinkSet).size(), 1u);
  EXPECT_EQ(host_->links().size(), 1u);
}

TEST_F(ProviderHostTest, CapabilityClaimIsCheckedBeforeAnyLinkLookup) {
  const std::string actor = startActor({});  // no caps at all
  const std::string provider = startProvider();
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {}}));
  auto r = actorCalls(actor, "Echo", bytesOf("x"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no capability claim for 'stratus:test'"), std::string::npos)
      << r.error().message;
}

TEST_F(ProviderHostTest, LinkNamesSelectDifferentProviders) {
  const std::string actor = startActor({std::string(kContract)});
  const std::string first = startProvider(kTestProvider, "default");
  const std::string second = startProvider(kTestProvider, "backup");
  ASSERT_NE(first, second);
  ASSERT_TRUE(host_->setLink({actor, first, std::string(kContract), "default", {{"WHICH", "first"}}}));
  ASSERT_TRUE(host_->setLink({actor, second, std::string(kContract), "backup", {{"WHICH", "second"}}}));
  auto via_backup = actorCalls(actor, "Bindings", {}, kContract, "backup");
  ASSERT_TRUE(via_backup) << via_backup.error().toString();
  EXPECT_EQ(decodeBindings(*via_backup)[actor].at("WHICH"), "second");
  EXPECT_EQ(decodeBindings(bindings(actor))[actor].at("WHICH"), "first");

  // One provider per (contract, link name) per host.
  auto again = host_->startProviderFromLibrary(kTestProvider, providerClaims(), "backup");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(ProviderHostTest, RemovingTheLinkOrStoppingTheActorSendsRemoveActor) {
  const std::string observer = startActor({std::string(kContract)}, "observer");
  const std::string actor = startActor({std::string(kContract)}, "subject");
  const std::string provider = startProvider();
  ASSERT_TRUE(host_->setLink({observer, provider, std::string(kContract), "default", {}}));
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {}}));
  EXPECT_EQ(decodeBindings(bindings(observer)).size(), 2u);

  ASSERT_TRUE(host_->stopActor(actor));
  EXPECT_EQ(decodeBindings(bindings(observer)).count(actor), 0u);
  EXPECT_EQ(host_->links().size(), 2u);  // the link stays: the actor binds again when it restarts

  ASSERT_TRUE(host_->removeLink(observer, kContract, "default"));
  auto r = actorCalls(observer, "Echo", bytesOf("x"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no link definition"), std::string::npos);
  EXPECT_FALSE(host_->removeLink(observer, kContract, "default"));
}

TEST_F(ProviderHostTest, ReplacingLinkValuesRebindsTheActor) {
  const std::string actor = startActor({std::string(kContract)});
  const std::string provider = startProvider();
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {{"V", "1"}}}));
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {{"V", "2"}}}));
  EXPECT_EQ(decodeBindings(bindings(actor))[actor].at("V"), "2");
}

TEST_F(ProviderHostTest, ProviderCallsActorsThroughTheDispatcher) {
  const std::string actor = startActor({std::string(kContract)});
  const std::string provider = startProvider();
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {}}));
  codec::Writer w;
  w.mapHeader(3).str("actor").str(actor).str("operation").str("Echo").str("payload").bin(bytesOf("round trip"));
  // actor → provider → (dispatcher) → actor's Echo, on another pooled instance.
  auto r = actorCalls(actor, "CallActor", w.take());
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(textOf(*r), "round trip");

  codec::Writer missing;
  missing.mapHeader(3).str("actor").str("MNOTRUNNING").str("operation").str("Echo").str("payload").bin(Bytes{});
  auto err = actorCalls(actor, "CallActor", missing.take());
  ASSERT_FALSE(err);
  EXPECT_NE(err.error().message.find("MNOTRUNNING is not running"), std::string::npos) << err.error().message;
}

TEST_F(ProviderHostTest, ProviderErrorsAndGarbageReachTheActorAndTheHostKeepsServing) {
  const std::string actor = startActor({std::string(kContract)});
  const std::string provider = startProvider();
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {}}));
  auto failed = actorCalls(actor, "Fail", bytesOf("on purpose"));
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("requested failure: on purpose"), std::string::npos)
      << failed.error().message;
  auto garbage = actorCalls(actor, "Garbage", {});  // opaque bytes pass through to the actor unchanged
  ASSERT_TRUE(garbage);
  EXPECT_EQ(*garbage, (Bytes{0xc1, 0xff, 0x00, 0x13}));
  auto unknown = actorCalls(actor, "NoSuchOp", {});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("no operation 'NoSuchOp'"), std::string::npos);
  auto still = actorCalls(actor, "Echo", bytesOf("fine"));
  ASSERT_TRUE(still);
}

TEST_F(ProviderHostTest, ACrashingProviderIsContainedAndMarkedUnhealthy) {
  const std::string actor = startActor({std::string(kContract), "wasmcloud:extras"});
  const std::string provider = startProvider();
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {}}));
  auto crashed = actorCalls(actor, "Crash", {});
  ASSERT_FALSE(crashed);
  EXPECT_NE(crashed.error().message.find("crashed: SIGSEGV"), std::string::npos) << crashed.error().message;

  auto after = actorCalls(actor, "Echo", bytesOf("x"));
  ASSERT_FALSE(after);
  EXPECT_NE(after.error().message.find("crashed"), std::string::npos) << after.error().message;
  auto unhealthy = eventsOf(HostEvent::Kind::kProviderUnhealthy);
  ASSERT_EQ(unhealthy.size(), 1u);
  EXPECT_EQ(unhealthy[0].public_key, provider);

  // The host and its other parts go on.
  auto echo = host_->callActor(actor, "Echo", bytesOf("alive"));
  ASSERT_TRUE(echo);
  EXPECT_EQ(textOf(*echo), "alive");
  EXPECT_TRUE(host_->stopProvider(provider, "default"));
}

TEST_F(ProviderHostTest, HealthChecksReportUnhealthyProvidersAndRecovery) {
  const std::string actor = startActor({std::string(kContract)});
  const std::string provider = startProvider();
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {}}));
  auto states = host_->checkProviderHealth();
  for (const auto& p : states) EXPECT_TRUE(p.healthy) << p.public_key << ": " << p.health_message;

  ASSERT_TRUE(actorCalls(actor, "SetHealthy", bytesOf("0")));
  states = host_->checkProviderHealth();
  auto it = std::find_if(states.begin(), states.end(), [&](const auto& p) { return p.public_key == provider; });
  ASSERT_NE(it, states.end());
  EXPECT_FALSE(it->healthy);
  EXPECT_EQ(it->health_message, "told to be unhealthy");
  ASSERT_EQ(eventsOf(HostEvent::Kind::kProviderUnhealthy).size(), 1u);

  ASSERT_TRUE(actorCalls(actor, "SetHealthy", bytesOf("1")));
  host_->checkProviderHealth();
  EXPECT_EQ(eventsOf(HostEvent::Kind::kProviderHealthy).size(), 1u);
}

TEST_F(ProviderHostTest, PeriodicHealthChecksRunOnTheirOwn) {
  std::atomic<int> unhealthy{0};
  auto built = HostBuilder()
                   .withProviderHealthInterval(std::chrono::milliseconds(20))
                   .withEventListener([&](const HostEvent& e) {
                     if (e.kind == HostEvent::Kind::kProviderUnhealthy) ++unhealthy;
                   })
                   .build();
  ASSERT_TRUE(built);
  auto& host = **built;
  std::string actor_id;
  ASSERT_TRUE(host.startActor(signActor(actor_, {.name = "a", .caps = {std::string(kContract)}}, &actor_id)));
  auto claims = providerClaims();
  ASSERT_TRUE(host.startProviderFromLibrary(kTestProvider, claims));
  ASSERT_TRUE(host.setLink({actor_id, claims.subject, std::string(kContract), "default", {}}));
  ASSERT_TRUE(host.callActor(actor_id, "HostCall", hostCallPayload("", kContract, "SetHealthy", bytesOf("0"))));
  for (int i = 0; i < 200 && unhealthy.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(unhealthy.load(), 1);
}

TEST_F(ProviderHostTest, BindFailuresAreReportedAndTheLinkStays) {
  const std::string actor = startActor({std::string(kContract)});
  const std::string provider = startProvider();
  ASSERT_TRUE(host_->setLink({actor, provider, std::string(kContract), "default", {{"REFUSE", "1"}}}));
  auto failed = eventsOf(HostEvent::Kind::kBindFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].message.find("told to refuse the bind"), std::string::npos) << failed[0].message;
  EXPECT_EQ(host_->links().size(), 1u);
}

TEST_F(ProviderHostTest, LoaderRefusesLibrariesThatAreNotUsableProviders) {
  auto missing = host_->startProviderFromLibrary(kProviderDir + "/no_such_library.so", providerClaims());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("cannot load provider library"), std::string::npos);

  auto not_provider = host_->startProviderFromLibrary(kProviderDir + "/libnot_a_provider.so", providerClaims());
  ASSERT_FALSE(not_provider);
  EXPECT_NE(not_provider.error().message.find("is not a capability provider: it exports neither"), std::string::npos)
      << not_provider.error().message;

  auto abi = host_->startProviderFromLibrary(kProviderDir + "/libstratus_test_provider_abi99.so", providerClaims());
  ASSERT_FALSE(abi);
  EXPECT_NE(abi.error().message.find("ABI version 99 does not match"), std::string::npos) << abi.error().message;

  auto no_create = host_->startProviderFromLibrary(kProviderDir + "/libstratus_test_provider_fail_create.so",
                                                   providerClaims());
  ASSERT_FALSE(no_create);
  EXPECT_NE(no_create.error().message.find("returned no provider"), std::string::npos);

  // A file that is not a shared object at all (e.g. the wrong architecture or a text file).
  auto not_elf = host_->startProviderFromLibrary(STRATUS_SOURCE_DIR "/README.md", providerClaims());
  ASSERT_FALSE(not_elf);
  EXPECT_NE(not_elf.error().message.find("cannot load provider library"), std::string::npos);

  auto wrong_contract = host_->startProviderFromLibrary(kTestProvider, providerClaims("wasmcloud:keyvalue"));
  ASSERT_FALSE(wrong_contract);
  EXPECT_NE(wrong_contract.error().message.find("implements 'stratus:test'"), std::string::npos);

  // Only the built-in extras provider runs after all that.
  ASSERT_EQ(host_->providers().size(), 1u);
}

TEST_F(ProviderHostTest, StopThatCrashesOrHangsCannotTakeTheHostDown) {
  const std::string crashing = startProvider(kProviderDir + "/libstratus_test_provider_crash_on_stop.so", "crash");
  const std::string hanging = startProvider(kProviderDir + "/libstratus_test_provider_hang_on_stop.so", "hang");
  const std::string clean = startProvider(kTestProvider, "clean");
  ASSERT_TRUE(host_->stopProvider(crashing, "crash"));
  ASSERT_TRUE(host_->stopProvider(hanging, "hang"));  // its stop sleeps a minute: abandoned after the bound
  ASSERT_TRUE(host_->stopProvider(clean, "clean"));

  // The events say what happened to each.
  auto stopped = eventsOf(HostEvent::Kind::kProviderStopped);
  ASSERT_EQ(stopped.size(), 3u);
  EXPECT_EQ(stopped[0].public_key, crashing);
  EXPECT_NE(stopped[0].message.find("crashed: SIGSEGV"), std::string::npos) << stopped[0].message;
  EXPECT_EQ(stopped[1].public_key, hanging);
  EXPECT_NE(stopped[1].message.find("did not stop within 1000 ms; abandoned"), std::string::npos)
      << stopped[1].message;
  EXPECT_EQ(stopped[2].public_key, clean);
  EXPECT_EQ(stopped[2].message, "");

  // All three are gone and the host still serves.
  EXPECT_EQ(host_->providers().size(), 1u);  // the built-in extras provider
  const std::string actor = startActor({});
  auto echoed = host_->callActor(actor, "Echo", bytesOf("still here"));
  ASSERT_TRUE(echoed) << echoed.error().toString();
  EXPECT_EQ(textOf(*echoed), "still here");
}

TEST_F(ProviderHostTest, BuiltinExtrasAnswersWithWasmCloudsKeysAndCasing) {
  const std::string actor = startActor({"wasmcloud:extras"});
  auto providers = host_->providers();
  ASSERT_EQ(providers.size(), 1u);
  EXPECT_EQ(providers[0].public_key, codec::kExtrasProviderKey);
  EXPECT_EQ(providers[0].contract_id, "wasmcloud:extras");
  ASSERT_TRUE(host_->setLink({actor, std::string(codec::kExtrasProviderKey), "wasmcloud:extras", "default", {}}));

  auto call = [&](std::string_view op, codec::GeneratorRequest req) {
    return actorCalls(actor, op, codec::encode(req), "wasmcloud:extras");
  };
  auto guid = call("RequestGuid", {.guid = true});
  ASSERT_TRUE(guid) << guid.error().toString();
  auto g = codec::decodeGeneratorResult(*guid);
  ASSERT_TRUE(g && g->guid);
  EXPECT_EQ(g->guid->size(), 36u);
  EXPECT_EQ((*g->guid)[14], '4');  // version 4
  auto raw = codec::decode(*guid);
  ASSERT_TRUE(raw->find("sequenceNumber") && raw->find("random_number"));

  for (int i = 0; i < 50; ++i) {
    auto r = call("RequestRandom", {.random = true, .min = 10, .max = 20});
    ASSERT_TRUE(r);
    auto n = codec::decodeGeneratorResult(*r)->random_number;
    EXPECT_GE(n, 10u);
    EXPECT_LT(n, 20u);
  }
  auto bad = call("RequestRandom", {.random = true, .min = 5, .max = 5});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("must be less than max"), std::string::npos);

  for (uint64_t expected = 0; expected < 3; ++expected) {
    auto s = call("RequestSequence", {.sequence = true});
    ASSERT_TRUE(s);
    EXPECT_EQ(codec::decodeGeneratorResult(*s)->sequence_number, expected);
  }
}

class ArchiveHostTest : public ProviderHostTest {
 protected:
  Bytes library() {
    std::ifstream in(kTestProvider, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::string writeArchive(const par::ProviderArchive& archive, const std::string& name) {
    auto bytes = par::writeArchive(archive, true);
    EXPECT_TRUE(bytes) << bytes.error().toString();
    const std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    return path;
  }
  par::ProviderArchive makeArchive() {
    auto issuer = claims::KeyPair::generate(claims::KeyType::kAccount);
    auto subject = claims::KeyPair::generate(claims::KeyType::kService);
    par::ArchiveInfo info;
    info.capid = std::string(kContract);
    info.name = "archived test provider";
    info.vendor = "stratus";
    info.rev = 2;
    auto archive = par::createArchive(info, {{par::currentTarget(), library()}}, *issuer, *subject);
    EXPECT_TRUE(archive) << archive.error().toString();
    return std::move(*archive);
  }
};

TEST_F(ArchiveHostTest, StartsAVerifiedArchiveAndServesCalls) {
  auto archive = makeArchive();
  const std::string path = writeArchive(archive, "good.par.gz");
  auto pk = host_->startProviderFromArchive(path);
  ASSERT_TRUE(pk) << pk.error().toString();
  EXPECT_EQ(*pk, archive.claims.subject);
  const std::string actor = startActor({std::string(kContract)});
  ASSERT_TRUE(host_->setLink({actor, *pk, std::string(kContract), "default", {}}));
  auto r = actorCalls(actor, "Echo", bytesOf("archived"));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(textOf(*r), "archived");
  auto infos = host_->providers();
  auto it = std::find_if(infos.begin(), infos.end(), [&](const auto& p) { return p.public_key == *pk; });
  ASSERT_NE(it, infos.end());
  EXPECT_EQ(it->revision, 2);
  EXPECT_EQ(it->origin, path);
}

TEST_F(ArchiveHostTest, RefusesArchivesWithAWrongHashOrABadSignature) {
  auto archive = makeArchive();
  archive.libraries.begin()->second.push_back(0);  // the library no longer matches its claimed hash
  auto wrong_hash = host_->startProviderFromArchive(writeArchive(archive, "wrong_hash.par.gz"));
  ASSERT_FALSE(wrong_hash);
  EXPECT_EQ(wrong_hash.error().code, ErrorCode::kInvalidClaims);
  EXPECT_NE(wrong_hash.error().message.find("hash"), std::string::npos) << wrong_hash.error().message;

  auto forged = makeArchive();
  auto& token = forged.token;
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
  auto bad_signature = host_->startProviderFromArchive(writeArchive(forged, "forged.par.gz"));
  ASSERT_FALSE(bad_signature);
  EXPECT_EQ(bad_signature.error().code, ErrorCode::kInvalidClaims);

  auto garbage = host_->startProviderFromArchive(STRATUS_SOURCE_DIR "/README.md");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(host_->providers().size(), 1u);  // only extras
}

}  // namespace
}  // namespace stratus::host
