// Tests specific to the aot backend (wasm2c + C compiler): its runtime's per-thread trap state, stack overflow,
// address-space hygiene, deadlines in tight loops, nesting, signal handler coexistence, and codegen edge cases.
// The shared engine conformance suite (engine_test.cc) runs on aot too.
#include <gtest/gtest.h>

#include <pthread.h>
#include <sys/stat.h>

#include <atomic>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "capability/fault_guard.h"
#include "engine/aot/codegen.h"
#include "engine/aot/toolchain.h"
#include "stratus/engine/aot.h"
#include "support/wat.h"

namespace stratus::engine {
namespace {

using stratus::testing::wat2wasm;

constexpr std::string_view kModule = R"((module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func $rec (export "recurse") (param i32) (result i32) local.get 0 i32.const 1 i32.add call $rec)
  (func $deep (export "deep") (param i32) (result i32)
    local.get 0 i32.eqz
    if (result i32) i32.const 0
    else local.get 0 i32.const 1 i32.sub call $deep i32.const 1 i32.add end)
  (func (export "tight") (loop $l br $l))
  (func (export "count") (param i32) (result i32)
    (loop $l local.get 0 i32.const 1 i32.add local.set 0 br $l) local.get 0)
  (func (export "fib") (param i32) (result i32)
    (local i32 i32 i32)
    i32.const 0 local.set 1 i32.const 1 local.set 2
    (block $done (loop $l
      local.get 0 i32.eqz br_if $done
      local.get 1 local.get 2 i32.add local.set 3
      local.get 2 local.set 1 local.get 3 local.set 2
      local.get 0 i32.const 1 i32.sub local.set 0 br $l))
    local.get 1))
)";

bool aotAvailable() { return aot::defaultCompilerAvailable(); }

class AotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!aotAvailable()) GTEST_SKIP() << "no C compiler";
    auto e = createAotEngine();
    ASSERT_TRUE(e) << e.error().toString();
    engine_ = std::move(*e);
  }

  std::shared_ptr<const Module> compile(std::string_view wat) {
    auto m = engine_->compile(wat2wasm(wat), {.name = "aot.wasm"});
    EXPECT_TRUE(m) << m.error().toString();
    return m ? *m : nullptr;
  }

  static std::unique_ptr<Instance> instantiate(const std::shared_ptr<const Module>& m, InstanceOptions options = {},
                                               std::span<const HostFunction> host = {}, void* user_data = nullptr) {
    auto i = m->instantiate(host, options, user_data);
    EXPECT_TRUE(i) << i.error().toString();
    return i ? std::move(*i) : nullptr;
  }

  static Expected<uint32_t> callI32(Instance& inst, std::string_view name, std::vector<Value> args) {
    Value result;
    auto r = inst.call(name, args, std::span<Value>(&result, 1));
    if (!r) return fail(r.takeError());
    return result.i32;
  }

  std::unique_ptr<Engine> engine_;
};

TEST_F(AotTest, TrapsOnTwoThreadsAtOnceAreEachReportedCorrectly) {
  auto m = compile(kModule);
  ASSERT_TRUE(m);
  constexpr int kThreads = 2;
  constexpr int kTraps = 500;
  std::atomic<int> good_traps{0};
  std::atomic<int> good_calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto inst = m->instantiate({}, {}, nullptr);
      if (!inst) return;
      for (int i = 0; i < kTraps; ++i) {
        auto r = callI32(**inst, "load", {Value::makeI32(70000u + static_cast<uint32_t>(i))});
        std::string expected = "out of bounds memory access: access at ";
        expected += std::to_string(70000 + i);
        if (!r && r.error().code == ErrorCode::kTrap && r.error().message.find(expected) == 0) {
          ++good_traps;
        }
        auto sum = callI32(**inst, "add", {Value::makeI32(static_cast<uint32_t>(t)), Value::makeI32(i)});
        if (sum && *sum == static_cast<uint32_t>(t + i)) ++good_calls;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good_traps.load(), kThreads * kTraps);
  EXPECT_EQ(good_calls.load(), kThreads * kTraps);
}

TEST_F(AotTest, StackOverflowIsResourceExhaustedAndTheThreadKeepsWorking) {
  auto m = compile(kModule);
  ASSERT_TRUE(m);
  auto check = [&](Instance& inst, uint32_t depth) {
    for (int round = 0; round < 3; ++round) {  // again and again: the signal must be unblocked after each
      auto r = callI32(inst, "recurse", {Value::makeI32(0)});
      ASSERT_FALSE(r);
      EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().toString();
      EXPECT_EQ(r.error().message, "call stack exhausted");
      auto deep = callI32(inst, "deep", {Value::makeI32(depth)});
      ASSERT_TRUE(deep) << deep.error().toString();
      EXPECT_EQ(*deep, depth);
      auto oob = callI32(inst, "load", {Value::makeI32(1u << 20)});
      ASSERT_FALSE(oob);
      EXPECT_EQ(oob.error().code, ErrorCode::kTrap);
    }
  };
  auto inst = instantiate(m);
  ASSERT_TRUE(inst);
  check(*inst, 10000);
  // Threads created after the engine get their own alternate signal stack; a small stack overflows sooner.
  std::thread other_thread([&] {
    auto other = instantiate(m);
    ASSERT_TRUE(other);
    check(*other, 10000);
  });
  other_thread.join();
  struct Job {
    std::function<void()> fn;
  } job{[&] {
    auto other = instantiate(m);
    ASSERT_TRUE(other);
    check(*other, 100);
  }};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t small;
  ASSERT_EQ(pthread_create(
                &small, &attr,
                [](void* arg) -> void* {
                  static_cast<Job*>(arg)->fn();
                  return nullptr;
                },
                &job),
            0);
  pthread_join(small, nullptr);
  pthread_attr_destroy(&attr);
}

uint64_t vmSizeKiB() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7));
  }
  return 0;
}

TEST_F(AotTest, FreedInstancesReturnTheirWholeReservation) {
  auto m = compile(kModule);
  ASSERT_TRUE(m);
  const uint64_t before = vmSizeKiB();
  ASSERT_GT(before, 0u);
  for (int i = 0; i < 300; ++i) {
    auto inst = instantiate(m);
    ASSERT_TRUE(inst);
    ASSERT_TRUE(callI32(*inst, "add", {Value::makeI32(1), Value::makeI32(2)}));
  }
  const uint64_t after = vmSizeKiB();
  // Each instance reserves ~8 GiB; leaking the unused part would add ~2.4 TiB here.
  EXPECT_LT(after, before + 64ull * 1024 * 1024) << "VmSize grew from " << before << " KiB to " << after << " KiB";
}

TEST_F(AotTest, DeadlineStopsTightLoops) {
  auto m = compile(kModule);
  ASSERT_TRUE(m);
  auto inst = instantiate(m, {.call_timeout = std::chrono::milliseconds(30)});
  ASSERT_TRUE(inst);
  for (const char* fn : {"tight", "count"}) {
    const auto start = std::chrono::steady_clock::now();
    Expected<void> r = ok();
    if (std::string_view(fn) == "tight") {
      r = inst->call(fn, {}, {});
    } else {
      Value out;
      std::vector<Value> args = {Value::makeI32(0)};
      r = inst->call(fn, args, std::span<Value>(&out, 1));
    }
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r) << fn;
    EXPECT_EQ(r.error().code, ErrorCode::kDeadlineExceeded) << fn << ": " << r.error().toString();
    EXPECT_LT(took, std::chrono::seconds(2)) << fn;
  }
  auto sum = callI32(*inst, "add", {Value::makeI32(20), Value::makeI32(22)});
  ASSERT_TRUE(sum);
  EXPECT_EQ(*sum, 42u);
}

TEST_F(AotTest, NestedCallTrapsInTheInnerInstanceAndTheOuterContinues) {
  auto inner_module = compile(kModule);
  auto outer_module = compile(R"((module
    (import "env" "nested" (func $nested (param i32) (result i32)))
    (func (export "run") (param i32) (result i32) local.get 0 call $nested i32.const 100 i32.add)))");
  ASSERT_TRUE(inner_module && outer_module);
  auto inner = instantiate(inner_module);
  ASSERT_TRUE(inner);
  std::vector<std::string> inner_errors;
  std::vector<HostFunction> host = {
      {"env", "nested", {{ValueType::kI32}, {ValueType::kI32}},
       [&](HostContext&, std::span<const Value> args, std::span<Value> results) -> Expected<void> {
         // Mode 0: the inner call traps (out of bounds) and we recover; 1: it succeeds; 2: we pass its error up.
         auto r = callI32(*inner, "load", {Value::makeI32(args[0].i32 == 1 ? 0u : 1u << 30)});
         if (!r) {
           inner_errors.push_back(r.error().message);
           if (args[0].i32 == 2) return fail(r.takeError());
           results[0] = Value::makeI32(7);
           return ok();
         }
         results[0] = Value::makeI32(*r);
         return ok();
       }}};
  auto outer = instantiate(outer_module, {}, host);
  ASSERT_TRUE(outer);
  for (int round = 0; round < 3; ++round) {
    auto a = callI32(*outer, "run", {Value::makeI32(0)});
    ASSERT_TRUE(a) << a.error().toString();
    EXPECT_EQ(*a, 107u);
    auto b = callI32(*outer, "run", {Value::makeI32(1)});
    ASSERT_TRUE(b) << b.error().toString();
    EXPECT_EQ(*b, 100u);
    auto c = callI32(*outer, "run", {Value::makeI32(2)});
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, ErrorCode::kTrap);
    EXPECT_NE(c.error().message.find("out of bounds"), std::string::npos) << c.error().message;
  }
  EXPECT_EQ(inner_errors.size(), 6u);
  EXPECT_TRUE(callI32(*inner, "add", {Value::makeI32(1), Value::makeI32(1)}));
}

TEST_F(AotTest, IndirectCallTrapsAreNamed) {
  auto m = compile(R"((module
    (type $ii (func (param i32) (result i32)))
    (type $v (func))
    (table 3 funcref)
    (elem (i32.const 0) $id $nop)
    (func $id (param i32) (result i32) local.get 0)
    (func $nop)
    (func (export "call") (param i32 i32) (result i32) local.get 1 local.get 0 call_indirect (type $ii))))");
  ASSERT_TRUE(m);
  auto inst = instantiate(m);
  ASSERT_TRUE(inst);
  auto ok_call = callI32(*inst, "call", {Value::makeI32(0), Value::makeI32(9)});
  ASSERT_TRUE(ok_call) << ok_call.error().toString();
  EXPECT_EQ(*ok_call, 9u);
  struct Case {
    uint32_t index;
    const char* text;
  };
  for (const Case& c : {Case{1, "indirect call signature mismatch"}, Case{2, "uninitialized table element"},
                        Case{5, "undefined table index"}}) {
    auto r = callI32(*inst, "call", {Value::makeI32(c.index), Value::makeI32(0)});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kTrap);
    EXPECT_EQ(r.error().message, c.text);
  }
}

TEST_F(AotTest, NumericTypesAndMultiValueCrossTheBoundary) {
  auto m = compile(R"((module
    (import "env" "mix" (func $mix (param i64 f32 f64) (result i32 i64 f32 f64)))
    (func (export "pass") (param i64 f32 f64) (result i32 i64 f32 f64)
      local.get 0 local.get 1 local.get 2 call $mix)
    (func (export "nan") (result f32) i32.const 0x7fa00001 f32.reinterpret_i32)))");
  ASSERT_TRUE(m);
  std::vector<HostFunction> host = {
      {"env",
       "mix",
       {{ValueType::kI64, ValueType::kF32, ValueType::kF64},
        {ValueType::kI32, ValueType::kI64, ValueType::kF32, ValueType::kF64}},
       [](HostContext&, std::span<const Value> args, std::span<Value> results) -> Expected<void> {
         results[0] = Value::makeI32(static_cast<uint32_t>(args[0].i64 >> 32));
         results[1] = Value::makeI64(args[0].i64 + 1);
         results[2] = Value::makeF32(args[1].f32 * 2);
         results[3] = Value::makeF64(args[2].f64 / 4);
         return ok();
       }}};
  auto inst = instantiate(m, {}, host);
  ASSERT_TRUE(inst);
  std::vector<Value> args = {Value::makeI64(0xFFFFFFFF00000001ull), Value::makeF32(1.25f), Value::makeF64(-10.0)};
  std::vector<Value> results(4);
  auto r = inst->call("pass", args, results);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(results[0].i32, 0xFFFFFFFFu);
  EXPECT_EQ(results[1].i64, 0xFFFFFFFF00000002ull);
  EXPECT_EQ(results[2].f32, 2.5f);
  EXPECT_EQ(results[3].f64, -2.5);

  Value nan;
  ASSERT_TRUE(inst->call("nan", {}, std::span<Value>(&nan, 1)));
  uint32_t bits;
  std::memcpy(&bits, &nan.f32, 4);
  EXPECT_EQ(bits, 0x7fa00001u) << "a NaN payload must survive the boundary";
}

TEST_F(AotTest, HostileNamesNeverReachTheCSource) {
  // wasm2c writes names into C comments verbatim; "*/" would otherwise inject code (here: a compile error).
  auto m = compile(R"((module
    (import "e*/ #error injected /*" "x\n#error injected\n" (func $f (result i32)))
    (func (export "a*/ #error injected /*") (result i32) call $f)
    (func (export "Zz\u{e9}\n") (result i32) i32.const 5)))");
  ASSERT_TRUE(m);
  std::vector<HostFunction> host = {{"e*/ #error injected /*", "x\n#error injected\n", {{}, {ValueType::kI32}},
                                     [](HostContext&, auto, std::span<Value> results) -> Expected<void> {
                                       results[0] = Value::makeI32(11);
                                       return ok();
                                     }}};
  auto inst = instantiate(m, {}, host);
  ASSERT_TRUE(inst);
  auto a = callI32(*inst, "a*/ #error injected /*", {});
  ASSERT_TRUE(a) << a.error().toString();
  EXPECT_EQ(*a, 11u);
  auto b = callI32(*inst, "Zz\u00e9\n", {});
  ASSERT_TRUE(b) << b.error().toString();
  EXPECT_EQ(*b, 5u);

  auto prepared = aot::prepareModule(wat2wasm(R"((module
    (import "e*/ #error injected /*" "f" (func $f))
    (func (export "a*/ int injected; /*") call $f)))"),
                                     "hostile.wasm");
  ASSERT_TRUE(prepared) << prepared.error().toString();
  auto sources = aot::translateToC(*prepared, "hostile.wasm");
  ASSERT_TRUE(sources) << sources.error().toString();
  for (const std::string* text : {&sources->source, &sources->header, &sources->glue}) {
    EXPECT_EQ(text->find("injected"), std::string::npos);
  }
}

TEST_F(AotTest, StartFunctionAndDataSegmentsRunAtInstantiation) {
  auto m = compile(R"((module
    (import "env" "seen" (func $seen (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 8) "aot!")
    (global $g (mut i32) (i32.const 0))
    (func $start i32.const 8 i32.load global.set $g global.get $g call $seen)
    (start $start)
    (func (export "g") (result i32) global.get $g)))");
  ASSERT_TRUE(m);
  uint32_t seen = 0;
  std::vector<HostFunction> host = {{"env", "seen", {{ValueType::kI32}, {}},
                                     [&](HostContext& ctx, std::span<const Value> args, auto) -> Expected<void> {
                                       seen = args[0].i32;
                                       auto bytes = ctx.memory().read(8, 4);
                                       if (!bytes || std::string(bytes->begin(), bytes->end()) != "aot!") {
                                         return fail(ErrorCode::kInternal, "memory not initialised");
                                       }
                                       return ok();
                                     }}};
  auto inst = instantiate(m, {}, host);
  ASSERT_TRUE(inst);
  EXPECT_EQ(seen, 0x21746f61u);  // "aot!" little-endian
  auto g = callI32(*inst, "g", {});
  ASSERT_TRUE(g);
  EXPECT_EQ(*g, seen);

  // A failing start function fails the instantiation with the host's error, and leaks nothing.
  std::vector<HostFunction> failing = {
      {"env", "seen", {{ValueType::kI32}, {}},
       [](auto&, auto, auto) -> Expected<void> { return fail(ErrorCode::kHostError, "no thanks"); }}};
  auto refused = m->instantiate(failing, {}, nullptr);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kHostError);
  EXPECT_EQ(refused.error().message, "no thanks");

  auto oob_data = compile(R"((module (memory 1) (data (i32.const 65534) "four")))");
  ASSERT_TRUE(oob_data);
  auto bad = oob_data->instantiate({}, {}, nullptr);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kTrap);
  EXPECT_NE(bad.error().message.find("instantiation failed: out of bounds"), std::string::npos)
      << bad.error().message;
}

// Every load and store goes through the base pointer each function reads once (codegen.cc, cacheMemoryBase);
// nothing is left reading the base from the instance per access.
TEST_F(AotTest, AccessesUseTheFunctionsCachedMemoryBase) {
  auto prepared = aot::prepareModule(wat2wasm(R"((module
    (memory (export "memory") 1)
    (func $store (param i32 i32) (result i32) local.get 0 local.get 1 i64.extend_i32_u i64.store8 i32.const 1)
    (func (export "copy") (param i32 i32) (result i32)
      local.get 0 local.get 1 i32.load call $store)))"), "base.wasm");
  ASSERT_TRUE(prepared) << prepared.error().toString();
  auto sources = aot::translateToC(*prepared, "base.wasm");
  ASSERT_TRUE(sources) << sources.error().toString();
  EXPECT_NE(sources->source.find("i32_load_b(stratus_membase, "), std::string::npos);
  EXPECT_NE(sources->source.find("i64_store8_b(stratus_membase, "), std::string::npos);
  EXPECT_EQ(sources->source.find("_load(&instance->"), std::string::npos);
  EXPECT_EQ(sources->source.find("_store8(&instance->"), std::string::npos);

  auto m = compile(R"((module
    (memory (export "memory") 1 2)
    (func (export "roundtrip") (param i32 i32) (result i32)
      local.get 0 local.get 1 i32.store
      i32.const 1 memory.grow drop
      local.get 0 i32.load)))");
  ASSERT_TRUE(m);
  auto inst = instantiate(m);
  ASSERT_TRUE(inst);
  auto r = callI32(*inst, "roundtrip", {Value::makeI32(65536 - 4), Value::makeI32(0x5eed)});
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(*r, 0x5eedu);
}

TEST_F(AotTest, DefaultFeaturesTranslateCompileAndRun) {
  // Reference types, bulk memory, multi-value (with references), passive segments, sign extension and saturating
  // conversions: everything the validator accepts by default except SIMD.
  auto m = compile(R"((module
    (import "env" "twice" (func $twice (param i32) (result i32)))
    (memory 1)
    (table $t0 4 funcref)
    (table $t1 2 externref)
    (global $gf (mut funcref) (ref.func $id))
    (global $ge (mut externref) (ref.null extern))
    (data $d "abc")
    (data (i32.const 16) "xyz")
    (elem $e funcref (ref.func $id) (ref.null func))
    (elem (table $t0) (i32.const 0) func $id)
    (func $id (param i32) (result i32) local.get 0)
    (func $mv (param externref) (result funcref i32 externref) ref.func $id i32.const 1 local.get 0)
    (func (export "refs") (param externref) (result externref) (local funcref)
      local.get 0 call $mv drop drop drop
      local.get 0 ref.null extern i32.const 1 select (result externref)
      (block (result funcref externref) ref.null func ref.null extern) drop drop
      i32.const 0 local.get 0 table.set $t1
      i32.const 0 table.get $t1 drop
      ref.null extern i32.const 1 table.grow $t1 drop
      i32.const 0 ref.null extern i32.const 1 table.fill $t1
      global.get $gf local.set 1)
    (func (export "run") (result i32)
      i32.const 1 i32.const 0 i32.const 1 table.copy $t0 $t0
      i32.const 2 i32.const 0 i32.const 1 table.init $t0 $e
      elem.drop $e
      i32.const 0 i32.const 0 i32.const 3 memory.init $d
      data.drop $d
      i32.const 8 i32.const 16 i32.const 3 memory.copy
      i32.const 32 i32.const 0x7f i32.const 4 memory.fill
      i32.const 0x80 i32.extend8_s
      f32.const 1e10 i32.trunc_sat_f32_s i32.add
      i32.const 21 i32.const 2 call_indirect $t0 (param i32) (result i32) call $twice i32.add
      i32.const 0 i32.load8_u i32.add
      i32.const 8 i32.load8_u i32.add
      i32.const 32 i32.load8_u i32.add)))");
  ASSERT_TRUE(m);
  bool refs_listed = false;
  for (const auto& e : m->exports()) refs_listed |= e.name == "refs";
  EXPECT_TRUE(refs_listed);
  std::vector<HostFunction> host = {{"env", "twice", {{ValueType::kI32}, {ValueType::kI32}},
                                     [](HostContext&, std::span<const Value> args, std::span<Value> results)
                                         -> Expected<void> {
                                       results[0] = Value::makeI32(args[0].i32 * 2);
                                       return ok();
                                     }}};
  auto inst = instantiate(m, {}, host);
  ASSERT_TRUE(inst);
  auto r = callI32(*inst, "run", {});
  ASSERT_TRUE(r) << r.error().toString();
  // -128 + INT32_MAX + 42 + 'a' + 'x' + 0x7f, wrapping.
  EXPECT_EQ(*r, static_cast<uint32_t>(-128 + 2147483647u + 42u + 'a' + 'x' + 0x7f));
  // Not callable from the host (reference types), so not found as a function.
  EXPECT_FALSE(inst->findFunction("refs"));
}

TEST_F(AotTest, SimdModulesAreRefusedWithAClearError) {
  // libwabt 1.0.32's C writer would abort the process on these.
  for (const char* wat : {R"((module (func (export "f") (param v128) (result v128) local.get 0)))",
                          R"((module (func (export "f") (result i32) i32.const 1 i32x4.splat i32x4.extract_lane 0)))",
                          R"((module (memory 1) (func (export "f") i32.const 0 i32.const 0 v128.load v128.store)))"}) {
    auto m = engine_->compile(wat2wasm(wat), {.name = "simd.wasm"});
    ASSERT_FALSE(m) << wat;
    EXPECT_EQ(m.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(m.error().message.find("SIMD"), std::string::npos) << m.error().message;
  }
}

TEST_F(AotTest, NonFunctionImportsAreRefusedAtInstantiation) {
  auto m = compile(R"((module (import "env" "mem" (memory 1)) (func (export "f"))))");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->imports().size(), 1u);
  EXPECT_EQ(m->imports()[0].kind, ExternKind::kMemory);
  auto r = m->instantiate({}, {}, nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("env.mem is not a function"), std::string::npos) << r.error().message;
}

TEST_F(AotTest, SameModuleCompiledTwiceSharesTheLibrary) {
  // A module no other test compiles, so the first compile here is not a cache hit.
  std::string wat(kModule);
  wat.insert(wat.rfind(')'), R"((func (export "only_in_the_cache_test")))");
  const auto start = std::chrono::steady_clock::now();
  auto a = compile(wat);
  const auto first = std::chrono::steady_clock::now() - start;
  auto b = compile(wat);
  const auto second = std::chrono::steady_clock::now() - start - first;
  ASSERT_TRUE(a && b);
  EXPECT_LT(second, first) << "the second compile should come from the in-process cache";
  auto ia = instantiate(a);
  auto ib = instantiate(b);
  ASSERT_TRUE(ia && ib);
  auto fa = callI32(*ia, "fib", {Value::makeI32(40)});
  auto fb = callI32(*ib, "fib", {Value::makeI32(40)});
  ASSERT_TRUE(fa && fb);
  EXPECT_EQ(*fa, 102334155u);
  EXPECT_EQ(*fb, *fa);
}

TEST(AotEngineTest, MissingCompilerIsAClearError) {
  auto e = createAotEngine({.compiler = "/nonexistent/bin/cc"});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(e.error().message.find("/nonexistent/bin/cc"), std::string::npos) << e.error().message;

  auto by_name = createAotEngine({.compiler = "no-such-compiler-stratus"});
  ASSERT_FALSE(by_name);
  EXPECT_EQ(by_name.error().code, ErrorCode::kUnavailable);
}

TEST(AotEngineTest, FailingCompilerReportsItsStatus) {
  if (!aot::findCompiler("false")) GTEST_SKIP() << "no 'false' program";
  auto e = createAotEngine({.compiler = "false"});
  ASSERT_TRUE(e) << e.error().toString();
  auto m = (*e)->compile(wat2wasm("(module (func (export \"f\")))"), {.name = "f.wasm"});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kInternal);
  EXPECT_NE(m.error().message.find("f.wasm: C compiler false exited with status 1"), std::string::npos)
      << m.error().message;
}

// Large modules compile with GCC's parallel link-time optimisation (one partition per core), small ones without.
// A wrapper compiler logs every command line, then runs the real one.
TEST(AotEngineTest, LargeModulesCompileWithParallelLtoOnGccWithSeveralCores) {
  if (!aot::defaultCompilerAvailable()) GTEST_SKIP() << "no C compiler: the aot engine is not offered";
  char dir_pattern[] = "/tmp/stratus-aot-lto-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir_pattern), nullptr);
  const std::string dir = dir_pattern;
  const std::string log = dir + "/commands.log";
  const std::string wrapper = dir + "/cc-wrapper";
  {
    std::ofstream out(wrapper);
    out << "#!/bin/sh\necho \"$*\" >> '" << log << "'\nexec cc \"$@\"\n";
  }
  ASSERT_EQ(chmod(wrapper.c_str(), 0755), 0);
  auto engine = createAotEngine({.compiler = wrapper, .work_dir = dir, .disk_cache = false});
  ASSERT_TRUE(engine) << engine.error().toString();

  // 1500 functions: about 700 KB of C. Each function's constant makes the module unique to this test.
  std::string big = "(module";
  for (int i = 0; i < 1500; ++i) {
    big += " (func (export \"f" + std::to_string(i) + "\") (param i32) (result i32) local.get 0 i32.const " +
           std::to_string(i + 7919) + " i32.mul)";
  }
  big += ")";
  auto large = (*engine)->compile(wat2wasm(big), {.name = "large.wasm"});
  ASSERT_TRUE(large) << large.error().toString();
  auto instance = (*large)->instantiate({}, {}, nullptr);
  ASSERT_TRUE(instance) << instance.error().toString();
  const std::vector<Value> args = {Value::makeI32(3)};
  Value result;
  ASSERT_TRUE((*instance)->call("f1499", args, std::span<Value>(&result, 1)));
  EXPECT_EQ(result.i32, 3u * (1499 + 7919));
  auto small = (*engine)->compile(wat2wasm("(module (func (export \"g\") (result i32) i32.const 7919))"),
                                  {.name = "small.wasm"});
  ASSERT_TRUE(small) << small.error().toString();

  std::ifstream in(log);
  std::vector<std::string> compiles;
  for (std::string line; std::getline(in, line);) {
    if (line.find("-shared") != std::string::npos) compiles.push_back(line);
  }
  ASSERT_EQ(compiles.size(), 2u);
  aot::Toolchain probe;
  probe.compiler = {wrapper};
  probe.work_dir = dir;
  const bool parallel = std::thread::hardware_concurrency() > 1 && aot::isGcc(probe);
  EXPECT_EQ(compiles[0].find("-flto=auto") != std::string::npos, parallel) << compiles[0];
  EXPECT_EQ(compiles[1].find("-flto"), std::string::npos) << compiles[1];
  std::filesystem::remove_all(dir);
}

// Runs in a fresh process (threadsafe death-test style re-executes the binary), so the order in which the two
// SIGSEGV handlers get installed is the one chosen here. Returns 0 when everything behaved.
int coexistenceScenario(bool fault_guard_first) {
  auto provider_crash = [] {
    return capability::runFaultContained("provider", [] {
      volatile int* volatile p = nullptr;
      *p = 1;
    });
  };
  if (fault_guard_first) {
    auto r = provider_crash();
    if (r || r.error().message.find("SIGSEGV") == std::string::npos) return 1;
  }
  auto engine = createAotEngine();
  if (!engine) return 2;
  auto m = (*engine)->compile(wat2wasm(kModule), {.name = "coexist.wasm"});
  if (!m) return 3;
  auto inst = (*m)->instantiate({}, {}, nullptr);
  if (!inst) return 4;
  for (int round = 0; round < 2; ++round) {
    Value out;
    std::vector<Value> args = {Value::makeI32(1u << 20)};
    auto trap = (*inst)->call("load", args, std::span<Value>(&out, 1));
    if (trap || trap.error().message.find("out of bounds") == std::string::npos) return 5;
    auto r = provider_crash();
    if (r || r.error().message.find("SIGSEGV") == std::string::npos) return 6;
    // Guest code run from a provider's thread with the guard suspended still traps as the guest's.
    Expected<void> nested = ok();
    auto contained = capability::runFaultContained("provider", [&] {
      capability::SuspendFaultGuard host_code;
      nested = (*inst)->call("load", args, std::span<Value>(&out, 1));
    });
    if (!contained || nested || nested.error().message.find("out of bounds") == std::string::npos) return 7;
  }
  return 0;
}

TEST(AotEngineDeathTest, CoexistsWithTheProviderFaultGuardWhicheverIsInstalledFirst) {
  if (!aotAvailable()) GTEST_SKIP() << "no C compiler";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::exit(coexistenceScenario(true)), ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(std::exit(coexistenceScenario(false)), ::testing::ExitedWithCode(0), "");
}

TEST(AotEngineDeathTest, HostFaultsOutsideGuestCodeStillCrash) {
  if (!aotAvailable()) GTEST_SKIP() << "no C compiler";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto engine = createAotEngine();
        auto m = (*engine)->compile(wat2wasm(kModule), {.name = "crash.wasm"});
        auto inst = (*m)->instantiate({}, {}, nullptr);
        Value out;
        std::vector<Value> args = {Value::makeI32(1u << 20)};
        (void)(*inst)->call("load", args, std::span<Value>(&out, 1));
        volatile int* volatile p = nullptr;
        *p = 1;  // host code: not ours to contain
      },
      "");
}

}  // namespace
}  // namespace stratus::engine
