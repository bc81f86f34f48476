// waPC host protocol against the C test actor, for every engine.
#include <gtest/gtest.h>


#include "stratus/engine/engine.h"
#include "stratus/wapc/wapc.h"
#include "support/actors.h"
#include "support/payloads.h"
#include "support/wat.h"
#include "support/engine_params.h"

namespace stratus::wapc {
namespace {

using stratus::testing::bytesOf;
using stratus::testing::hostCallPayload;
using stratus::testing::textOf;

class WapcTest : public ::testing::TestWithParam<engine::Backend> {
 protected:
  void SetUp() override {
    auto engine = engine::createEngine(GetParam());
    ASSERT_TRUE(engine);
    auto module = (*engine)->compile(stratus::testing::loadActor("test_actor"), {.name = "test_actor"});
    ASSERT_TRUE(module) << module.error().toString();
    engine_ = std::move(*engine);
    module_ = std::move(*module);
  }

  std::unique_ptr<WapcInstance> create(WapcOptions options = {}) {
    if (options.instance.call_timeout.count() == 0) options.instance.call_timeout = std::chrono::seconds(10);
    auto inst = WapcInstance::create(module_, std::move(options));
    EXPECT_TRUE(inst) << inst.error().toString();
    return inst ? std::move(*inst) : nullptr;
  }

  std::unique_ptr<engine::Engine> engine_;
  std::shared_ptr<const engine::Module> module_;
};

TEST_P(WapcTest, EchoRoundTrip) {
  auto inst = create();
  ASSERT_TRUE(inst);
  for (size_t size : {0u, 1u, 64u, 70000u}) {
    Bytes payload(size);
    for (size_t i = 0; i < size; ++i) payload[i] = static_cast<uint8_t>(i * 7);
    auto r = inst->call("Echo", payload);
    ASSERT_TRUE(r) << r.error().toString();
    EXPECT_EQ(*r, payload);
  }
}

TEST_P(WapcTest, StartFunctionsRunOnceAndStatePersists) {
  auto inst = create();
  ASSERT_TRUE(inst);
  auto init = inst->call("InitCount", {});
  ASSERT_TRUE(init);
  ASSERT_EQ(init->size(), 4u);
  EXPECT_EQ((*init)[0], 1);
  auto a = inst->call("Count", {});
  auto b = inst->call("Count", {});
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*b)[0], (*a)[0] + 1);
}

TEST_P(WapcTest, GuestErrorsCarryTheGuestText) {
  auto inst = create();
  ASSERT_TRUE(inst);
  auto r = inst->call("Fail", bytesOf("because"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kGuestError);
  EXPECT_EQ(r.error().message, "requested failure: because");
  EXPECT_FALSE(inst->poisoned());

  r = inst->call("NoSuchOp", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kGuestError);
  EXPECT_EQ(r.error().message, "No handler registered for function \"NoSuchOp\"");
}

TEST_P(WapcTest, TrapsPoisonTheInstanceAndNameTheTrap) {
  struct Case {
    const char* op;
    ErrorCode code;
    const char* text;
  };
  for (const Case& c : {Case{"Trap", ErrorCode::kTrap, "unreachable"},
                        Case{"DivZero", ErrorCode::kTrap, "divide by zero"},
                        Case{"OobRead", ErrorCode::kTrap, "out of bounds"},
                        // The C actor's shadow stack (linked --stack-first) runs out below address 0 first.
                        Case{"Recurse", ErrorCode::kTrap, "out of bounds"}}) {
    auto inst = create();
    ASSERT_TRUE(inst);
    auto r = inst->call(c.op, {});
    ASSERT_FALSE(r) << c.op;
    EXPECT_EQ(r.error().code, c.code) << c.op << ": " << r.error().toString();
    EXPECT_NE(r.error().message.find(c.text), std::string::npos) << c.op << ": " << r.error().message;
    EXPECT_TRUE(inst->poisoned()) << c.op;
  }
}

TEST_P(WapcTest, DeadlineStopsARunawayGuest) {
  WapcOptions options;
  options.instance.call_timeout = std::chrono::milliseconds(100);
  auto inst = create(std::move(options));
  ASSERT_TRUE(inst);
  auto r = inst->call("Loop", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded) << r.error().toString();
  EXPECT_TRUE(inst->poisoned());
}

TEST_P(WapcTest, HostCallsReachTheHandlerAndErrorsReachTheGuest) {
  std::vector<std::string> seen;
  WapcOptions options;
  options.host_call = [&](std::string_view binding, std::string_view ns, std::string_view op,
                          std::span<const uint8_t> payload) -> Expected<Bytes> {
    seen.push_back(std::string(binding) + "|" + std::string(ns) + "|" + std::string(op) + "|" +
                   std::string(payload.begin(), payload.end()));
    if (op == "Explode") return fail(ErrorCode::kHostError, "the provider is on fire");
    return bytesOf("reply:" + std::string(payload.begin(), payload.end()));
  };
  auto inst = create(std::move(options));
  ASSERT_TRUE(inst);
  auto r = inst->call("HostCall", hostCallPayload("default", "wasmcloud:keyvalue", "Get", bytesOf("k1")));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(textOf(*r), "reply:k1");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "default|wasmcloud:keyvalue|Get|k1");

  r = inst->call("HostCall", hostCallPayload("", "ns", "Explode", {}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kGuestError);
  EXPECT_EQ(r.error().message, "host call failed: the provider is on fire");
}

TEST_P(WapcTest, OutOfBoundsGuestPointerIsRefused) {
  bool called = false;
  WapcOptions options;
  options.host_call = [&](auto, auto, auto, auto) -> Expected<Bytes> {
    called = true;
    return Bytes{};
  };
  auto inst = create(std::move(options));
  ASSERT_TRUE(inst);
  auto r = inst->call("BadPointer", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOutOfBounds) << r.error().toString();
  EXPECT_FALSE(called) << "the handler must not run with an invalid guest range";
}

TEST_P(WapcTest, ConsoleLogIsRouted) {
  std::vector<std::string> lines;
  WapcOptions options;
  options.console_log = [&](std::string_view line) { lines.emplace_back(line); };
  auto inst = create(std::move(options));
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->call("Log", bytesOf("hello from the guest")));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "hello from the guest");
}

TEST_P(WapcTest, MemoryCapIsEnforced) {
  WapcOptions options;
  options.instance.max_memory_pages = 64;
  auto inst = create(std::move(options));
  ASSERT_TRUE(inst);
  Bytes pages = {200, 0, 0, 0};
  auto r = inst->call("Grow", pages);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(static_cast<int32_t>((*r)[0] | ((*r)[1] << 8) | ((*r)[2] << 16) | ((*r)[3] << 24)), -1);
}

TEST_P(WapcTest, ModuleWithoutGuestCallIsNotWapc) {
  auto m = engine_->compile(stratus::testing::wat2wasm("(module (memory 1))"));
  ASSERT_TRUE(m);
  auto inst = WapcInstance::create(*m, {});
  ASSERT_FALSE(inst);
  EXPECT_EQ(inst.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(inst.error().message.find("__guest_call"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, WapcTest, ::testing::ValuesIn(engine::availableBackends()),
                         stratus::testing::backendParamName);

}  // namespace
}  // namespace stratus::wapc
