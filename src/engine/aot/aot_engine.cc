// The aot backend: modules translated by wasm2c and compiled by the system C compiler into shared libraries, run on
// our runtime (engine/aot/runtime.h). One zero-initialised block of memory per instance, laid out by the library.
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cstring>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/aot/codegen.h"
#include "engine/aot/disk_cache.h"
#include "engine/aot/runtime.h"
#include "engine/aot/toolchain.h"
#include "engine/imports.h"
#include "engine/watchdog.h"
#include "stratus/common/files.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/engine/aot.h"

namespace stratus::engine {
namespace {

using aot::Library;

uint64_t toSlot(const Value& v, ValueType t) {
  switch (t) {
    case ValueType::kI32: return v.i32;
    case ValueType::kI64: return v.i64;
    case ValueType::kF32: {
      uint32_t bits;
      std::memcpy(&bits, &v.f32, 4);
      return bits;
    }
    case ValueType::kF64: {
      uint64_t bits;
      std::memcpy(&bits, &v.f64, 8);
      return bits;
    }
  }
  return 0;
}

Value fromSlot(uint64_t slot, ValueType t) {
  switch (t) {
    case ValueType::kI32: return Value::makeI32(static_cast<uint32_t>(slot));
    case ValueType::kI64: return Value::makeI64(slot);
    case ValueType::kF32: {
      const auto bits = static_cast<uint32_t>(slot);
      float f;
      std::memcpy(&f, &bits, 4);
      return Value::makeF32(f);
    }
    case ValueType::kF64: {
      double d;
      std::memcpy(&d, &slot, 8);
      return Value::makeF64(d);
    }
  }
  return {};
}

// Names a trap the way the interpreter does, so callers see the same errors from both backends.
Error trapError(uint32_t code, uint64_t memory_bytes) {
  auto trap = [](const char* text) { return Error{ErrorCode::kTrap, text}; };
  switch (code) {
    case WASM_RT_TRAP_OOB: return trap("out of bounds memory or table access");
    case WASM_RT_TRAP_INT_OVERFLOW: return trap("integer overflow");
    case WASM_RT_TRAP_DIV_BY_ZERO: return trap("integer divide by zero");
    case WASM_RT_TRAP_INVALID_CONVERSION: return trap("invalid conversion to integer");
    case WASM_RT_TRAP_UNREACHABLE: return trap("unreachable executed");
    case WASM_RT_TRAP_CALL_INDIRECT: return trap("indirect call failed: undefined element or signature mismatch");
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return trap("uncaught exception");
    case WASM_RT_TRAP_EXHAUSTION:
    case STRATUS_AOT_TRAP_STACK_FAULT: return {ErrorCode::kResourceExhausted, "call stack exhausted"};
    case STRATUS_AOT_TRAP_UNDEFINED_ELEMENT: return trap("undefined table index");
    case STRATUS_AOT_TRAP_UNINITIALIZED_ELEMENT: return trap("uninitialized table element");
    case STRATUS_AOT_TRAP_SIGNATURE_MISMATCH: return trap("indirect call signature mismatch");
    case STRATUS_AOT_TRAP_MEMORY_FAULT: {
      std::string msg = "out of bounds memory access: access at ";
      msg += std::to_string(aot::lastFaultOffset());
      msg += " >= max value ";
      msg += std::to_string(memory_bytes);
      return {ErrorCode::kTrap, std::move(msg)};
    }
    case STRATUS_AOT_TRAP_OUT_OF_MEMORY:
      return {ErrorCode::kResourceExhausted, "out of memory: cannot allocate linear memory or a table"};
    case STRATUS_AOT_TRAP_HOST_ERROR: return {ErrorCode::kInternal, "host function failed without an error"};
    default: {
      std::string msg = "unknown trap code ";
      msg += std::to_string(code);
      return {ErrorCode::kInternal, std::move(msg)};
    }
  }
}

// Libraries built in this process, by module hash: a module compiled again (another engine, another pool) reuses
// the loaded code. Bounded; an evicted library stays loaded while modules still use it.
class LibraryCache {
 public:
  static LibraryCache& shared() {
    static auto* cache = new LibraryCache();  // never destroyed: modules may outlive static destruction
    return *cache;
  }

  std::shared_ptr<Library> find(const std::string& key) {
    MutexLock lock(mu_);
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : it->second;
  }

  // Returns the library to use: an entry another thread inserted first wins.
  std::shared_ptr<Library> insert(const std::string& key, std::shared_ptr<Library> lib) {
    MutexLock lock(mu_);
    auto [it, inserted] = entries_.emplace(key, std::move(lib));
    if (!inserted) return it->second;
    order_.push_back(key);
    if (order_.size() > kCapacity) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    return it->second;
  }

 private:
  static constexpr size_t kCapacity = 64;
  Mutex mu_;
  std::map<std::string, std::shared_ptr<Library>> entries_ STRATUS_GUARDED_BY(mu_);
  std::deque<std::string> order_ STRATUS_GUARDED_BY(mu_);
};

class AotModule;

class AotInstance final : public Instance, public HostContext, public aot::ImportTarget {
 public:
  AotInstance(std::shared_ptr<const AotModule> module, const InstanceOptions& options, void* user_data);
  ~AotInstance() override;

  Expected<void> init(std::span<const HostFunction> host_functions);

  Expected<FunctionHandle> findFunction(std::string_view export_name) const override;
  const FunctionType& functionType(FunctionHandle fn) const override;
  Expected<void> call(FunctionHandle fn, std::span<const Value> args, std::span<Value> results) override;
  using Instance::call;
  MemoryView memory() override;
  void interrupt() override;

  // HostContext
  void* userData() override { return user_data_; }

  // aot::ImportTarget
  int callImport(uint32_t index, const uint64_t* args, uint64_t* results) noexcept override;

 private:
  Expected<void> finishCall(uint32_t code, bool fired);
  uint64_t memoryBytes() const { return memory_ ? uint64_t{memory_->pages} * kWasmPageSize : 0; }

  std::shared_ptr<const AotModule> module_;  // keeps the library loaded
  const stratus_aot_module* code_;  // null when the module has non-function imports (init() refuses it)
  InstanceOptions options_;
  void* user_data_;
  void* state_ = nullptr;  // the wasm2c instance struct
  bool initialised_ = false;
  wasm_rt_memory_t* memory_ = nullptr;
  volatile uint32_t* interrupt_flag_ = nullptr;
  std::vector<HostFunction> host_functions_;
  std::optional<Error> host_error_;  // error a host function failed with, during the current call
  CallDeadline deadline_;
  bool watched_ = false;
  aot::ImportContext import_context_{this};
};

class AotModule final : public Module, public std::enable_shared_from_this<AotModule> {
 public:
  struct Function {
    std::string name;
    FunctionType type;
    stratus_aot_invoker invoker;
  };

  AotModule(std::string name, aot::ModuleInfo info, std::shared_ptr<Library> library)
      : name_(std::move(name)), info_(std::move(info)), library_(std::move(library)) {
    if (!library_) return;
    const stratus_aot_module& code = library_->module();
    for (size_t k = 0; k < info_.exports.size(); ++k) {
      if (info_.callable[k] && code.invokers[k] != nullptr) {
        functions_.push_back({info_.exports[k].name, info_.exports[k].type, code.invokers[k]});
      }
    }
  }

  const std::vector<ImportDesc>& imports() const override { return info_.imports; }
  const std::vector<ExportDesc>& exports() const override { return info_.exports; }
  const std::string& name() const { return name_; }
  const aot::ModuleInfo& info() const { return info_; }
  const stratus_aot_module& code() const { return library_->module(); }
  const std::vector<Function>& functions() const { return functions_; }

  Expected<std::unique_ptr<Instance>> instantiate(std::span<const HostFunction> host_functions,
                                                  const InstanceOptions& options, void* user_data) const override {
    if (options.max_memory_pages > 0 && info_.has_memory && info_.memory_initial_pages > options.max_memory_pages) {
      return fail(ErrorCode::kResourceExhausted, name_ + ": module needs " +
                                                     std::to_string(info_.memory_initial_pages) +
                                                     " initial memory pages, above the cap of " +
                                                     std::to_string(options.max_memory_pages));
    }
    if (info_.has_memory && info_.memory_initial_pages > aot::kMaxMemoryPages) {
      return fail(ErrorCode::kResourceExhausted, name_ + ": module needs " +
                                                     std::to_string(info_.memory_initial_pages) +
                                                     " initial memory pages, above the aot engine's limit of " +
                                                     std::to_string(aot::kMaxMemoryPages));
    }
    auto inst = std::make_unique<AotInstance>(shared_from_this(), options, user_data);
    auto r = inst->init(host_functions);
    if (!r) return fail(r.takeError());
    return std::unique_ptr<Instance>(std::move(inst));
  }

 private:
  std::string name_;
  aot::ModuleInfo info_;
  std::shared_ptr<Library> library_;  // null when the module has non-function imports (never instantiable)
  std::vector<Function> functions_;
};

AotInstance::AotInstance(std::shared_ptr<const AotModule> module, const InstanceOptions& options, void* user_data)
    : module_(std::move(module)),
      code_(module_->info().non_function_import.empty() ? &module_->code() : nullptr),
      options_(options),
      user_data_(user_data) {}

AotInstance::~AotInstance() {
  if (watched_) Watchdog::shared().remove(this);
  if (state_ != nullptr) {
    if (initialised_) code_->free_instance(state_);
    std::free(state_);
  }
}

Expected<void> AotInstance::init(std::span<const HostFunction> host_functions) {
  const std::string& name = module_->name();
  auto resolved = resolveImports(name, module_->imports(), host_functions);
  if (!resolved) return fail(resolved.takeError());
  host_functions_ = std::move(*resolved);

  state_ = std::calloc(1, code_->instance_size == 0 ? 1 : code_->instance_size);
  if (state_ == nullptr) return fail(ErrorCode::kResourceExhausted, name + ": out of memory for an instance");
  initialised_ = true;  // from here on free_instance() is safe: it frees only what instantiate allocated
  // Both point into the instance struct and are valid before its memory exists: a start function calling the
  // host already sees the initialised memory.
  memory_ = code_->memory(state_);
  interrupt_flag_ = code_->interrupt_flag(state_);
  if (options_.call_timeout.count() > 0) {
    Watchdog::shared().add(this, &deadline_);
    watched_ = true;
  }
  const uint32_t code = aot::instantiate(*code_, state_, &import_context_, options_.max_memory_pages);
  if (code != 0) {
    if (host_error_) {
      Error e = std::move(*host_error_);
      host_error_.reset();
      return fail(std::move(e));
    }
    Error e = trapError(code, memoryBytes());
    return fail(e.code, name + ": instantiation failed: " + e.message);
  }
  return ok();
}

Expected<FunctionHandle> AotInstance::findFunction(std::string_view export_name) const {
  const auto& fns = module_->functions();
  for (size_t i = 0; i < fns.size(); ++i) {
    if (fns[i].name == export_name) return FunctionHandle{static_cast<uint32_t>(i)};
  }
  return fail(ErrorCode::kNotFound, module_->name() + ": no exported function '" + std::string(export_name) + "'");
}

const FunctionType& AotInstance::functionType(FunctionHandle fn) const { return module_->functions()[fn.index].type; }

MemoryView AotInstance::memory() {
  if (memory_ == nullptr || memory_->data == nullptr) return {};
  return {memory_->data, memoryBytes()};
}

void AotInstance::interrupt() {
  // Any thread: an aligned 32-bit store that the guest reads (volatile) at its next function entry or loop header.
  std::atomic_ref<uint32_t>(*const_cast<uint32_t*>(interrupt_flag_)).store(1, std::memory_order_relaxed);
}

int AotInstance::callImport(uint32_t index, const uint64_t* args, uint64_t* results) noexcept {
  const HostFunction& fn = host_functions_[index];
  const size_t np = fn.type.params.size();
  const size_t nr = fn.type.results.size();
  std::array<Value, 16> arg_storage;
  std::array<Value, 4> result_storage;
  std::vector<Value> arg_heap;
  std::vector<Value> result_heap;
  try {
    std::span<Value> in(arg_storage.data(), np);
    if (np > arg_storage.size()) {
      arg_heap.resize(np);
      in = arg_heap;
    }
    std::span<Value> out(result_storage.data(), nr);
    if (nr > result_storage.size()) {
      result_heap.resize(nr);
      out = result_heap;
    }
    for (size_t i = 0; i < np; ++i) in[i] = fromSlot(args[i], fn.type.params[i]);
    for (size_t i = 0; i < nr; ++i) out[i].type = fn.type.results[i];
    auto r = fn.callback(*this, in, out);
    if (!r) {
      host_error_ = r.takeError();
      return 1;
    }
    for (size_t i = 0; i < nr; ++i) results[i] = toSlot(out[i], fn.type.results[i]);
    return 0;
  } catch (const std::exception& e) {
    // An exception must not unwind through the generated C frames (compiled without unwind tables).
    host_error_ = Error{ErrorCode::kInternal, "host function " + fn.module + "." + fn.name + " threw: " + e.what()};
  } catch (...) {
    host_error_ = Error{ErrorCode::kInternal, "host function " + fn.module + "." + fn.name + " threw"};
  }
  return 1;
}

Expected<void> AotInstance::call(FunctionHandle fn, std::span<const Value> args, std::span<Value> results) {
  const auto& fns = module_->functions();
  if (fn.index >= fns.size()) return fail(ErrorCode::kInvalidArgument, "invalid function handle");
  const auto& target = fns[fn.index];
  if (args.size() != target.type.params.size() || results.size() != target.type.results.size()) {
    return fail(ErrorCode::kInvalidArgument, "call of '" + target.name + "' " + toString(target.type) + " with " +
                                                 std::to_string(args.size()) + " arguments and " +
                                                 std::to_string(results.size()) + " results");
  }
  std::array<uint64_t, 16> arg_storage;
  std::array<uint64_t, 8> result_storage;
  std::vector<uint64_t> arg_heap;
  std::vector<uint64_t> result_heap;
  uint64_t* in = arg_storage.data();
  uint64_t* out = result_storage.data();
  if (args.size() > arg_storage.size()) {
    arg_heap.resize(args.size());
    in = arg_heap.data();
  }
  if (results.size() > result_storage.size()) {
    result_heap.resize(results.size());
    out = result_heap.data();
  }
  for (size_t i = 0; i < args.size(); ++i) in[i] = toSlot(args[i], target.type.params[i]);

  *interrupt_flag_ = 0;  // a late interrupt of the previous call
  host_error_.reset();
  const bool timed = options_.call_timeout.count() > 0;
  if (timed) deadline_.begin(options_.call_timeout);
  const uint32_t code = aot::invoke(target.invoker, state_, in, out);
  const bool fired = timed && deadline_.end();
  if (code != 0) return finishCall(code, fired);
  for (size_t i = 0; i < results.size(); ++i) results[i] = fromSlot(out[i], target.type.results[i]);
  return ok();
}

Expected<void> AotInstance::finishCall(uint32_t code, bool fired) {
  if (host_error_) {
    Error e = std::move(*host_error_);
    host_error_.reset();
    return fail(std::move(e));
  }
  if (fired || *interrupt_flag_ != 0) {
    std::string msg = "call exceeded its deadline of ";
    msg += std::to_string(options_.call_timeout.count());
    msg += " ms";
    return fail(ErrorCode::kDeadlineExceeded, std::move(msg));
  }
  return fail(trapError(code, memoryBytes()));
}

class AotBackend final : public AotEngine {
 public:
  AotBackend(aot::Toolchain toolchain, std::string cache_dir, uint64_t cache_max_bytes)
      : toolchain_(std::move(toolchain)), disk_(std::move(cache_dir), cache_max_bytes) {
    identity_parts_ = toolchain_.compiler;
    for (auto& f : aot::compilerFlags(toolchain_)) identity_parts_.push_back(std::move(f));
    identity_parts_.push_back(aot::parallelLtoRule(toolchain_));
    identity_parts_.push_back(std::to_string(STRATUS_AOT_ABI_VERSION));
    identity_parts_.push_back("codegen " + std::to_string(aot::kCodegenRevision));
    identity_parts_.push_back(STRATUS_VERSION);
    compiler_ = aot::compilerIdentity(toolchain_);
    identity_parts_.push_back(compiler_);
  }

  Backend backend() const override { return Backend::kAot; }
  const std::string& cacheDir() const override { return disk_.dir(); }
  void cancelCompiles() override { toolchain_.cancelled->store(true); }

  Expected<std::shared_ptr<const Module>> compile(std::span<const uint8_t> wasm,
                                                  const CompileOptions& options) override {
    return compileModule(wasm, options, /*build=*/true);
  }

  Expected<std::shared_ptr<const Module>> compileIfCached(std::span<const uint8_t> wasm,
                                                          const CompileOptions& options) override {
    return compileModule(wasm, options, /*build=*/false);
  }

  Expected<std::string> cacheEntryPath(std::span<const uint8_t> wasm, const CompileOptions& options) override {
    if (disk_.dir().empty()) return std::string();
    auto prepared = aot::prepareModule(wasm, options.name);
    if (!prepared) return fail(prepared.takeError());
    return disk_.entryPath(identity(*prepared).key).string();
  }

 private:
  aot::CacheIdentity identity(const aot::PreparedModule& prepared) const {
    return {aot::sha256Hex(prepared.instrumented, identity_parts_), STRATUS_VERSION, STRATUS_AOT_ABI_VERSION,
            compiler_};
  }

  // The module's code from this process, else from the disk cache, else (when `build`) from the C compiler.
  Expected<std::shared_ptr<const Module>> compileModule(std::span<const uint8_t> wasm, const CompileOptions& options,
                                                        bool build) {
    auto prepared = aot::prepareModule(wasm, options.name);
    if (!prepared) return fail(prepared.takeError());
    std::shared_ptr<Library> library;
    if (prepared->info.non_function_import.empty()) {
      const aot::CacheIdentity id = identity(*prepared);
      library = LibraryCache::shared().find(id.key);
      if (!library) library = loadFromDisk(id, *prepared, options.name);
      if (!library) {
        if (!build) return std::shared_ptr<const Module>();
        auto built = buildAndStore(id, *prepared, options.name);
        if (!built) return fail(built.takeError());
        library = std::move(*built);
      }
      library = LibraryCache::shared().insert(id.key, std::move(library));
    }
    return std::shared_ptr<const Module>(
        std::make_shared<AotModule>(options.name, std::move(prepared->info), std::move(library)));
  }

  std::shared_ptr<Library> loadFromDisk(const aot::CacheIdentity& id, const aot::PreparedModule& prepared,
                                        const std::string& name) {
    if (disk_.dir().empty()) return nullptr;
    aot::CacheLookup found = disk_.load(id);
    if (found.library) {
      auto loaded = checked(aot::loadLibrary(*found.library, name), prepared, name);
      if (loaded) return std::move(*loaded);
      disk_.remove(id.key);
      found.problem = disk_.entryPath(id.key).string() + ": " + loaded.error().message;
    }
    if (!found.problem.empty()) {
      spdlog::warn("aot cache: unusable entry for {} ({}); it is rebuilt", name, found.problem);
    }
    return nullptr;
  }

  Expected<std::shared_ptr<Library>> buildAndStore(const aot::CacheIdentity& id, const aot::PreparedModule& prepared,
                                                   const std::string& name) {
    auto sources = aot::translateToC(prepared, name);
    if (!sources) return fail(sources.takeError());
    auto bytes = aot::compileLibrary(*sources, toolchain_, id.key.substr(0, 16), name);
    if (!bytes) return fail(bytes.takeError());
    auto library = checked(aot::loadLibrary(*bytes, name), prepared, name);
    if (!library) return fail(library.takeError());
    if (!disk_.dir().empty()) {
      // A cache that cannot be written costs the next process a compile, nothing more.
      if (auto stored = disk_.store(id, name, *bytes); !stored) {
        spdlog::warn("aot cache: cannot store the code of {}: {}", name, stored.error().message);
      }
    }
    return library;
  }

  static Expected<std::shared_ptr<Library>> checked(Expected<std::shared_ptr<Library>> library,
                                                    const aot::PreparedModule& prepared, const std::string& name) {
    if (library && (*library)->module().export_count != prepared.info.exports.size()) {
      return fail(ErrorCode::kInternal, name + ": compiled module does not match its exports");
    }
    return library;
  }

  aot::Toolchain toolchain_;
  aot::DiskCache disk_;
  std::string compiler_;
  std::vector<std::string> identity_parts_;
};

}  // namespace

Expected<std::unique_ptr<AotEngine>> createAotEngine(const AotOptions& options) {
  auto compiler = aot::findCompiler(options.compiler);
  if (!compiler) return fail(compiler.takeError());
  aot::Toolchain toolchain;
  toolchain.compiler = std::move(*compiler);
  toolchain.optimization = options.optimization.empty() ? "-O2" : options.optimization;
  toolchain.work_dir = options.work_dir;
  if (toolchain.work_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    toolchain.work_dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  toolchain.keep_files = options.keep_files;
  toolchain.parallel_lto = std::thread::hardware_concurrency() > 1 && aot::isGcc(toolchain);
  std::string cache_dir;
  if (options.disk_cache) cache_dir = options.cache_dir.empty() ? defaultCacheDir("aot") : options.cache_dir;
  aot::installSignalHandlers();
  return std::unique_ptr<AotEngine>(
      std::make_unique<AotBackend>(std::move(toolchain), std::move(cache_dir), options.cache_max_bytes));
}

}  // namespace stratus::engine
