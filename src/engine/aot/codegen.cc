#include "engine/aot/codegen.h"

#include <wabt/apply-names.h>
#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/c-writer.h>
#include <wabt/cast.h>
#include <wabt/error-formatter.h>
#include <wabt/generate-names.h>
#include <wabt/ir.h>
#include <wabt/stream.h>
#include <wabt/validator.h>

#include <cctype>
#include <optional>
#include <string_view>

#include "engine/imports.h"
#include "engine/instrument.h"

namespace stratus::engine::aot {
namespace {

// Names given to everything the C text mentions (see translateToC).
constexpr const char* kModuleName = "m";
constexpr const char* kImportModule = "h";
constexpr const char* kInterruptExport = "si";
constexpr const char* kMemoryExport = "sm";

std::string exportName(size_t index) {
  std::string s = "x";
  s += std::to_string(index);
  return s;
}

std::string importName(size_t index) {
  std::string s = "f";
  s += std::to_string(index);
  return s;
}

Expected<void> readModule(std::span<const uint8_t> wasm, const std::string& name, wabt::Module* module) {
  wabt::Features features;
  // No debug names: every C identifier then derives from names we choose.
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false, /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/true);
  wabt::Errors errors;
  wabt::Result result = wabt::ReadBinaryIr(name.c_str(), wasm.data(), wasm.size(), options, &errors, module);
  if (wabt::Succeeded(result)) result = wabt::ValidateModule(module, &errors, wabt::ValidateOptions(features));
  if (wabt::Failed(result)) {
    std::string msg = wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    std::string text = "invalid wasm module ";
    text += name;
    text += ": ";
    text += msg;
    return fail(ErrorCode::kMalformed, std::move(text));
  }
  return ok();
}

std::optional<ValueType> valueType(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32: return ValueType::kI32;
    case wabt::Type::I64: return ValueType::kI64;
    case wabt::Type::F32: return ValueType::kF32;
    case wabt::Type::F64: return ValueType::kF64;
    default: return std::nullopt;
  }
}

std::optional<FunctionType> functionType(const wabt::FuncSignature& sig) {
  FunctionType out;
  for (auto p : sig.param_types) {
    auto v = valueType(p);
    if (!v) return std::nullopt;
    out.params.push_back(*v);
  }
  for (auto r : sig.result_types) {
    auto v = valueType(r);
    if (!v) return std::nullopt;
    out.results.push_back(*v);
  }
  return out;
}

bool isV128(wabt::Type t) { return t == wabt::Type::V128; }

bool sigUsesV128(const wabt::FuncSignature& sig) {
  for (auto t : sig.param_types) {
    if (isV128(t)) return true;
  }
  for (auto t : sig.result_types) {
    if (isV128(t)) return true;
  }
  return false;
}

bool opcodeUsesV128(wabt::Opcode op) {
  return isV128(op.GetResultType()) || isV128(op.GetParamType1()) || isV128(op.GetParamType2()) ||
         isV128(op.GetParamType3());
}

bool exprsUseV128(const wabt::ExprList& exprs) {
  for (const auto& expr : exprs) {
    switch (expr.type()) {
      case wabt::ExprType::SimdLaneOp:
      case wabt::ExprType::SimdLoadLane:
      case wabt::ExprType::SimdStoreLane:
      case wabt::ExprType::SimdShuffleOp:
      case wabt::ExprType::LoadSplat:
      case wabt::ExprType::LoadZero:
        return true;
      case wabt::ExprType::Const:
        if (isV128(wabt::cast<wabt::ConstExpr>(&expr)->const_.type())) return true;
        break;
      case wabt::ExprType::Binary:
        if (opcodeUsesV128(wabt::cast<wabt::BinaryExpr>(&expr)->opcode)) return true;
        break;
      case wabt::ExprType::Compare:
        if (opcodeUsesV128(wabt::cast<wabt::CompareExpr>(&expr)->opcode)) return true;
        break;
      case wabt::ExprType::Convert:
        if (opcodeUsesV128(wabt::cast<wabt::ConvertExpr>(&expr)->opcode)) return true;
        break;
      case wabt::ExprType::Unary:
        if (opcodeUsesV128(wabt::cast<wabt::UnaryExpr>(&expr)->opcode)) return true;
        break;
      case wabt::ExprType::Ternary:
        if (opcodeUsesV128(wabt::cast<wabt::TernaryExpr>(&expr)->opcode)) return true;
        break;
      case wabt::ExprType::Load:
        if (opcodeUsesV128(wabt::cast<wabt::LoadExpr>(&expr)->opcode)) return true;
        break;
      case wabt::ExprType::Store:
        if (opcodeUsesV128(wabt::cast<wabt::StoreExpr>(&expr)->opcode)) return true;
        break;
      case wabt::ExprType::Block: {
        const auto& block = wabt::cast<wabt::BlockExpr>(&expr)->block;
        if (sigUsesV128(block.decl.sig) || exprsUseV128(block.exprs)) return true;
        break;
      }
      case wabt::ExprType::Loop: {
        const auto& block = wabt::cast<wabt::LoopExpr>(&expr)->block;
        if (sigUsesV128(block.decl.sig) || exprsUseV128(block.exprs)) return true;
        break;
      }
      case wabt::ExprType::If: {
        const auto* if_expr = wabt::cast<wabt::IfExpr>(&expr);
        if (sigUsesV128(if_expr->true_.decl.sig) || exprsUseV128(if_expr->true_.exprs) ||
            exprsUseV128(if_expr->false_)) {
          return true;
        }
        break;
      }
      default:
        break;
    }
  }
  return false;
}

// libwabt 1.0.32's C writer has no SIMD support and abort()s the whole process on v128 types or SIMD operators, so
// such modules must never reach it. Every v128 value comes from a typed signature, local or global, or from an
// operator producing one; those are what this looks for.
bool usesSimd(const wabt::Module& module) {
  for (const wabt::TypeEntry* entry : module.types) {
    if (const auto* ft = wabt::dyn_cast<wabt::FuncType>(entry); ft && sigUsesV128(ft->sig)) return true;
  }
  for (const wabt::Global* g : module.globals) {
    if (isV128(g->type)) return true;
  }
  for (const wabt::Func* fn : module.funcs) {
    if (sigUsesV128(fn->decl.sig)) return true;
    for (auto t : fn->local_types) {
      if (isV128(t)) return true;
    }
    if (exprsUseV128(fn->exprs)) return true;
  }
  return false;
}

Expected<ModuleInfo> describe(const wabt::Module& module, const std::string& name) {
  ModuleInfo info;
  for (const wabt::Import* imp : module.imports) {
    ImportDesc d;
    d.module = imp->module_name;
    d.name = imp->field_name;
    d.kind = externKindOf(imp->kind());
    if (const auto* fi = wabt::dyn_cast<wabt::FuncImport>(imp)) {
      auto t = functionType(fi->func.decl.sig);
      if (!t) {
        return fail(ErrorCode::kInvalidArgument,
                    name + ": import " + d.module + "." + d.name + " uses value types the host cannot provide");
      }
      d.type = std::move(*t);
    } else if (info.non_function_import.empty()) {
      info.non_function_import = d.module + "." + d.name;
    }
    info.imports.push_back(std::move(d));
  }
  for (const wabt::Export* exp : module.exports) {
    ExportDesc d;
    d.name = exp->name;
    d.kind = externKindOf(exp->kind);
    bool callable = false;
    if (exp->kind == wabt::ExternalKind::Func) {
      if (const wabt::Func* fn = module.GetFunc(exp->var)) {
        if (auto t = functionType(fn->decl.sig)) {
          d.type = std::move(*t);
          callable = true;
        }
      }
    }
    info.exports.push_back(std::move(d));
    info.callable.push_back(callable);
  }
  if (!module.memories.empty()) {
    info.has_memory = true;
    info.memory_initial_pages = module.memories[0]->page_limits.initial;
  }
  return info;
}

// ---- text helpers -----------------------------------------------------------------------------------------------

bool replaceOnce(std::string& text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  if (at == std::string::npos || text.find(from, at + from.size()) != std::string::npos) return false;
  text.replace(at, from.size(), to);
  return true;
}

const char* cType(ValueType t) {
  switch (t) {
    case ValueType::kI32: return "u32";
    case ValueType::kI64: return "u64";
    case ValueType::kF32: return "f32";
    case ValueType::kF64: return "f64";
  }
  return "u32";
}

// wasm2c's name for a multi-value result struct: one letter per type.
char multiLetter(ValueType t) {
  switch (t) {
    case ValueType::kI32: return 'i';
    case ValueType::kI64: return 'j';
    case ValueType::kF32: return 'f';
    case ValueType::kF64: return 'd';
  }
  return 'i';
}

std::string resultType(const std::vector<ValueType>& results) {
  if (results.empty()) return "void";
  if (results.size() == 1) return cType(results[0]);
  std::string s = "struct wasm_multi_";
  for (auto t : results) s += multiLetter(t);
  return s;
}

// Concatenation by appending (GCC 12 warns falsely about `"literal" + std::string` at -O3).
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  (s.append(std::string_view(parts)), ...);
  return s;
}

std::string num(size_t n) { return std::to_string(n); }

// C expression turning 64-bit slot `slot` into a value of type t, and back.
std::string fromSlot(ValueType t, const std::string& slot) {
  switch (t) {
    case ValueType::kI32: return cat("(u32)", slot);
    case ValueType::kI64: return slot;
    case ValueType::kF32: return cat("stratus_to_f32(", slot, ")");
    case ValueType::kF64: return cat("stratus_to_f64(", slot, ")");
  }
  return slot;
}

std::string toSlot(ValueType t, const std::string& value) {
  switch (t) {
    case ValueType::kI32: return cat("(uint64_t)", value);
    case ValueType::kI64: return value;
    case ValueType::kF32: return cat("stratus_from_f32(", value, ")");
    case ValueType::kF64: return cat("stratus_from_f64(", value, ")");
  }
  return value;
}

// Field of result k in a multi-value struct: letter + index.
std::string multiField(ValueType t, size_t k) {
  std::string s(1, multiLetter(t));
  s += num(k);
  return s;
}

constexpr std::string_view kStockCallIndirect =
    "#define CALL_INDIRECT(table, t, ft, x, ...)             \\\n"
    "  (LIKELY((x) < table.size && table.data[x].func &&     \\\n"
    "          table.data[x].func_type == func_types[ft]) || \\\n"
    "       TRAP(CALL_INDIRECT),                             \\\n"
    "   ((t)table.data[x].func)(__VA_ARGS__))\n";

// Same checks, one trap code each, so the error names what went wrong like the interpreter does.
constexpr std::string_view kOurCallIndirect =
    "#define CALL_INDIRECT(table, t, ft, x, ...)                                                        \\\n"
    "  ((LIKELY((x) < table.size) || STRATUS_TRAP_CODE(STRATUS_AOT_TRAP_UNDEFINED_ELEMENT)),           \\\n"
    "   (LIKELY(table.data[x].func != NULL) ||                                                         \\\n"
    "    STRATUS_TRAP_CODE(STRATUS_AOT_TRAP_UNINITIALIZED_ELEMENT)),                                   \\\n"
    "   (LIKELY(table.data[x].func_type == func_types[ft]) ||                                          \\\n"
    "    STRATUS_TRAP_CODE(STRATUS_AOT_TRAP_SIGNATURE_MISMATCH)),                                      \\\n"
    "   ((t)table.data[x].func)(__VA_ARGS__))\n";

// The runtime half that lives in the library: wasm_rt_* forwarders to the host table, import forwarders, one
// invoker per callable export and the module descriptor.
std::string makeGlue(const ModuleInfo& info) {
  const std::string m = kModuleName;
  const std::string inst_t = cat("Z_", m, "_instance_t");
  const std::string import_t = cat("struct Z_", kImportModule, "_instance_t");
  std::string g;
  g += "/* Generated by stratus: glue between wasm2c output and the stratus aot runtime. */\n";
  g += "#include \"stratus_aot_abi.h\"\n";
  g += "#define STRATUS_TRAP_CODE(c) (wasm_rt_trap((wasm_rt_trap_t)(c)), 0)\n";
  g += "#include \"";
  g += kSourceFile;
  g += "\"\n#include <stdarg.h>\n\n";
  g += "static const struct stratus_aot_host* stratus_host;\n";
  g += R"(static inline uint64_t stratus_from_f32(f32 v) { uint32_t b; memcpy(&b, &v, 4); return b; }
static inline uint64_t stratus_from_f64(f64 v) { uint64_t b; memcpy(&b, &v, 8); return b; }
static inline f32 stratus_to_f32(uint64_t s) { uint32_t b = (uint32_t)s; f32 v; memcpy(&v, &b, 4); return v; }
static inline f64 stratus_to_f64(uint64_t s) { f64 v; memcpy(&v, &s, 8); return v; }

bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_trap(wasm_rt_trap_t code) { stratus_host->trap((uint32_t)code); abort(); }
uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  uint32_t types[params + results + 1];
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < params + results; ++i) types[i] = (uint32_t)va_arg(ap, int);
  va_end(ap);
  return stratus_host->register_func_type(params, results, types);
}
void wasm_rt_allocate_memory(wasm_rt_memory_t* m, uint32_t initial, uint32_t max) {
  stratus_host->allocate_memory(m, initial, max);
}
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* m, uint32_t delta) { return stratus_host->grow_memory(m, delta); }
void wasm_rt_free_memory(wasm_rt_memory_t* m) { stratus_host->free_memory(m); }
void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* t, uint32_t n, uint32_t max) {
  stratus_host->allocate_funcref_table(t, n, max);
}
uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* t, uint32_t delta, wasm_rt_funcref_t init) {
  return stratus_host->grow_funcref_table(t, delta, init);
}
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* t) { stratus_host->free_funcref_table(t); }
void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t* t, uint32_t n, uint32_t max) {
  stratus_host->allocate_externref_table(t, n, max);
}
uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t* t, uint32_t delta, wasm_rt_externref_t init) {
  return stratus_host->grow_externref_table(t, delta, init);
}
void wasm_rt_free_externref_table(wasm_rt_externref_table_t* t) { stratus_host->free_externref_table(t); }

)";

  // Imports: every one is a function here (modules with other imports are not translated).
  for (size_t j = 0; j < info.imports.size(); ++j) {
    const FunctionType& type = info.imports[j].type;
    const size_t np = type.params.size();
    const size_t nr = type.results.size();
    g += cat(resultType(type.results), " Z_", kImportModule, "Z_", importName(j), "(", import_t, "* ctx");
    for (size_t i = 0; i < np; ++i) g += cat(", ", cType(type.params[i]), " p", num(i));
    g += cat(") {\n  uint64_t a[", num(np + 1), "];\n  uint64_t r[", num(nr + 1), "];\n");
    for (size_t i = 0; i < np; ++i) g += cat("  a[", num(i), "] = ", toSlot(type.params[i], cat("p", num(i))), ";\n");
    // ctx is the import context, or (called through a table: wasm2c 1.0.32) the address of the instance's field
    // holding it; its first word is the import context in both cases (engine/aot/runtime.h, ImportContext).
    g += cat("  if (stratus_host->call_import(*(void* const*)ctx, ", num(j),
             "u, a, r)) stratus_host->trap(STRATUS_AOT_TRAP_HOST_ERROR);\n  (void)a;\n  (void)r;\n");
    if (nr == 1) {
      g += cat("  return ", fromSlot(type.results[0], "r[0]"), ";\n");
    } else if (nr > 1) {
      g += cat("  ", resultType(type.results), " v;\n");
      for (size_t k = 0; k < nr; ++k) {
        g += cat("  v.", multiField(type.results[k], k), " = ", fromSlot(type.results[k], cat("r[", num(k), "]")),
                 ";\n");
      }
      g += "  return v;\n";
    }
    g += "}\n\n";
  }

  // Invokers.
  for (size_t k = 0; k < info.exports.size(); ++k) {
    if (!info.callable[k]) continue;
    const FunctionType& type = info.exports[k].type;
    const size_t nr = type.results.size();
    g += cat("static void stratus_invoke_", num(k), "(void* inst, const uint64_t* a, uint64_t* r) {\n  ");
    if (nr > 0) g += cat(resultType(type.results), " v = ");
    g += cat("Z_", m, "Z_", exportName(k), "((", inst_t, "*)inst");
    for (size_t i = 0; i < type.params.size(); ++i) g += cat(", ", fromSlot(type.params[i], cat("a[", num(i), "]")));
    g += ");\n";
    if (nr == 1) {
      g += cat("  r[0] = ", toSlot(type.results[0], "v"), ";\n");
    } else {
      for (size_t i = 0; i < nr; ++i) {
        g += cat("  r[", num(i), "] = ", toSlot(type.results[i], cat("v.", multiField(type.results[i], i))), ";\n");
      }
    }
    g += "  (void)a;\n  (void)r;\n}\n";
  }
  g += cat("\nstatic const stratus_aot_invoker stratus_invokers[", num(info.exports.size() + 1), "] = {");
  for (size_t k = 0; k < info.exports.size(); ++k) {
    g += info.callable[k] ? cat("stratus_invoke_", num(k), ", ") : std::string("NULL, ");
  }
  g += "NULL};\n\n";

  g += "static void stratus_bind(const struct stratus_aot_host* host) { stratus_host = host; }\n";
  g += cat("static void stratus_instantiate(void* inst, void* ctx) {\n  Z_", m, "_instantiate((", inst_t, "*)inst");
  if (!info.imports.empty()) g += cat(", (", import_t, "*)ctx");
  g += ");\n  (void)ctx;\n}\n";
  g += cat("static void stratus_free(void* inst) { Z_", m, "_free((", inst_t, "*)inst); }\n");
  g += "static wasm_rt_memory_t* stratus_memory(void* inst) {\n";
  if (info.has_memory) {
    g += cat("  return Z_", m, "Z_", kMemoryExport, "((", inst_t, "*)inst);\n}\n");
  } else {
    g += "  (void)inst;\n  return NULL;\n}\n";
  }
  g += cat("static volatile uint32_t* stratus_interrupt(void* inst) {\n  return Z_", m, "Z_", kInterruptExport, "((",
           inst_t, "*)inst);\n}\n\n");
  g += "__attribute__((visibility(\"default\"))) const struct stratus_aot_module stratus_aot_module_v1 = {\n";
  g += cat("  STRATUS_AOT_ABI_VERSION, sizeof(", inst_t, "), stratus_bind, Z_", m,
           "_init_module, stratus_instantiate,\n",
           "  stratus_free, stratus_memory, stratus_interrupt, ", num(info.exports.size()), "u, stratus_invokers};\n");
  return g;
}

// wasm2c's loads and stores read the memory's base pointer from the instance on every access, and since a store
// through a byte pointer may alias anything, the compiler reloads it after every store. Our runtime never moves a
// memory (an 8 GiB reservation grows in place), so each function reads the base once into a local that nothing can
// alias, and its accesses go through variants that take that base. Bounds are still checked by the guard pages.
void cacheMemoryBase(std::string& source) {
  static constexpr std::string_view kLoadOps[] = {"i32_load", "i64_load", "f32_load", "f64_load", "i32_load8_s",
                                                  "i64_load8_s", "i32_load8_u", "i64_load8_u", "i32_load16_s",
                                                  "i64_load16_s", "i32_load16_u", "i64_load16_u", "i64_load32_s",
                                                  "i64_load32_u"};
  static constexpr std::string_view kStoreOps[] = {"i32_store", "i64_store", "f32_store", "f64_store",
                                                   "i32_store8", "i32_store16", "i64_store8", "i64_store16",
                                                   "i64_store32"};
  static constexpr std::string_view kLastStore = "DEFINE_STORE(i64_store32, u32, u64)\n";
  static constexpr std::string_view kLittleEndianLoad = "wasm_rt_memcpy(&result, &mem->data[addr], sizeof(t1));";
  // The memory: the instance field every load/store names (one memory per module in wasm2c 1.0.32).
  std::string field;
  for (std::string_view op : {std::string_view("i32_load("), std::string_view("i32_store(")}) {
    const size_t at = source.find(cat(op, "&instance->"));
    if (at == std::string::npos) continue;
    const size_t start = at + op.size() + 11;
    const size_t end = source.find(',', start);
    if (end != std::string::npos) field = source.substr(start, end - start);
    break;
  }
  const size_t defs = source.rfind(kLastStore);
  if (field.empty() || defs == std::string::npos || source.find(kLittleEndianLoad) == std::string::npos) return;
  std::string variants =
      "#define STRATUS_LOAD_B(name, t1, t2, t3) static inline t3 name##_b(u8* base, u64 addr) { t1 result; "
      "wasm_rt_memcpy(&result, base + addr, sizeof(t1)); wasm_asm(\"\" ::\"r\"(result)); return (t3)(t2)result; }\n"
      "#define STRATUS_STORE_B(name, t1, t2) static inline void name##_b(u8* base, u64 addr, t2 value) { "
      "t1 wrapped = (t1)value; wasm_rt_memcpy(base + addr, &wrapped, sizeof(t1)); }\n";
  // The variants repeat wasm2c's own type lists (DEFINE_LOAD / DEFINE_STORE lines above).
  for (size_t pos = source.find("DEFINE_LOAD("); pos < defs; pos = source.find("DEFINE_LOAD(", pos + 1)) {
    const size_t eol = source.find('\n', pos);
    if (source.compare(pos, 20, "DEFINE_LOAD(name, t1") == 0) continue;  // the macro's own definition
    variants += cat("STRATUS_LOAD_B(", source.substr(pos + 12, eol - pos - 12), "\n");
  }
  for (size_t pos = source.find("DEFINE_STORE("); pos <= defs; pos = source.find("DEFINE_STORE(", pos + 1)) {
    const size_t eol = source.find('\n', pos);
    if (source.compare(pos, 19, "DEFINE_STORE(name, ") == 0) continue;
    variants += cat("STRATUS_STORE_B(", source.substr(pos + 13, eol - pos - 13), "\n");
  }
  source.insert(defs + kLastStore.size(), variants);
  // Each function reads the base once, after its prologue; its accesses use it.
  const std::string prologue = "  FUNC_PROLOGUE;\n";
  const std::string base_local = cat("  u8* const stratus_membase = instance->", field, ".data;\n");
  for (size_t pos = source.find(prologue); pos != std::string::npos; pos = source.find(prologue, pos)) {
    pos += prologue.size();
    source.insert(pos, base_local);
  }
  std::string rewritten;
  rewritten.reserve(source.size());
  const std::string arg = cat("(&instance->", field, ", ");
  size_t from = 0;
  for (size_t at = source.find(arg); at != std::string::npos; at = source.find(arg, at + 1)) {
    size_t name_start = at;
    while (name_start > 0 && (std::isalnum(static_cast<unsigned char>(source[name_start - 1])) ||
                              source[name_start - 1] == '_')) {
      --name_start;
    }
    const std::string_view op(source.data() + name_start, at - name_start);
    const bool is_access = std::find(std::begin(kLoadOps), std::end(kLoadOps), op) != std::end(kLoadOps) ||
                           std::find(std::begin(kStoreOps), std::end(kStoreOps), op) != std::end(kStoreOps);
    if (!is_access) continue;
    rewritten.append(source, from, at - from);
    rewritten += "_b(stratus_membase, ";
    from = at + arg.size();
  }
  rewritten.append(source, from, std::string::npos);
  source = std::move(rewritten);
}

}  // namespace

Expected<PreparedModule> prepareModule(std::span<const uint8_t> wasm, const std::string& name) {
  PreparedModule out;
  {
    wabt::Module module;
    STRATUS_TRY(readModule(wasm, name, &module));
    if (usesSimd(module)) {
      return fail(ErrorCode::kUnavailable,
                  name + ": uses SIMD (v128), which the aot engine does not support yet; use the interp engine");
    }
    auto info = describe(module, name);
    if (!info) return fail(info.takeError());
    out.info = std::move(*info);
  }
  auto instrumented = instrumentForInterrupts(wasm, name);
  if (!instrumented) return fail(instrumented.takeError());
  out.instrumented = std::move(*instrumented);
  return out;
}

Expected<CSources> translateToC(const PreparedModule& prepared, const std::string& name) {
  const ModuleInfo& info = prepared.info;
  wabt::Module module;
  STRATUS_TRY(readModule(prepared.instrumented, name, &module));

  // Rename every import and export. wasm2c writes export and import names verbatim into C comments (a name
  // containing "*/" would inject code) and derives identifiers from them; with our own names the C text depends
  // on nothing the guest chose, and the mangled symbols are known without parsing the header.
  size_t next_export = 0;
  bool saw_interrupt = false;
  for (wabt::Export* exp : module.exports) {
    if (exp->name == kInterruptGlobalExport) {
      exp->name = kInterruptExport;
      saw_interrupt = true;
    } else {
      exp->name = exportName(next_export++);
    }
  }
  if (!saw_interrupt || next_export != info.exports.size()) {
    return fail(ErrorCode::kInternal, name + ": instrumented module does not match its description");
  }
  for (size_t j = 0; j < module.imports.size(); ++j) {
    module.imports[j]->module_name = kImportModule;
    module.imports[j]->field_name = importName(j);
  }
  if (!module.memories.empty()) {
    auto field = std::make_unique<wabt::ExportModuleField>();
    field->export_.name = kMemoryExport;
    field->export_.kind = wabt::ExternalKind::Memory;
    field->export_.var = wabt::Var(0, wabt::Location());
    module.AppendField(std::move(field));
  }
  module.export_bindings.clear();
  for (size_t i = 0; i < module.exports.size(); ++i) {
    module.export_bindings.emplace(module.exports[i]->name, wabt::Binding(static_cast<wabt::Index>(i)));
  }

  if (wabt::Failed(wabt::GenerateNames(&module)) || wabt::Failed(wabt::ApplyNames(&module))) {
    return fail(ErrorCode::kInternal, name + ": wasm2c could not name the module's entities");
  }
  wabt::MemoryStream c_stream;
  wabt::MemoryStream h_stream;
  wabt::WriteCOptions options;
  options.module_name = kModuleName;
  if (wabt::Failed(wabt::WriteC(&c_stream, &h_stream, kHeaderFile, &module, options))) {
    return fail(ErrorCode::kInternal, name + ": wasm2c failed to translate the module");
  }
  const auto& c_data = c_stream.output_buffer().data;
  const auto& h_data = h_stream.output_buffer().data;
  CSources out;
  out.source.assign(c_data.begin(), c_data.end());
  out.header.assign(h_data.begin(), h_data.end());

  // The interrupt flag is written by the watchdog thread while the guest spins: make the global volatile, or the C
  // compiler hoists its load out of a loop that never writes it and the deadline can't stop the loop.
  const std::string getter = cat("Z_", kModuleName, "Z_", kInterruptExport);
  const std::string body = cat(getter, "(Z_", kModuleName, "_instance_t* instance) {\n  return &instance->");
  const size_t at = out.source.find(body);
  std::string field;
  if (at != std::string::npos) {
    for (size_t i = at + body.size(); i < out.source.size(); ++i) {
      const char c = out.source[i];
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) break;
      field += c;
    }
  }
  if (field.empty() || !replaceOnce(out.header, cat("  u32 ", field, ";\n"), cat("  volatile u32 ", field, ";\n")) ||
      !replaceOnce(out.header, cat("u32* ", getter, "("), cat("volatile u32* ", getter, "(")) ||
      !replaceOnce(out.source, cat("u32* ", getter, "("), cat("volatile u32* ", getter, "("))) {
    return fail(ErrorCode::kInternal, cat(name, ": unexpected wasm2c output (interrupt global ", field, ")"));
  }
  // Optional: distinct trap codes for the three ways call_indirect fails (left as is if wasm2c's text differs).
  replaceOnce(out.source, kStockCallIndirect, kOurCallIndirect);
  cacheMemoryBase(out.source);

  out.glue = makeGlue(info);
  return out;
}

}  // namespace stratus::engine::aot
