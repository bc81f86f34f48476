// Engine conformance tests, run against every compiled backend.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "stratus/engine/engine.h"
#include "support/wat.h"
#include "support/engine_params.h"

namespace stratus::engine {
namespace {

using stratus::testing::wat2wasm;

class EngineTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto e = createEngine(GetParam());
    ASSERT_TRUE(e) << e.error().toString();
    engine_ = std::move(*e);
  }

  std::shared_ptr<const Module> compile(std::string_view wat) {
    auto m = engine_->compile(wat2wasm(wat), {.name = "test.wasm"});
    EXPECT_TRUE(m) << m.error().toString();
    return m ? *m : nullptr;
  }

  std::unique_ptr<Instance> instantiate(const std::shared_ptr<const Module>& m, InstanceOptions options = {},
                                        std::span<const HostFunction> host = {}) {
    auto i = m->instantiate(host, options, nullptr);
    EXPECT_TRUE(i) << i.error().toString();
    return i ? std::move(*i) : nullptr;
  }

  static uint32_t callI32(Instance& inst, std::string_view name, std::vector<Value> args) {
    Value result;
    auto r = inst.call(name, args, std::span<Value>(&result, 1));
    EXPECT_TRUE(r) << r.error().toString();
    return result.i32;
  }

  std::unique_ptr<Engine> engine_;
};

constexpr std::string_view kTraps = R"((module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "unreachable") unreachable)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func $rec (export "recurse") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec)
  (func (export "spin") (loop $l br $l))
  (func $leaf)
  (func (export "spin_calling") (loop $l call $leaf br $l))
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func $fib (export "fib") (param i32) (result i32)
    local.get 0 i32.const 2 i32.lt_u
    if (result i32) local.get 0
    else local.get 0 i32.const 1 i32.sub call $fib local.get 0 i32.const 2 i32.sub call $fib i32.add end))
)";

TEST_P(EngineTest, CallsAnExport) {
  auto inst = instantiate(compile(kTraps));
  ASSERT_TRUE(inst);
  EXPECT_EQ(callI32(*inst, "add", {Value::makeI32(2), Value::makeI32(40)}), 42u);
  EXPECT_EQ(callI32(*inst, "fib", {Value::makeI32(20)}), 6765u);
}

TEST_P(EngineTest, MalformedModuleIsAClearError) {
  const Bytes garbage = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff};
  auto m = engine_->compile(garbage, {.name = "broken.wasm"});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kMalformed);
  EXPECT_NE(m.error().message.find("broken.wasm"), std::string::npos) << m.error().message;

  auto not_wasm = engine_->compile(Bytes{'h', 'e', 'l', 'l', 'o'}, {.name = "hello.txt"});
  ASSERT_FALSE(not_wasm);
  EXPECT_EQ(not_wasm.error().code, ErrorCode::kMalformed);
}

TEST_P(EngineTest, InvalidModuleIsRejected) {
  // Type error: i32.add of an i64.
  auto m = engine_->compile(wat2wasm("(module (func (result i32) i64.const 1 i32.const 1 i32.add))"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kMalformed);
}

TEST_P(EngineTest, TrapsAreNamedAndInstanceStaysUsable) {
  auto inst = instantiate(compile(kTraps));
  ASSERT_TRUE(inst);
  auto r = inst->call("unreachable", {}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTrap);
  EXPECT_NE(r.error().message.find("unreachable"), std::string::npos) << r.error().message;

  Value out;
  std::vector<Value> args = {Value::makeI32(1), Value::makeI32(0)};
  r = inst->call("div", args, std::span<Value>(&out, 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTrap);
  EXPECT_NE(r.error().message.find("divide by zero"), std::string::npos) << r.error().message;

  args = {Value::makeI32(70000)};
  r = inst->call("load", args, std::span<Value>(&out, 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTrap);
  EXPECT_NE(r.error().message.find("out of bounds"), std::string::npos) << r.error().message;

  args = {Value::makeI32(0)};
  r = inst->call("recurse", args, std::span<Value>(&out, 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(r.error().message.find("stack"), std::string::npos) << r.error().message;

  EXPECT_EQ(callI32(*inst, "add", {Value::makeI32(1), Value::makeI32(2)}), 3u);
}

TEST_P(EngineTest, DeadlineInterruptsARunawayLoop) {
  auto m = compile(kTraps);
  auto inst = instantiate(m, {.call_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(inst);
  auto r = inst->call("spin", {}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(r.error().message.find("50 ms"), std::string::npos) << r.error().message;
  // The instance serves the next call.
  EXPECT_EQ(callI32(*inst, "add", {Value::makeI32(5), Value::makeI32(6)}), 11u);
  r = inst->call("spin", {}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
}

TEST_P(EngineTest, DeadlineInterruptsALoopCheckedOnlyInItsCallee) {
  auto inst = instantiate(compile(kTraps), {.call_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(inst);
  auto r = inst->call("spin_calling", {}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
}

TEST_P(EngineTest, InterruptFromAnotherThreadStopsTheCall) {
  auto inst = instantiate(compile(kTraps));
  ASSERT_TRUE(inst);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    inst->interrupt();
  });
  auto r = inst->call("spin", {}, {});
  stopper.join();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded);
}

TEST_P(EngineTest, MemoryCapLimitsGrowth) {
  auto m = compile(kTraps);
  auto inst = instantiate(m, {.max_memory_pages = 4});
  ASSERT_TRUE(inst);
  EXPECT_EQ(callI32(*inst, "grow", {Value::makeI32(3)}), 1u);  // 1 -> 4 pages
  EXPECT_EQ(static_cast<int32_t>(callI32(*inst, "grow", {Value::makeI32(1)})), -1);
  EXPECT_EQ(inst->memory().size(), 4 * kWasmPageSize);

  auto big = compile("(module (memory 10))");
  auto too_small = big->instantiate({}, {.max_memory_pages = 4}, nullptr);
  ASSERT_FALSE(too_small);
  EXPECT_EQ(too_small.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(too_small.error().message.find("10 initial memory pages"), std::string::npos);
}

// wabt 1.0.32 returns success from a call that exhausted the stack inside call_indirect (with the trap set).
TEST_P(EngineTest, RecursionThroughATableExhaustsTheStack) {
  auto inst = instantiate(compile(R"((module
    (type $proc (func))
    (table funcref (elem $runaway $m1 $m2))
    (func $runaway (export "runaway") (call_indirect (type $proc) (i32.const 0)))
    (func $m1 (export "mutual") (call_indirect (type $proc) (i32.const 2)))
    (func $m2 (call_indirect (type $proc) (i32.const 1)))
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)))"));
  ASSERT_TRUE(inst);
  for (const char* fn : {"runaway", "mutual"}) {
    auto r = inst->call(fn, {}, {});
    ASSERT_FALSE(r) << fn;
    EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << fn << ": " << r.error().toString();
  }
  EXPECT_EQ(callI32(*inst, "add", {Value::makeI32(2), Value::makeI32(3)}), 5u);
}

// Found by the spec suite: aot crashed calling an import through a table (wasm2c 1.0.32 hands such calls the
// address of the import-context field), interp crashed calling an export that re-exports an import.
TEST_P(EngineTest, ImportsWorkThroughTablesAndReExports) {
  auto m = compile(R"((module
    (type $t (func (param i32) (result i32)))
    (import "env" "twice" (func $twice (type $t)))
    (table 2 funcref)
    (elem (i32.const 0) $twice $inc)
    (func $inc (type $t) local.get 0 i32.const 1 i32.add)
    (func (export "via_table") (param i32 i32) (result i32) local.get 1 local.get 0 call_indirect (type $t))
    (export "twice" (func $twice))))");
  int calls = 0;
  std::vector<HostFunction> host = {
      {"env", "twice", {{ValueType::kI32}, {ValueType::kI32}},
       [&](HostContext& ctx, std::span<const Value> args, std::span<Value> results) -> Expected<void> {
         ++calls;
         EXPECT_EQ(ctx.userData(), nullptr);
         results[0] = Value::makeI32(args[0].i32 * 2);
         return ok();
       }}};
  auto inst = instantiate(m, {}, host);
  ASSERT_TRUE(inst);
  EXPECT_EQ(callI32(*inst, "via_table", {Value::makeI32(0), Value::makeI32(21)}), 42u);
  EXPECT_EQ(callI32(*inst, "via_table", {Value::makeI32(1), Value::makeI32(21)}), 22u);
  EXPECT_EQ(callI32(*inst, "twice", {Value::makeI32(8)}), 16u);
  EXPECT_EQ(calls, 2);
}

TEST_P(EngineTest, HostFunctionsReceiveArgumentsAndMemory) {
  auto m = compile(R"((module
    (import "env" "sum" (func $sum (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "hello")
    (func (export "run") (param i32 i32) (result i32) local.get 0 local.get 1 call $sum)))");
  std::string seen;
  std::vector<HostFunction> host = {
      {"env", "sum", {{ValueType::kI32, ValueType::kI32}, {ValueType::kI32}},
       [&](HostContext& ctx, std::span<const Value> args, std::span<Value> results) -> Expected<void> {
         auto bytes = ctx.memory().read(args[0].i32, args[1].i32);
         if (!bytes) return fail(bytes.takeError());
         seen.assign(bytes->begin(), bytes->end());
         results[0] = Value::makeI32(static_cast<uint32_t>(seen.size()));
         return ok();
       }}};
  auto inst = instantiate(m, {}, host);
  ASSERT_TRUE(inst);
  EXPECT_EQ(callI32(*inst, "run", {Value::makeI32(16), Value::makeI32(5)}), 5u);
  EXPECT_EQ(seen, "hello");

  // A pointer past the end, and one whose length wraps around 2^32: refused, host memory untouched.
  for (auto [ptr, len] : {std::pair<uint32_t, uint32_t>{65530, 10}, {0xFFFFFFF0u, 0x20u}}) {
    Value out;
    std::vector<Value> args = {Value::makeI32(ptr), Value::makeI32(len)};
    auto r = inst->call("run", args, std::span<Value>(&out, 1));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kOutOfBounds) << r.error().toString();
  }
  EXPECT_EQ(callI32(*inst, "run", {Value::makeI32(16), Value::makeI32(2)}), 2u);
}

TEST_P(EngineTest, HostErrorTrapsTheGuestWithItsMessage) {
  auto m = compile(R"((module (import "env" "boom" (func $boom)) (func (export "run") call $boom)))");
  std::vector<HostFunction> host = {{"env", "boom", {}, [](HostContext&, auto, auto) -> Expected<void> {
                                       return fail(ErrorCode::kHostError, "provider exploded");
                                     }}};
  auto inst = instantiate(m, {}, host);
  ASSERT_TRUE(inst);
  auto r = inst->call("run", {}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kHostError);
  EXPECT_EQ(r.error().message, "provider exploded");
}

TEST_P(EngineTest, StartFunctionSeesMemoryAndItsTrapFailsInstantiation) {
  auto m = compile(R"((module (import "env" "size" (func $size)) (memory (export "memory") 1)
                       (func $start call $size) (start $start)))");
  uint64_t seen = 0;
  std::vector<HostFunction> host = {{"env", "size", {}, [&](HostContext& ctx, auto, auto) -> Expected<void> {
                                       seen = ctx.memory().size();
                                       return ok();
                                     }}};
  ASSERT_TRUE(instantiate(m, {}, host));
  EXPECT_EQ(seen, kWasmPageSize);

  auto trapping = compile(R"((module (func $start unreachable) (start $start)))");
  auto r = trapping->instantiate({}, {}, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTrap);
  EXPECT_NE(r.error().message.find("unreachable"), std::string::npos) << r.error().message;
}

TEST_P(EngineTest, UnresolvedOrMismatchedImportsAreNamed) {
  auto m = compile(R"((module (import "env" "missing" (func (param i32)))))");
  auto r = m->instantiate({}, {}, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("env.missing"), std::string::npos) << r.error().message;

  std::vector<HostFunction> wrong = {{"env", "missing", {{ValueType::kI64}, {}}, nullptr}};
  r = m->instantiate(wrong, {}, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("(i32) -> ()"), std::string::npos) << r.error().message;
}

TEST_P(EngineTest, ListsImportsAndExports) {
  auto m = compile(kTraps);
  bool has_memory = false, has_add = false;
  for (const auto& e : m->exports()) {
    has_memory |= e.name == "memory" && e.kind == ExternKind::kMemory;
    if (e.name == "add") {
      has_add = true;
      EXPECT_EQ(toString(e.type), "(i32, i32) -> (i32)");
    }
    EXPECT_EQ(e.name.find("__stratus"), std::string::npos) << "internal export leaked: " << e.name;
  }
  EXPECT_TRUE(has_memory);
  EXPECT_TRUE(has_add);
}

TEST_P(EngineTest, InstancesOfOneModuleRunOnManyThreads) {
  auto m = compile(kTraps);
  constexpr int kThreads = 4;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto inst = m->instantiate({}, {.call_timeout = std::chrono::milliseconds(5000)}, nullptr);
      if (!inst) return;
      for (int i = 0; i < 50; ++i) {
        Value out;
        std::vector<Value> args = {Value::makeI32(15 + (t % 3))};
        if ((*inst)->call("fib", args, std::span<Value>(&out, 1)) &&
            out.i32 == (t % 3 == 0 ? 610u : t % 3 == 1 ? 987u : 1597u)) {
          ++good;
        }
        if (i % 10 == 0) (void)(*inst)->call("unreachable", {}, {});
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), kThreads * 50);
}

TEST(MemoryViewTest, ChecksBoundsWithoutWrapping) {
  uint8_t buf[16] = {};
  MemoryView view(buf, sizeof buf);
  EXPECT_TRUE(view.span(0, 16));
  EXPECT_TRUE(view.span(16, 0));
  EXPECT_FALSE(view.span(16, 1));
  EXPECT_FALSE(view.span(0xFFFFFFFF, 2));
  EXPECT_FALSE(view.write(10, Bytes(7, 1)));
  EXPECT_EQ(buf[10], 0) << "a refused write must not write a partial prefix";
  EXPECT_TRUE(view.write(10, Bytes(6, 1)));
  EXPECT_EQ(buf[15], 1);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, EngineTest, ::testing::ValuesIn(availableBackends()),
                         stratus::testing::backendParamName);

}  // namespace
}  // namespace stratus::engine
