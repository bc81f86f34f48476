// The bus as the one path of every invocation: a bus given to the HostBuilder sees every call — host→actor,
// actor→actor, actor→provider, provider→actor — with an invocation id, the origin host and the caller's claims,
// and only after authorization; and the host keeps its own server key.
#include <gtest/gtest.h>

#include <mutex>
#include <regex>
#include <set>

#include "host/dispatcher.h"
#include "stratus/claims/nkeys.h"
#include "stratus/codec/msgpack.h"
#include "stratus/host/host.h"
#include "support/actors.h"
#include "support/payloads.h"

namespace stratus::host {
namespace {

using stratus::testing::bytesOf;
using stratus::testing::hostCallPayload;
using stratus::testing::loadActor;
using stratus::testing::signActor;
using stratus::testing::textOf;

const std::string kTestProvider = std::string(STRATUS_TEST_PROVIDER_DIR) + "/libstratus_test_provider.so";
constexpr std::string_view kContract = "stratus:test";

// What the recording bus saw of one invocation (copied: the views die with the call).
struct Seen {
  std::string id;
  std::string origin_host;
  EntityKind origin_kind;
  std::string origin;
  EntityKind target_kind;
  std::string target;
  std::string target_contract;
  std::string operation;
  std::string caller_name;  // from the caller's claims; "" when none came along
};

// Records every invocation and hands it to the host's local bus.
class RecordingBus final : public Bus {
 public:
  explicit RecordingBus(Bus& local) : local_(local) {}
  Expected<Bytes> invoke(const Invocation& inv) override {
    {
      std::lock_guard lock(mu_);
      seen_.push_back({inv.id.text(), std::string(inv.origin_host), inv.origin.kind,
                       std::string(inv.origin.public_key), inv.target.kind, std::string(inv.target.public_key),
                       std::string(inv.target.contract_id), std::string(inv.operation),
                       inv.caller_claims ? inv.caller_claims->metadata.name : std::string()});
    }
    return local_.invoke(inv);
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  Bus& local_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

class BusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto built = HostBuilder()
                     .withProviderHealthInterval(std::chrono::milliseconds(0))
                     .withBus([this](const BusContext& context) -> Expected<std::unique_ptr<Bus>> {
                       EXPECT_EQ(context.host_id, context.host_key.publicKey());
                       EXPECT_TRUE(context.host_key.hasSeed()) << "the host keeps its key, so it can sign";
                       auto bus = std::make_unique<RecordingBus>(context.local);
                       bus_ = bus.get();
                       return std::unique_ptr<Bus>(std::move(bus));
                     })
                     .build();
    ASSERT_TRUE(built) << built.error().toString();
    host_ = std::move(*built);
  }

  const Bytes actor_ = loadActor("test_actor");
  std::unique_ptr<Host> host_;
  RecordingBus* bus_ = nullptr;
};

TEST_F(BusTest, EveryKindOfInvocationTravelsTheBusWithItsIdentity) {
  std::string caller, callee;
  ASSERT_TRUE(host_->startActor(signActor(actor_, {.name = "caller", .caps = {std::string(kContract)}}, &caller)));
  ASSERT_TRUE(host_->startActor(signActor(actor_, {.name = "callee", .call_alias = "callee"}, &callee)));
  claims::ProviderClaims pc;
  pc.subject = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
  pc.metadata.capid = std::string(kContract);
  ASSERT_TRUE(host_->startProviderFromLibrary(kTestProvider, pc));
  ASSERT_TRUE(host_->setLink({caller, pc.subject, std::string(kContract), "default", {}}));

  // host → caller → (alias) callee
  ASSERT_TRUE(host_->callActor(caller, "HostCall", hostCallPayload("", "callee", "Echo", bytesOf("a"))));
  // host → caller → provider → callee
  codec::Writer w;
  w.mapHeader(3).str("actor").str(callee).str("operation").str("Echo").str("payload").bin(bytesOf("b"));
  auto round_trip = host_->callActor(caller, "HostCall", hostCallPayload("", kContract, "CallActor", w.take()));
  ASSERT_TRUE(round_trip) << round_trip.error().toString();
  EXPECT_EQ(textOf(*round_trip), "b");

  const auto seen = bus_->seen();
  ASSERT_EQ(seen.size(), 5u);
  const std::regex uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> ids;
  for (const auto& s : seen) {
    EXPECT_TRUE(std::regex_match(s.id, uuid_v4)) << s.id;
    ids.insert(s.id);
    EXPECT_EQ(s.origin_host, host_->id());
  }
  EXPECT_EQ(ids.size(), seen.size()) << "every invocation has an id of its own";

  // The order they reached the bus: outer calls first.
  EXPECT_EQ(seen[0].origin, std::string(kSystemOrigin));
  EXPECT_EQ(seen[0].target, caller);
  EXPECT_EQ(seen[0].caller_name, "");
  EXPECT_EQ(seen[1].origin, caller);
  EXPECT_EQ(seen[1].target, callee) << "the call alias is resolved before the bus";
  EXPECT_EQ(seen[1].caller_name, "caller");
  EXPECT_EQ(seen[2].target, caller);
  EXPECT_EQ(seen[3].origin_kind, EntityKind::kActor);
  EXPECT_EQ(seen[3].target_kind, EntityKind::kCapability);
  EXPECT_EQ(seen[3].target, pc.subject);
  EXPECT_EQ(seen[3].target_contract, kContract);
  EXPECT_EQ(seen[3].caller_name, "caller");
  EXPECT_EQ(seen[4].origin_kind, EntityKind::kCapability);
  EXPECT_EQ(seen[4].origin, pc.subject);
  EXPECT_EQ(seen[4].target, callee);
  EXPECT_EQ(seen[4].caller_name, "") << "providers carry no actor claims";
  EXPECT_EQ(seen[4].operation, "Echo");
}

TEST_F(BusTest, RefusedCallsNeverReachTheBus) {
  std::string caller;
  ASSERT_TRUE(host_->startActor(signActor(actor_, {.name = "nocaps"}, &caller)));
  const size_t before = bus_->seen().size();
  auto no_claim = host_->callActor(caller, "HostCall", hostCallPayload("", kContract, "Echo", {}));
  ASSERT_FALSE(no_claim);
  auto missing = host_->callActor("no-such-alias", "Echo", {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  // Only the outer call of the first attempt went out; its inner call was refused before the bus.
  EXPECT_EQ(bus_->seen().size(), before + 1);
}

TEST(HostIdentityTest, AServerSeedGivesTheHostItsKey) {
  auto key = claims::KeyPair::generate(claims::KeyType::kServer);
  auto host = HostBuilder().withServerSeed(*key->seed()).withBuiltinExtras(false).build();
  ASSERT_TRUE(host) << host.error().toString();
  EXPECT_EQ((*host)->id(), key->publicKey());

  auto account = claims::KeyPair::generate(claims::KeyType::kAccount);
  auto wrong_type = HostBuilder().withServerSeed(*account->seed()).build();
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(wrong_type.error().message.find("not the seed of a server key"), std::string::npos)
      << wrong_type.error().message;
  auto garbage = HostBuilder().withServerSeed("SNnotaseed").build();
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("server seed"), std::string::npos) << garbage.error().message;

  auto fresh = HostBuilder().withBuiltinExtras(false).build();
  ASSERT_TRUE(fresh);
  EXPECT_EQ((*fresh)->id().size(), 56u);
  EXPECT_EQ((*fresh)->id()[0], 'N');
}

TEST(InvocationIdTest, IdsAreVersion4UuidsAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    const std::string text = newInvocationId().text();
    EXPECT_EQ(text[14], '4');
    EXPECT_NE(std::string("89ab").find(text[19]), std::string::npos) << text;
    ids.insert(text);
  }
  EXPECT_EQ(ids.size(), 10000u);
}

}  // namespace
}  // namespace stratus::host
