// wasm → C for the aot engine: validation, description, interrupt instrumentation, wasm2c (libwabt's C writer) and
// the glue that connects the generated code to our runtime (engine/aot/abi.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "stratus/common/expected.h"
#include "stratus/engine/engine.h"

namespace stratus::engine::aot {

/// What the engine needs to know of a module, taken from its original bytes.
struct ModuleInfo {
  std::vector<ImportDesc> imports;
  std::vector<ExportDesc> exports;  ///< without the instrumentation's global
  std::vector<bool> callable;       ///< per export: a function whose parameters and results are all numeric
  /// "module.name" of the first import that is not a function; such a module compiles but cannot be instantiated.
  std::string non_function_import;
  bool has_memory = false;             ///< defines a linear memory
  uint64_t memory_initial_pages = 0;   ///< its initial size
};

/// A validated module and its instrumented bytes (engine/instrument.h), ready for translation.
struct PreparedModule {
  ModuleInfo info;
  Bytes instrumented;
};

/// Validates `wasm`, describes it and instruments it. An invalid module is kMalformed naming `name`; a function
/// import with a type the host cannot provide is kInvalidArgument (as in the interpreter).
Expected<PreparedModule> prepareModule(std::span<const uint8_t> wasm, const std::string& name);

/// The C files of one module: wasm2c's header and source, and the glue that includes the source (compile only
/// the glue).
struct CSources {
  std::string header;  ///< kHeaderFile
  std::string source;  ///< kSourceFile
  std::string glue;    ///< kGlueFile
};

/// Revision of the C this file generates: part of the compile cache key, so code cached by an earlier code
/// generator is never reused. Bump it with every change to the generated text.
inline constexpr int kCodegenRevision = 2;

inline constexpr const char* kHeaderFile = "module.h";
inline constexpr const char* kSourceFile = "module.c";
inline constexpr const char* kGlueFile = "glue.c";

/// Translates a prepared module (without non-function imports) to C. Every name that reaches the C text is
/// generated here (exports, imports and internal names are renamed first), so nothing of the guest's strings can
/// end up in the source the C compiler sees.
Expected<CSources> translateToC(const PreparedModule& module, const std::string& name);

}  // namespace stratus::engine::aot
