#include "engine/instrument.h"

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/binary-writer.h>
#include <wabt/cast.h>
#include <wabt/error-formatter.h>
#include <wabt/ir.h>
#include <wabt/stream.h>

#include <memory>
#include <string>

namespace stratus::engine {
namespace {

void prependCheck(wabt::ExprList& exprs, wabt::Index flag) {
  auto check = std::make_unique<wabt::IfExpr>();
  check->true_.exprs.push_back(std::make_unique<wabt::UnreachableExpr>());
  exprs.push_front(std::move(check));
  exprs.push_front(std::make_unique<wabt::GlobalGetExpr>(wabt::Var(flag, wabt::Location())));
}

// Whether every pass through `body` calls a function defined in the module (whose entry check then runs each
// time) before any branch or nested construct: a direct call among the plain instructions that open the body.
bool opensWithCheckedCall(const wabt::ExprList& body, wabt::Index num_func_imports) {
  for (const auto& expr : body) {
    switch (expr.type()) {
      case wabt::ExprType::Call: {
        const wabt::Var& callee = wabt::cast<wabt::CallExpr>(&expr)->var;
        if (callee.is_index() && callee.index() >= num_func_imports) return true;
        break;  // a host function: no check there, keep looking
      }
      case wabt::ExprType::Block:
      case wabt::ExprType::Loop:
      case wabt::ExprType::If:
      case wabt::ExprType::Try:
      case wabt::ExprType::Br:
      case wabt::ExprType::BrIf:
      case wabt::ExprType::BrTable:
      case wabt::ExprType::Return:
      case wabt::ExprType::ReturnCall:
      case wabt::ExprType::ReturnCallIndirect:
      case wabt::ExprType::Unreachable:
      case wabt::ExprType::Throw:
      case wabt::ExprType::Rethrow:
        return false;
      default:
        break;
    }
  }
  return false;
}

void instrumentExprs(wabt::ExprList& exprs, wabt::Index flag, wabt::Index num_func_imports) {
  for (auto& expr : exprs) {
    switch (expr.type()) {
      case wabt::ExprType::Block:
        instrumentExprs(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs, flag, num_func_imports);
        break;
      case wabt::ExprType::Loop: {
        auto& body = wabt::cast<wabt::LoopExpr>(&expr)->block.exprs;
        instrumentExprs(body, flag, num_func_imports);
        // A loop whose every iteration enters an instrumented function is checked there already (this halves
        // the checks of a recursive loop like fib's).
        if (!opensWithCheckedCall(body, num_func_imports)) prependCheck(body, flag);
        break;
      }
      case wabt::ExprType::If: {
        auto* if_expr = wabt::cast<wabt::IfExpr>(&expr);
        instrumentExprs(if_expr->true_.exprs, flag, num_func_imports);
        instrumentExprs(if_expr->false_, flag, num_func_imports);
        break;
      }
      case wabt::ExprType::Try: {
        auto* try_expr = wabt::cast<wabt::TryExpr>(&expr);
        instrumentExprs(try_expr->block.exprs, flag, num_func_imports);
        for (auto& c : try_expr->catches) instrumentExprs(c.exprs, flag, num_func_imports);
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace

Expected<Bytes> instrumentForInterrupts(std::span<const uint8_t> wasm, std::string_view name) {
  wabt::Module module;
  wabt::Errors errors;
  wabt::ReadBinaryOptions read_options;
  read_options.fail_on_custom_section_error = false;
  std::string file(name);
  if (wabt::Failed(wabt::ReadBinaryIr(file.c_str(), wasm.data(), wasm.size(), read_options, &errors, &module))) {
    return fail(ErrorCode::kMalformed,
                file + ": " + wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary));
  }
  if (module.GetExport(kInterruptGlobalExport) != nullptr) {
    return fail(ErrorCode::kMalformed,
                file + ": module already exports the reserved name " + std::string(kInterruptGlobalExport));
  }

  auto global_field = std::make_unique<wabt::GlobalModuleField>();
  global_field->global.type = wabt::Type::I32;
  global_field->global.mutable_ = true;
  global_field->global.init_expr.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(0)));
  module.AppendField(std::move(global_field));
  const auto flag = static_cast<wabt::Index>(module.globals.size() - 1);

  auto export_field = std::make_unique<wabt::ExportModuleField>();
  export_field->export_.name = kInterruptGlobalExport;
  export_field->export_.kind = wabt::ExternalKind::Global;
  export_field->export_.var = wabt::Var(flag, wabt::Location());
  module.AppendField(std::move(export_field));

  for (size_t i = module.num_func_imports; i < module.funcs.size(); ++i) {
    auto& body = module.funcs[i]->exprs;
    instrumentExprs(body, flag, module.num_func_imports);
    prependCheck(body, flag);
  }

  wabt::MemoryStream out;
  wabt::WriteBinaryOptions write_options;
  if (wabt::Failed(wabt::WriteBinaryModule(&out, &module, write_options))) {
    return fail(ErrorCode::kInternal, file + ": could not re-encode the instrumented module");
  }
  const auto& data = out.output_buffer().data;
  return Bytes(data.begin(), data.end());
}

}  // namespace stratus::engine
