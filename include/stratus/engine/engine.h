// The engine interface: compile a wasm module once, create many instances from it, call exports, and give host
// functions bounds-checked access to linear memory. Every backend (interp, aot) implements these classes; nothing
// here knows about waPC, claims or providers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::engine {

/// Wasm value types a host function or export may take or return (numeric only).
enum class ValueType : uint8_t { kI32, kI64, kF32, kF64 };

/// A wasm value. Only the member matching `type` is meaningful.
struct Value {
  ValueType type = ValueType::kI32;
  union {
    uint32_t i32;
    uint64_t i64;
    float f32;
    double f64;
  };
  Value() : i64(0) {}
  static Value makeI32(uint32_t v) { Value r; r.type = ValueType::kI32; r.i32 = v; return r; }
  static Value makeI64(uint64_t v) { Value r; r.type = ValueType::kI64; r.i64 = v; return r; }
  static Value makeF32(float v) { Value r; r.type = ValueType::kF32; r.f32 = v; return r; }
  static Value makeF64(double v) { Value r; r.type = ValueType::kF64; r.f64 = v; return r; }
};

/// A function signature.
struct FunctionType {
  std::vector<ValueType> params;
  std::vector<ValueType> results;
  bool operator==(const FunctionType&) const = default;
};

/// "(i32, i32) -> (i32)".
std::string toString(const FunctionType& type);

/// Kinds of import/export.
enum class ExternKind : uint8_t { kFunction, kTable, kMemory, kGlobal, kTag };

/// One import of a module, in declaration order.
struct ImportDesc {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::kFunction;
  FunctionType type;  ///< meaningful for functions only
};

/// One export of a module, in declaration order.
struct ExportDesc {
  std::string name;
  ExternKind kind = ExternKind::kFunction;
  FunctionType type;  ///< meaningful for functions only
};

/// Size of a wasm page in bytes.
inline constexpr uint64_t kWasmPageSize = 65536;

/// A bounds-checked view of one instance's linear memory. Valid only until the guest runs again (memory.grow may
/// move it); obtain a fresh one for every host function invocation. Every accessor checks `ptr + len` against the
/// memory size in 64-bit arithmetic, so no guest value can make it touch host memory.
class MemoryView {
 public:
  MemoryView() = default;
  MemoryView(uint8_t* base, uint64_t size) : base_(base), size_(size) {}

  /// Size of the memory in bytes (0 when the module has no memory).
  uint64_t size() const { return size_; }

  /// The bytes [ptr, ptr+len), or kOutOfBounds naming the range and the memory size.
  Expected<std::span<uint8_t>> span(uint32_t ptr, uint32_t len) const;
  /// A copy of [ptr, ptr+len), or kOutOfBounds.
  Expected<Bytes> read(uint32_t ptr, uint32_t len) const;
  /// Copies `bytes` to ptr, or kOutOfBounds without writing anything.
  Expected<void> write(uint32_t ptr, std::span<const uint8_t> bytes) const;

 private:
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

/// What a host function sees of the calling instance.
class HostContext {
 public:
  virtual ~HostContext() = default;
  /// The instance's memory as it is now (exported "memory", else the first memory).
  virtual MemoryView memory() = 0;
  /// The user data given at instantiation (not owned).
  virtual void* userData() = 0;
};

/// A host function body. Returning an error traps the guest; the call then fails with this error (its code and
/// message are kept). `results` is pre-sized to the function type.
using HostCallback =
    std::function<Expected<void>(HostContext& ctx, std::span<const Value> args, std::span<Value> results)>;

/// A host function offered to modules that import (module, name) with exactly `type`.
struct HostFunction {
  std::string module;
  std::string name;
  FunctionType type;
  HostCallback callback;
};

/// Per-instance limits.
struct InstanceOptions {
  /// Upper bound of linear memory in 64 KiB pages; 0 = the module's own maximum (or 65536).
  uint32_t max_memory_pages = 0;
  /// Wall-clock limit of one call (including nested host calls); zero = none.
  std::chrono::milliseconds call_timeout{0};
};

/// Handle of an exported function of an instance, resolved once by name.
struct FunctionHandle {
  uint32_t index = 0;
};

/// One instantiation of a module: its own memory, globals and tables. Not thread-safe: one thread calls into it
/// at a time. `interrupt()` is the exception and may be called from any thread.
class Instance {
 public:
  virtual ~Instance() = default;

  /// Resolves an exported function, or kNotFound.
  virtual Expected<FunctionHandle> findFunction(std::string_view export_name) const = 0;
  /// The export's signature.
  virtual const FunctionType& functionType(FunctionHandle fn) const = 0;
  /// Calls an exported function. `results` must have the size of the function's results. On a trap the error
  /// names it (kTrap "unreachable executed", kDeadlineExceeded, kResourceExhausted for stack exhaustion, or the
  /// host function's error); the instance stays usable for later calls, though its guest state may be
  /// inconsistent: callers that care replace it.
  virtual Expected<void> call(FunctionHandle fn, std::span<const Value> args, std::span<Value> results) = 0;
  /// Convenience: resolve and call by name.
  Expected<void> call(std::string_view export_name, std::span<const Value> args, std::span<Value> results);

  /// The instance's memory.
  virtual MemoryView memory() = 0;
  /// Makes the call in progress (if any) trap with kDeadlineExceeded soon. Thread-safe.
  virtual void interrupt() = 0;
};

/// A compiled, validated module. Immutable and shareable between threads; instantiate() is thread-safe.
class Module {
 public:
  virtual ~Module() = default;

  virtual const std::vector<ImportDesc>& imports() const = 0;
  virtual const std::vector<ExportDesc>& exports() const = 0;

  /// Creates an instance, resolving every function import from `host_functions` by (module, name) and checking
  /// its signature. An unresolved import or a mismatched signature is kNotFound / kInvalidArgument naming it; a
  /// trap in the start function or a failed segment initialisation is kTrap. `user_data` is handed to host
  /// functions through HostContext::userData().
  virtual Expected<std::unique_ptr<Instance>> instantiate(std::span<const HostFunction> host_functions,
                                                          const InstanceOptions& options,
                                                          void* user_data) const = 0;
};

/// Compilation options.
struct CompileOptions {
  /// Name used in error messages (e.g. the file name).
  std::string name = "module";
};

/// The engine backends of this build. A new backend is added here and in the registry in engine.cc; everything
/// that chooses an engine by name (host, manifest, CLI, tests, benchmarks) takes it from there.
enum class Backend : uint8_t {
  kInterp,  ///< the wabt 1.0.32 interpreter: starts at once, needs nothing at run time
  kAot,     ///< wasm2c + the system C compiler: native code, needs a C compiler at run time
};

/// The backend's name as users write it ("interp", "aot").
std::string_view backendName(Backend backend);

/// The backend of that name, or kInvalidArgument naming the known ones.
Expected<Backend> parseBackend(std::string_view name);

/// Every backend of this build, the default first.
std::vector<Backend> allBackends();

/// The backends that can be created here, the default first (aot only when a C compiler is found).
std::vector<Backend> availableBackends();

/// Options of the aot backend.
struct AotOptions {
  /// C compiler command (a path or a name looked up in PATH; words split on spaces, e.g. "ccache gcc"). Empty:
  /// $CC when set, else "cc".
  std::string compiler{};
  /// Optimisation flag handed to the compiler.
  std::string optimization = "-O2";
  /// Directory for the per-compilation scratch directories; empty: $TMPDIR, else /tmp.
  std::string work_dir{};
  /// Keep each scratch directory (generated C, compiler output, library) after loading, for debugging. They are
  /// `work_dir`/stratus-aot-<first 16 hex digits of the module hash>-XXXXXX; otherwise they are removed at once.
  bool keep_files = false;
  /// Keep compiled libraries in, and load them from, the on-disk cache shared by every process of the user.
  bool disk_cache = true;
  /// Directory of the on-disk cache; empty: $XDG_CACHE_HOME/stratus/aot, else ~/.cache/stratus/aot, else
  /// $TMPDIR/stratus-cache/aot.
  std::string cache_dir{};
  /// Size limit of the on-disk cache: after storing an entry, the least recently used (stored or loaded) entries
  /// are removed until the rest fit. 0: no limit.
  uint64_t cache_max_bytes = uint64_t{512} << 20;
};

/// Options of every backend; each backend reads its own.
struct EngineOptions {
  AotOptions aot{};
};

/// A wasm engine backend. Thread-safe.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual Backend backend() const = 0;
  /// The backend's name ("interp", "aot").
  std::string_view name() const { return backendName(backend()); }
  /// Validates and compiles a module. A malformed or invalid module is kMalformed with the parser's message.
  virtual Expected<std::shared_ptr<const Module>> compile(std::span<const uint8_t> wasm,
                                                          const CompileOptions& options = {}) = 0;
  /// The module when the backend has its code at hand without the expensive part of compiling (a backend with a
  /// cache: loaded already or in its cache); nullptr otherwise, and always for backends without a cache. Errors
  /// as compile() for an invalid module.
  virtual Expected<std::shared_ptr<const Module>> compileIfCached(std::span<const uint8_t> wasm,
                                                                  const CompileOptions& options = {}) {
    return std::shared_ptr<const Module>();
  }
  /// For shutting down: compiles in progress end as soon as they can, failing with kUnavailable, and so do later
  /// ones. Modules compiled already are unaffected. Thread-safe. No-op for backends that compile quickly.
  virtual void cancelCompiles() {}
};

/// Creates a backend: kUnavailable when it cannot work here (aot without a C compiler), with the reason.
Expected<std::unique_ptr<Engine>> createEngine(Backend backend, const EngineOptions& options = {});

}  // namespace stratus::engine
