// Running the system C compiler on generated sources and loading the result.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/aot/abi.h"
#include "engine/aot/codegen.h"
#include "stratus/common/expected.h"

namespace stratus::engine::aot {

/// A loaded module library. Bound to the host table and initialised; unloaded when the last reference goes, so
/// every instance must hold one.
class Library {
 public:
  Library(void* handle, const stratus_aot_module* module) : handle_(handle), module_(module) {}
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const stratus_aot_module& module() const { return *module_; }

 private:
  void* handle_;
  const stratus_aot_module* module_;
};

/// How to build libraries.
struct Toolchain {
  std::vector<std::string> compiler;  ///< argv prefix, e.g. {"cc"} or {"ccache", "gcc"}
  std::string optimization;           ///< e.g. "-O2"
  std::string work_dir;               ///< parent of the scratch directories
  bool keep_files = false;
};

/// Splits a compiler command (empty: $CC, else "cc") and checks that its program is executable: an absolute or
/// relative path as given, else found in PATH. kUnavailable naming the command otherwise.
Expected<std::vector<std::string>> findCompiler(const std::string& command);

/// Whether the default compiler is available; probed once per process.
bool defaultCompilerAvailable();

/// Every compiler flag used, in order (part of the cache key: a change of flags must not reuse a library).
std::vector<std::string> compilerFlags(const Toolchain& toolchain);

/// Writes the sources to a fresh scratch directory, compiles them into a shared library, loads it (RTLD_NOW |
/// RTLD_LOCAL), binds it to the host table and runs its module initialisation. `tag` names the scratch directory;
/// `name` the module in errors. A failed compilation is kInternal with the compiler's output.
Expected<std::shared_ptr<Library>> buildLibrary(const CSources& sources, const Toolchain& toolchain,
                                                const std::string& tag, const std::string& name);

}  // namespace stratus::engine::aot
