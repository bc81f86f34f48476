#include "engine/imports.h"

namespace stratus::engine {

Expected<std::vector<HostFunction>> resolveImports(const std::string& module_name,
                                                   const std::vector<ImportDesc>& imports,
                                                   std::span<const HostFunction> host_functions) {
  std::vector<HostFunction> resolved;
  resolved.reserve(imports.size());
  for (const auto& imp : imports) {
    const std::string what = module_name + ": import " + imp.module + "." + imp.name;
    if (imp.kind != ExternKind::kFunction) {
      return fail(ErrorCode::kNotFound, what + " is not a function; only function imports can be provided");
    }
    const HostFunction* found = nullptr;
    for (const auto& hf : host_functions) {
      if (hf.module == imp.module && hf.name == imp.name) {
        found = &hf;
        break;
      }
    }
    if (found == nullptr) {
      return fail(ErrorCode::kNotFound,
                  module_name + ": unresolved import " + imp.module + "." + imp.name + " " + toString(imp.type));
    }
    if (!(found->type == imp.type)) {
      return fail(ErrorCode::kInvalidArgument,
                  what + " expects " + toString(imp.type) + " but the host provides " + toString(found->type));
    }
    resolved.push_back(*found);
  }
  return resolved;
}

}  // namespace stratus::engine
