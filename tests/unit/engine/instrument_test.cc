// Where the interrupt instrumentation puts its checks, and what it refuses. The engines' deadline tests
// (engine_test.cc) show that the checks stop a runaway call.
#include "engine/instrument.h"

#include <gtest/gtest.h>
#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/cast.h>
#include <wabt/ir.h>

#include <ostream>
#include <string>

#include "support/wat.h"

namespace stratus::engine {
namespace {

// Checks in one function: reads of the interrupt global in loop bodies, and elsewhere (its entry).
struct Checks {
  int in_loops = 0;
  int outside = 0;
  bool operator==(const Checks&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Checks& c) {
  return os << "{in loops " << c.in_loops << ", outside " << c.outside << "}";
}

void countChecks(const wabt::ExprList& exprs, wabt::Index flag, bool in_loop, Checks& out) {
  for (const auto& expr : exprs) {
    switch (expr.type()) {
      case wabt::ExprType::GlobalGet:
        if (wabt::cast<wabt::GlobalGetExpr>(&expr)->var.index() == flag) ++(in_loop ? out.in_loops : out.outside);
        break;
      case wabt::ExprType::Block:
        countChecks(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs, flag, in_loop, out);
        break;
      case wabt::ExprType::Loop:
        countChecks(wabt::cast<wabt::LoopExpr>(&expr)->block.exprs, flag, true, out);
        break;
      case wabt::ExprType::If:
        countChecks(wabt::cast<wabt::IfExpr>(&expr)->true_.exprs, flag, in_loop, out);
        countChecks(wabt::cast<wabt::IfExpr>(&expr)->false_, flag, in_loop, out);
        break;
      default:
        break;
    }
  }
}

// `wat` instrumented and read back.
void instrumented(const std::string& wat, wabt::Module* module) {
  auto bytes = instrumentForInterrupts(testing::wat2wasm(wat), "test.wasm");
  ASSERT_TRUE(bytes) << bytes.error().toString();
  wabt::Errors errors;
  wabt::ReadBinaryOptions options;
  ASSERT_TRUE(wabt::Succeeded(wabt::ReadBinaryIr("test.wasm", bytes->data(), bytes->size(), options, &errors, module)));
}

// The checks of the function exported as "f" in `wat`, once instrumented.
Checks checksOfF(const std::string& wat) {
  wabt::Module module;
  instrumented(wat, &module);
  const wabt::Export* exp = module.GetExport("f");
  if (exp == nullptr) {
    ADD_FAILURE() << "no export f";
    return {-1, -1};
  }
  const wabt::Export* flag = module.GetExport(kInterruptGlobalExport);
  if (flag == nullptr) {
    ADD_FAILURE() << "no export " << kInterruptGlobalExport;
    return {-1, -1};
  }
  Checks checks;
  countChecks(module.GetFunc(exp->var)->exprs, flag->var.index(), false, checks);
  return checks;
}

TEST(InstrumentTest, ChecksEveryFunctionEntryAndLoopHeader) {
  EXPECT_EQ(checksOfF(R"((module (func (export "f"))))"), (Checks{0, 1}));
  EXPECT_EQ(checksOfF(R"((module (func (export "f") (loop $l br $l))))"), (Checks{1, 1}));
  EXPECT_EQ(checksOfF(R"((module (func (export "f") (param i32)
      (loop $a (loop $b (br_if $b (local.get 0))) (br_if $a (local.get 0))))))"),
            (Checks{2, 1}));
  EXPECT_EQ(checksOfF(R"((module (func (export "f") (param i32)
      (if (local.get 0) (then (loop $l (br_if $l (local.get 0))))))))"),
            (Checks{1, 1}));
}

TEST(InstrumentTest, ALoopOpeningWithACallOfTheModuleIsCheckedInTheCallee) {
  EXPECT_EQ(checksOfF(R"((module (func $g) (func (export "f") (loop $l call $g br $l))))"), (Checks{0, 1}));
}

TEST(InstrumentTest, ALoopOpeningWithAHostCallOrABranchKeepsItsCheck) {
  // A host function has no check of its own.
  EXPECT_EQ(checksOfF(R"((module (import "h" "g" (func $g)) (func (export "f") (loop $l call $g br $l))))"),
            (Checks{1, 1}));
  // A branch before the call can skip it.
  EXPECT_EQ(checksOfF(R"((module (func $g) (func (export "f") (param i32)
      (loop $l (br_if $l (local.get 0)) call $g br $l))))"),
            (Checks{1, 1}));
}

TEST(InstrumentTest, TheFlagIsANewMutableGlobalAfterTheModulesOwn) {
  wabt::Module module;
  instrumented(R"((module (global $g (export "g") (mut i32) (i32.const 7)) (func (export "f"))))", &module);
  ASSERT_EQ(module.globals.size(), 2u);
  const wabt::Export* own = module.GetExport("g");
  const wabt::Export* flag = module.GetExport(kInterruptGlobalExport);
  ASSERT_NE(own, nullptr);
  ASSERT_NE(flag, nullptr);
  EXPECT_EQ(own->var.index(), 0u);
  EXPECT_EQ(flag->var.index(), 1u);
  EXPECT_TRUE(module.globals[1]->mutable_);
  EXPECT_EQ(module.globals[1]->type, wabt::Type::I32);
}

TEST(InstrumentTest, RefusesAModuleThatExportsTheReservedName) {
  const std::string wat =
      R"((module (global (export ")" + std::string(kInterruptGlobalExport) + R"(") i32 (i32.const 0))))";
  auto r = instrumentForInterrupts(testing::wat2wasm(wat), "taken.wasm");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_NE(r.error().message.find("taken.wasm"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(kInterruptGlobalExport), std::string::npos) << r.error().message;
}

TEST(InstrumentTest, RefusesBytesThatAreNoModule) {
  const Bytes garbage = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x0a, 0xff};
  auto r = instrumentForInterrupts(garbage, "garbage.wasm");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_NE(r.error().message.find("garbage.wasm"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace stratus::engine
