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

/// A wasm engine backend. Thread-safe.
class Engine {
 public:
  virtual ~Engine() = default;
  /// Backend name ("interp", "aot").
  virtual std::string_view name() const = 0;
  /// Validates and compiles a module. A malformed or invalid module is kMalformed with the parser's message.
  virtual Expected<std::shared_ptr<const Module>> compile(std::span<const uint8_t> wasm,
                                                          const CompileOptions& options = {}) = 0;
};

/// Names of the backends compiled into this build, the default first.
std::vector<std::string> availableEngines();

/// Creates a backend by name, or kNotFound listing the available ones.
Expected<std::unique_ptr<Engine>> createEngine(std::string_view name);

}  // namespace stratus::engine
