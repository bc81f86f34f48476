// wasmCloud-style Rust providers in the standalone host, from the provider archives the build packs with
// `stratus par` (tests/providers/CMakeLists.txt), for every rustc on the machine: an actor's calls reach the
// key-value provider through links, and the callback provider calls actors back through the host's dispatcher.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "stratus/host/host.h"
#include "support/actors.h"
#include "support/payloads.h"
#include "support/rust_providers.h"

namespace stratus::host {
namespace {

using stratus::testing::bytesOf;
using stratus::testing::hostCallPayload;
using stratus::testing::loadActor;
using stratus::testing::signActor;
using stratus::testing::textOf;

const std::string kDir = STRATUS_RUST_PROVIDER_DIR;

std::vector<std::string> rustVersions() {
  return stratus::testing::rustProviderVersions(STRATUS_RUST_PROVIDER_VERSIONS);
}

class RustProviderHostTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto built = HostBuilder()
                     .withProviderHealthInterval(std::chrono::milliseconds(0))
                     .withProviderCacheDir(::testing::TempDir() + "/stratus-rust-provider-cache")
                     .build();
    ASSERT_TRUE(built) << built.error().toString();
    host_ = std::move(*built);
  }

  std::string startProvider(const std::string& crate) {
    auto pk = host_->startProviderFromArchive(kDir + "/" + crate + "-" + GetParam() + ".par.gz");
    EXPECT_TRUE(pk) << pk.error().toString();
    return pk ? *pk : std::string();
  }

  std::string startActor(const std::string& cap) {
    auto pk = host_->startActor(signActor(loadActor("test_actor"), {.name = "caller", .caps = {cap}}));
    EXPECT_TRUE(pk) << pk.error().toString();
    return pk ? *pk : std::string();
  }

  Expected<Bytes> hostCall(const std::string& actor, std::string_view ns, std::string_view op, const Bytes& payload) {
    return host_->callActor(actor, "HostCall", hostCallPayload("", ns, op, payload));
  }

  std::unique_ptr<Host> host_;
};

TEST_P(RustProviderHostTest, AnActorUsesTheKeyValueProviderThroughItsLink) {
  const std::string provider = startProvider("kv_provider");
  const std::string actor = startActor("wasmcloud:keyvalue");
  // Not linked: the host refuses before the provider sees anything.
  EXPECT_FALSE(hostCall(actor, "wasmcloud:keyvalue", "Get", nlohmann::json::to_msgpack({{"key", "k"}})));
  ASSERT_TRUE(host_->setLink({actor, provider, "wasmcloud:keyvalue", "default", {{"URL", "memory://"}}}));

  auto set = hostCall(actor, "wasmcloud:keyvalue", "Set",
                      nlohmann::json::to_msgpack({{"key", "k"}, {"value", "v1"}, {"expires", 0}}));
  ASSERT_TRUE(set) << set.error().toString();
  auto got = hostCall(actor, "wasmcloud:keyvalue", "Get", nlohmann::json::to_msgpack({{"key", "k"}}));
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(nlohmann::json::from_msgpack(*got), (nlohmann::json{{"value", "v1"}, {"exists", true}}));
  // The provider's error text reaches the actor.
  auto bad = hostCall(actor, "wasmcloud:keyvalue", "Frobnicate", {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("unsupported operation: Frobnicate"), std::string::npos) << bad.error().message;

  auto infos = host_->providers();
  auto info = std::find_if(infos.begin(), infos.end(), [&](const auto& p) { return p.public_key == provider; });
  ASSERT_NE(info, infos.end());
  EXPECT_EQ(info->contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(info->name, "kv_provider (rustc " + GetParam() + ")");
  EXPECT_TRUE(info->abi.starts_with("Rust ABI (rustc " + GetParam())) << info->abi;

  // Removing the link sends RemoveActor: the provider forgets the actor's store.
  ASSERT_TRUE(host_->removeLink(actor, "wasmcloud:keyvalue", "default"));
  ASSERT_TRUE(host_->setLink({actor, provider, "wasmcloud:keyvalue", "default", {}}));
  got = hostCall(actor, "wasmcloud:keyvalue", "Get", nlohmann::json::to_msgpack({{"key", "k"}}));
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(nlohmann::json::from_msgpack(*got), (nlohmann::json{{"value", ""}, {"exists", false}}));
  ASSERT_TRUE(host_->stopProvider(provider, "default"));
}

TEST_P(RustProviderHostTest, TheProviderCallsActorsThroughTheHostsDispatcher) {
  const std::string provider = startProvider("callback_provider");
  const std::string caller = startActor("stratus:callback");
  const std::string target = startActor("stratus:callback");
  ASSERT_TRUE(host_->setLink({caller, provider, "stratus:callback", "default", {}}));
  for (const char* op : {"Call", "CallFromThread"}) {
    // caller → provider → (Dispatcher::dispatch) → target's Echo → provider → caller.
    auto r = hostCall(caller, "stratus:callback", op,
                      nlohmann::json::to_msgpack({{"actor", target},
                                                  {"operation", "Echo"},
                                                  {"msg", nlohmann::json::binary(bytesOf("round trip"))}}));
    ASSERT_TRUE(r) << op << ": " << r.error().toString();
    EXPECT_EQ(textOf(*r), "round trip");
    // An actor that is not running: the host's error goes to the provider and back.
    auto missing = hostCall(caller, "stratus:callback", op,
                            nlohmann::json::to_msgpack({{"actor", "MNOTRUNNING"},
                                                        {"operation", "Echo"},
                                                        {"msg", nlohmann::json::binary(Bytes{})}}));
    ASSERT_FALSE(missing) << op;
    EXPECT_NE(missing.error().message.find("dispatch to MNOTRUNNING failed: "), std::string::npos)
        << missing.error().message;
    EXPECT_NE(missing.error().message.find("MNOTRUNNING is not running"), std::string::npos)
        << missing.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(Compilers, RustProviderHostTest, ::testing::ValuesIn(rustVersions()),
                         [](const auto& param_info) { return stratus::testing::rustcTestName(param_info.param); });

}  // namespace
}  // namespace stratus::host
