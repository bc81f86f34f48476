// Shared by the engine backends: matching a module's imports with the host functions offered at instantiation,
// and wabt's extern kinds in our terms.
#pragma once

#include <wabt/common.h>

#include <span>
#include <string>
#include <vector>

#include "stratus/engine/engine.h"

namespace stratus::engine {

/// The host function for each import of `imports`, in declaration order. Errors, named after `module_name` and the
/// import: kNotFound for a non-function import or an unresolved one, kInvalidArgument for a signature mismatch.
Expected<std::vector<HostFunction>> resolveImports(const std::string& module_name,
                                                   const std::vector<ImportDesc>& imports,
                                                   std::span<const HostFunction> host_functions);

/// wabt's extern kind as ours.
inline ExternKind externKindOf(wabt::ExternalKind k) {
  switch (k) {
    case wabt::ExternalKind::Func: return ExternKind::kFunction;
    case wabt::ExternalKind::Table: return ExternKind::kTable;
    case wabt::ExternalKind::Memory: return ExternKind::kMemory;
    case wabt::ExternalKind::Global: return ExternKind::kGlobal;
    case wabt::ExternalKind::Tag: return ExternKind::kTag;
  }
  return ExternKind::kFunction;
}

}  // namespace stratus::engine
