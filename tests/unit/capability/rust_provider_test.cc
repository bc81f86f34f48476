// The seeds' Rust provider ABI: Rust providers built here by every rustc on the machine (Debian's 1.63, rustup's
// 1.95), and a C stand-in for the binaries of rustc before 1.56, loaded through NativeProvider as the host loads
// them. Payloads are built and read with nlohmann's MessagePack, not stratus's codec; the providers decode them
// with MessagePack of their own (tests/providers/rust/wascc_codec.rs).
#include <gtest/gtest.h>
#include <malloc.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "stratus/capability/native_provider.h"
#include "support/payloads.h"
#include "support/rust_providers.h"

namespace stratus::capability {
namespace {

using stratus::testing::bytesOf;
using stratus::testing::textOf;

const std::string kDir = STRATUS_RUST_PROVIDER_DIR;
const std::string kTestProviderDir = STRATUS_TEST_PROVIDER_DIR;
constexpr const char* kActor = "MB2ZQB6ROOMAYBO4ZCTFYWN7YIVBWA3MTKZYAQKJMGIHE2A7WGASTAMPLE";

std::vector<std::string> rustVersions() {
  return stratus::testing::rustProviderVersions(STRATUS_RUST_PROVIDER_VERSIONS);
}

Bytes pack(const nlohmann::json& j) { return nlohmann::json::to_msgpack(j); }
nlohmann::json unpack(const Bytes& b) { return nlohmann::json::from_msgpack(b); }

std::unique_ptr<NativeProvider> load(const std::string& path, const std::string& capid) {
  auto p = NativeProvider::load(path, {capid, "test"});
  EXPECT_TRUE(p) << p.error().toString();
  return p ? std::move(*p) : nullptr;
}

// The host side of a dispatcher: Echo answers "echo:" + the payload; anything else fails.
Expected<void> configureEchoDispatch(NativeProvider& p) {
  return p.configureDispatch(
      [](std::string_view actor, std::string_view op, std::span<const uint8_t> msg) -> Expected<Bytes> {
        if (op != "Echo") return fail(ErrorCode::kNotFound, "actor " + std::string(actor) + " has no operation " +
                                                                std::string(op));
        Bytes out = bytesOf("echo:");
        out.insert(out.end(), msg.begin(), msg.end());
        return out;
      },
      nullptr);
}

Bytes bind(const std::string& actor) { return pack({{"module", actor}, {"values", nlohmann::json::object()}}); }

TEST(RustProviderBuild, BothCompilersOfThisMachineBuiltTheTestProviders) {
  // install-deps.sh --test installs Debian's rustc; the machine image brings rustup's.
  auto versions = rustVersions();
  EXPECT_NE(std::find(versions.begin(), versions.end(), "1.63.0"), versions.end())
      << "Debian's rustc 1.63 did not build the test providers (scripts/install-deps.sh --test installs it)";
  EXPECT_GE(versions.size(), 1u);
}

class RustProviderTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string kv() const { return kDir + "/libkv_provider-" + GetParam() + ".so"; }
  std::string callback() const { return kDir + "/libcallback_provider-" + GetParam() + ".so"; }
};

TEST_P(RustProviderTest, LoadsWithTheLayoutOfItsCompiler) {
  auto p = load(kv(), "wasmcloud:keyvalue");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->abi(), ProviderAbi::kRust);
  EXPECT_EQ(p->capabilityId(), "wasmcloud:keyvalue");
  const std::string d = p->abiDescription();
  EXPECT_NE(d.find("rustc " + GetParam()), std::string::npos) << d;
  if (GetParam() == "1.63.0") {
    EXPECT_NE(d.find("supertrait methods first with vptrs, 32-byte tagged Result"), std::string::npos) << d;
  } else if (GetParam() == "1.95.0") {
    EXPECT_NE(d.find("supertrait methods first, 24-byte niche Result"), std::string::npos) << d;
  }
  ASSERT_TRUE(p->stop());
}

TEST_P(RustProviderTest, KeyValueOperationsWithWasmCloudMessages) {
  auto p = load(kv(), "wasmcloud:keyvalue");
  ASSERT_TRUE(p);
  ASSERT_TRUE(configureEchoDispatch(*p));

  auto health = p->call("system", "HealthRequest", pack({{"placeholder", true}}));
  ASSERT_TRUE(health) << health.error().toString();
  EXPECT_EQ(unpack(*health), (nlohmann::json{{"healthy", true}, {"message", ""}}));

  // Not bound yet: the provider's error message comes back through its Display.
  auto unbound = p->call(kActor, "Get", pack({{"key", "k"}}));
  ASSERT_FALSE(unbound);
  EXPECT_EQ(unbound.error().code, ErrorCode::kHostError);
  EXPECT_EQ(unbound.error().message, std::string("actor ") + kActor + " is not bound to this provider");

  ASSERT_TRUE(p->call("system", "BindActor", bind(kActor)));
  auto set = p->call(kActor, "Set", pack({{"key", "greeting"}, {"value", "héllo"}, {"expires", 0}}));
  ASSERT_TRUE(set) << set.error().toString();
  EXPECT_EQ(unpack(*set), (nlohmann::json{{"value", "héllo"}}));
  auto got = p->call(kActor, "Get", pack({{"key", "greeting"}}));
  ASSERT_TRUE(got) << got.error().toString();
  EXPECT_EQ(unpack(*got), (nlohmann::json{{"value", "héllo"}, {"exists", true}}));
  for (int i = 1; i <= 3; ++i) {
    auto added = p->call(kActor, "Add", pack({{"key", "n"}, {"value", 5}}));
    ASSERT_TRUE(added) << added.error().toString();
    EXPECT_EQ(unpack(*added)["value"], 5 * i);
  }
  auto del = p->call(kActor, "Del", pack({{"key", "greeting"}}));
  ASSERT_TRUE(del) << del.error().toString();
  EXPECT_EQ(unpack(*del), (nlohmann::json{{"key", "greeting"}}));
  got = p->call(kActor, "Get", pack({{"key", "greeting"}}));
  ASSERT_TRUE(got);
  EXPECT_EQ(unpack(*got), (nlohmann::json{{"value", ""}, {"exists", false}}));

  auto unknown = p->call(kActor, "Frobnicate", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "unsupported operation: Frobnicate");
  auto garbage = p->call(kActor, "Get", bytesOf("\xc1"));
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("field 'key'"), std::string::npos) << garbage.error().message;

  ASSERT_TRUE(p->call("system", "RemoveActor", bind(kActor)));
  EXPECT_FALSE(p->call(kActor, "Get", pack({{"key", "n"}})));
  ASSERT_TRUE(p->stop());
  auto after = p->call(kActor, "Get", pack({{"key", "n"}}));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kUnavailable);
}

TEST_P(RustProviderTest, CallsActorsBackThroughTheHostsDispatcher) {
  auto p = load(callback(), "stratus:callback");
  ASSERT_TRUE(p);
  ASSERT_TRUE(configureEchoDispatch(*p));
  for (const char* op : {"Call", "CallFromThread"}) {
    auto reply = p->call(kActor, op, pack({{"actor", kActor}, {"operation", "Echo"},
                                           {"msg", nlohmann::json::binary({1, 2, 3})}}));
    ASSERT_TRUE(reply) << op << ": " << reply.error().toString();
    EXPECT_EQ(*reply, (Bytes{'e', 'c', 'h', 'o', ':', 1, 2, 3})) << op;
    // An empty reply crosses as an empty Vec (capacity 0, dangling pointer).
    auto empty = p->call(kActor, op, pack({{"actor", kActor}, {"operation", "Echo"},
                                           {"msg", nlohmann::json::binary({})}}));
    ASSERT_TRUE(empty) << empty.error().toString();
    EXPECT_EQ(textOf(*empty), "echo:");
    // The host's error reaches the provider, which formats it with `{}`, and comes back in the provider's error.
    auto failed = p->call(kActor, op, pack({{"actor", kActor}, {"operation", "Nope"},
                                            {"msg", nlohmann::json::binary({})}}));
    ASSERT_FALSE(failed) << op;
    EXPECT_EQ(failed.error().message, std::string("dispatch to ") + kActor + " failed: actor " + kActor +
                                          " has no operation Nope")
        << op;
  }
  auto count = p->call(kActor, "Dispatches", {});
  ASSERT_TRUE(count);
  EXPECT_EQ(textOf(*count), "4");
  ASSERT_TRUE(p->stop());
}

// Every buffer that crosses the boundary is freed by the side that must free it: the heap in use is the same
// after thousands of calls through every path (Ok and Err both ways, provider and host threads).
TEST_P(RustProviderTest, NothingLeaksAcrossTheBoundary) {
  auto kv_provider = load(kv(), "wasmcloud:keyvalue");
  auto cb = load(callback(), "stratus:callback");
  ASSERT_TRUE(kv_provider && cb);
  ASSERT_TRUE(configureEchoDispatch(*kv_provider));
  ASSERT_TRUE(configureEchoDispatch(*cb));
  ASSERT_TRUE(kv_provider->call("system", "BindActor", bind(kActor)));
  const Bytes set = pack({{"key", "k"}, {"value", std::string(300, 'v')}, {"expires", 0}});
  const Bytes get = pack({{"key", "k"}});
  const Bytes call_ok = pack({{"actor", kActor}, {"operation", "Echo"}, {"msg", nlohmann::json::binary(Bytes(200, 7))}});
  const Bytes call_err = pack({{"actor", kActor}, {"operation", "Nope"}, {"msg", nlohmann::json::binary({})}});
  auto round = [&] {
    ASSERT_TRUE(kv_provider->call(kActor, "Set", set));
    ASSERT_TRUE(kv_provider->call(kActor, "Get", get));
    ASSERT_FALSE(kv_provider->call(kActor, "Nope", {}));
    ASSERT_TRUE(cb->call(kActor, "Call", call_ok));
    ASSERT_FALSE(cb->call(kActor, "Call", call_err));
  };
  for (int i = 0; i < 200; ++i) round();  // warm up: allocator caches, the maps' first growth
  const size_t before = mallinfo2().uordblks;
  for (int i = 0; i < 4000; ++i) round();
  const size_t after = mallinfo2().uordblks;
  // 20,000 calls moving ~400 bytes each way: a leak of even one buffer per call would be megabytes.
  EXPECT_LT(after, before + 64 * 1024) << "heap in use grew from " << before << " to " << after << " bytes";
  ASSERT_TRUE(kv_provider->stop());
  ASSERT_TRUE(cb->stop());
}

INSTANTIATE_TEST_SUITE_P(Compilers, RustProviderTest, ::testing::ValuesIn(rustVersions()),
                         [](const auto& param_info) { return stratus::testing::rustcTestName(param_info.param); });

// ---- rustc before 1.56, as every real wasmCloud 0.18 provider -----------------------------------------------------

TEST(RustPre156Provider, LoadsWithTheOwnMethodsFirstLayoutAndServes) {
  auto p = load(kDir + "/librust_fixture_1_48.so", "examples:payments");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->abiDescription(), "Rust ABI (rustc 1.48.0: own methods first (before 1.56), 32-byte tagged Result)");
  ASSERT_TRUE(configureEchoDispatch(*p));
  ASSERT_TRUE(p->call("system", "BindActor", bind(kActor)));
  auto bound = p->call("system", "Bound", {});
  ASSERT_TRUE(bound);
  EXPECT_EQ(textOf(*bound), "1");
  auto echo = p->call(kActor, "Echo", bytesOf("payload"));
  ASSERT_TRUE(echo);
  EXPECT_EQ(textOf(*echo), "payload");
  auto called = p->call(kActor, "Call", bytesOf(std::string(kActor) + "\nEcho\nhi"));
  ASSERT_TRUE(called) << called.error().toString();
  EXPECT_EQ(textOf(*called), "echo:hi");
  auto failed = p->call(kActor, "Call", bytesOf(std::string(kActor) + "\nNope\n"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message,
            std::string("dispatch to ") + kActor + " failed: actor " + kActor + " has no operation Nope");
  auto unknown = p->call(kActor, "AuthorizePayment", {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "unsupported operation: AuthorizePayment");
  ASSERT_TRUE(p->call("system", "RemoveActor", bind(kActor)));
  ASSERT_TRUE(p->stop());
}

// ---- Telling the ABIs apart, and refusing what is not recognised ---------------------------------------------------

TEST(ProviderAbiDetection, CProvidersLoadUnderEitherEntryName) {
  for (const char* lib : {"libstratus_test_provider.so", "libstratus_test_provider_legacy_entry.so"}) {
    auto p = NativeProvider::load(kTestProviderDir + "/" + lib);
    ASSERT_TRUE(p) << lib << ": " << p.error().toString();
    EXPECT_EQ((*p)->abi(), ProviderAbi::kC) << lib;
    EXPECT_EQ((*p)->abiDescription(), "C ABI v1");
    EXPECT_EQ((*p)->capabilityId(), "stratus:test");
  }
}

TEST(ProviderAbiDetection, RefusesWhatItCannotDriveNamingWhy) {
  auto expectRefused = [](const std::string& path, const std::string& capid, const std::string& needle) {
    auto p = NativeProvider::load(path, {capid, ""});
    ASSERT_FALSE(p) << path;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(p.error().message.find(needle), std::string::npos) << p.error().message;
    EXPECT_NE(p.error().message.find(path), std::string::npos) << p.error().message;
  };
  expectRefused(kTestProviderDir + "/libnot_a_provider.so", "x:y",
                "exports neither 'stratus_provider_create' (stratus's C ABI) nor '__capability_provider_create'");
  expectRefused(kDir + "/librust_fixture_1_48.so", "",
                "is a Rust provider, which does not name its capability: load it from a provider archive");
  expectRefused(kDir + "/librust_fixture_unknown_version.so", "x:y",
                "built by rustc 2.1.0, whose trait-object layout is not one stratus knows");
  expectRefused(kDir + "/librust_fixture_unknown_commit.so", "x:y",
                "name rustc commit 0123456789abcdef0123456789abcdef01234567, which is not a release known");
  // Says 1.95, but has the vtable of older compilers: where 1.95 puts handle_call, this binary has stop, which
  // writes no Result. The probe catches it before any real call.
  expectRefused(kDir + "/librust_fixture_mislabelled.so", "x:y",
                "built by rustc 1.95.0, but its HealthRequest (vtable slot 5) wrote no Result");
}

}  // namespace
}  // namespace stratus::capability
