// Running the system C compiler on generated sources and loading the result.
#pragma once

#include <atomic>
#include <memory>
#include <span>
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
  /// `fd`: the memory file the library was loaded from, or -1; kept open while loaded, closed after dlclose.
  Library(void* handle, const stratus_aot_module* module, int fd) : handle_(handle), module_(module), fd_(fd) {}
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const stratus_aot_module& module() const { return *module_; }

 private:
  void* handle_;
  const stratus_aot_module* module_;
  int fd_;
};

/// How to build libraries.
struct Toolchain {
  std::vector<std::string> compiler;  ///< argv prefix, e.g. {"cc"} or {"ccache", "gcc"}
  std::string optimization;           ///< e.g. "-O2"
  std::string work_dir;               ///< parent of the scratch directories
  bool keep_files = false;
  /// Compile large modules with GCC's parallel link-time optimisation (-flto=auto, when the C source exceeds
  /// kParallelLtoMinSourceBytes): for GCC on more than one core.
  bool parallel_lto = false;
  /// When set, compiles in progress kill their compiler and fail, and later ones fail at once.
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
};

/// Splits a compiler command (empty: $CC, else "cc") and checks that its program is executable: an absolute or
/// relative path as given, else found in PATH. kUnavailable naming the command otherwise.
Expected<std::vector<std::string>> findCompiler(const std::string& command);

/// Whether the default compiler is available; probed once per process.
bool defaultCompilerAvailable();

/// Every compiler flag used for every module, in order (part of the cache key: a change of flags must not reuse a
/// library).
std::vector<std::string> compilerFlags(const Toolchain& toolchain);

/// Size of generated C above which a toolchain with parallel_lto adds -flto=auto.
inline constexpr size_t kParallelLtoMinSourceBytes = 512 * 1024;
/// When -flto=auto is added, as a line of the cache key.
std::string parallelLtoRule(const Toolchain& toolchain);

/// The compiler's identity for cache keys: the command and the first line of its `--version` output (one line;
/// "unknown version" when it prints none). Probed once per command per process.
std::string compilerIdentity(const Toolchain& toolchain);

/// Whether the compiler is GCC (it predefines __GNUC__ but not __clang__). Probed once per command per process.
bool isGcc(const Toolchain& toolchain);

/// Writes the sources to a fresh scratch directory and compiles them into a shared library; returns its bytes.
/// `tag` names the scratch directory; `name` the module in errors. A failed compilation is kInternal with the
/// compiler's output.
Expected<Bytes> compileLibrary(const CSources& sources, const Toolchain& toolchain, const std::string& tag,
                               const std::string& name);

/// Loads library bytes (from a sealed anonymous memory file: nothing can change them between check and load;
/// the file stays open while the library is loaded, so its /proc/self/fd name is unique among loaded libraries
/// and dlopen never mistakes it for another) with RTLD_NOW | RTLD_LOCAL, checks its module descriptor, binds it to the host table and runs its module
/// initialisation. kInternal naming `name` when it is not a loadable stratus module of this ABI.
Expected<std::shared_ptr<Library>> loadLibrary(std::span<const uint8_t> library, const std::string& name);

}  // namespace stratus::engine::aot
