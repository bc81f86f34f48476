// The wabt interpreter backend. One wabt Store + Thread per instance (a Store is not thread-safe), each created
// from a shared, validated and instrumented ModuleDesc.
#include <wabt/binary-reader.h>
#include <wabt/error-formatter.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

#include <array>
#include <optional>

#include "engine/imports.h"
#include "engine/instrument.h"
#include "engine/watchdog.h"
#include "stratus/engine/interp.h"

namespace stratus::engine {
namespace {

namespace wi = wabt::interp;

Expected<ValueType> fromWabt(wabt::Type t, std::string_view where) {
  switch (t) {
    case wabt::Type::I32: return ValueType::kI32;
    case wabt::Type::I64: return ValueType::kI64;
    case wabt::Type::F32: return ValueType::kF32;
    case wabt::Type::F64: return ValueType::kF64;
    default:
      return fail(ErrorCode::kInvalidArgument,
                  std::string(where) + ": value type " + t.GetName() + " is not supported at the host boundary");
  }
}

// Host-visible signature of a wabt function type; reference/vector types become nullopt (not callable from the host).
std::optional<FunctionType> convertType(const wi::FuncType& t) {
  FunctionType out;
  for (auto p : t.params) {
    auto v = fromWabt(p, "");
    if (!v) return std::nullopt;
    out.params.push_back(*v);
  }
  for (auto r : t.results) {
    auto v = fromWabt(r, "");
    if (!v) return std::nullopt;
    out.results.push_back(*v);
  }
  return out;
}

wi::Value toWabtValue(const Value& v) {
  switch (v.type) {
    case ValueType::kI32: return wi::Value::Make(v.i32);
    case ValueType::kI64: return wi::Value::Make(v.i64);
    case ValueType::kF32: return wi::Value::Make(v.f32);
    case ValueType::kF64: return wi::Value::Make(v.f64);
  }
  return wi::Value::Make(v.i32);
}

Value fromWabtValue(const wi::Value& v, ValueType t) {
  switch (t) {
    case ValueType::kI32: return Value::makeI32(v.Get<wi::u32>());
    case ValueType::kI64: return Value::makeI64(v.Get<wi::u64>());
    case ValueType::kF32: return Value::makeF32(v.Get<wi::f32>());
    case ValueType::kF64: return Value::makeF64(v.Get<wi::f64>());
  }
  return {};
}

Error trapToError(const std::string& message) {
  if (message == "call stack exhausted") return {ErrorCode::kResourceExhausted, message};
  return {ErrorCode::kTrap, message};
}

class InterpModule;

class InterpInstance final : public Instance, public HostContext {
 public:
  InterpInstance(const InterpModule& module, const InstanceOptions& options, void* user_data);
  ~InterpInstance() override;

  Expected<void> init(std::span<const HostFunction> host_functions);

  Expected<FunctionHandle> findFunction(std::string_view export_name) const override;
  const FunctionType& functionType(FunctionHandle fn) const override { return exports_[fn.index].type; }
  Expected<void> call(FunctionHandle fn, std::span<const Value> args, std::span<Value> results) override;
  using Instance::call;
  MemoryView memory() override;
  void interrupt() override;

  // HostContext
  void* userData() override { return user_data_; }

 private:
  struct ExportedFunction {
    std::string name;
    wi::Func::Ptr func;
    FunctionType type;
  };

  Expected<void> finishCall(wabt::Result result, const wi::Trap::Ptr& trap, bool fired);
  wabt::Result invokeHost(const HostFunction& fn, const wi::Values& params, wi::Values& results, wi::Trap::Ptr* trap);

  const InterpModule& module_;
  InstanceOptions options_;
  void* user_data_;
  wi::Store store_;
  std::unique_ptr<wi::Thread> thread_;
  wi::Instance::Ptr instance_;
  wi::Memory::Ptr memory_;
  wi::Global::Ptr interrupt_flag_;
  std::vector<ExportedFunction> exports_;
  std::vector<HostFunction> host_functions_;  // kept alive for the callbacks
  std::optional<Error> host_error_;           // error a host function trapped with, during the current call
  wi::Values args_buf_;
  wi::Values results_buf_;
  CallDeadline deadline_;
};

class InterpModule final : public Module {
 public:
  InterpModule(wi::ModuleDesc desc, std::string name) : desc_(std::move(desc)), name_(std::move(name)) {}

  Expected<void> describe() {
    for (const auto& imp : desc_.imports) {
      ImportDesc d;
      d.module = imp.type.module;
      d.name = imp.type.name;
      d.kind = externKindOf(imp.type.type->kind);
      if (auto* ft = wabt::dyn_cast<wi::FuncType>(imp.type.type.get())) {
        auto t = convertType(*ft);
        if (!t) {
          return fail(ErrorCode::kInvalidArgument,
                      name_ + ": import " + d.module + "." + d.name + " uses value types the host cannot provide");
        }
        d.type = *t;
      }
      imports_.push_back(std::move(d));
    }
    for (const auto& exp : desc_.exports) {
      if (exp.type.name == kInterruptGlobalExport) continue;
      ExportDesc d;
      d.name = exp.type.name;
      d.kind = externKindOf(exp.type.type->kind);
      if (auto* ft = wabt::dyn_cast<wi::FuncType>(exp.type.type.get())) {
        if (auto t = convertType(*ft)) d.type = *t;
      }
      exports_.push_back(std::move(d));
    }
    return ok();
  }

  const std::vector<ImportDesc>& imports() const override { return imports_; }
  const std::vector<ExportDesc>& exports() const override { return exports_; }
  const wi::ModuleDesc& desc() const { return desc_; }
  const std::string& name() const { return name_; }

  Expected<std::unique_ptr<Instance>> instantiate(std::span<const HostFunction> host_functions,
                                                  const InstanceOptions& options, void* user_data) const override {
    auto inst = std::make_unique<InterpInstance>(*this, options, user_data);
    auto r = inst->init(host_functions);
    if (!r) return fail(r.takeError());
    return std::unique_ptr<Instance>(std::move(inst));
  }

 private:
  wi::ModuleDesc desc_;
  std::string name_;
  std::vector<ImportDesc> imports_;
  std::vector<ExportDesc> exports_;
};

InterpInstance::InterpInstance(const InterpModule& module, const InstanceOptions& options, void* user_data)
    : module_(module), options_(options), user_data_(user_data), thread_(std::make_unique<wi::Thread>(store_)) {}

InterpInstance::~InterpInstance() {
  if (options_.call_timeout.count() > 0) Watchdog::shared().remove(this);
}

Expected<void> InterpInstance::init(std::span<const HostFunction> host_functions) {
  const std::string& name = module_.name();
  wi::ModuleDesc desc = module_.desc();  // each Store needs its own Module object

  if (options_.max_memory_pages > 0 && !desc.memories.empty()) {
    auto& limits = desc.memories[0].type.limits;
    if (limits.initial > options_.max_memory_pages) {
      return fail(ErrorCode::kResourceExhausted,
                  name + ": module needs " + std::to_string(limits.initial) + " initial memory pages, above the cap of " +
                      std::to_string(options_.max_memory_pages));
    }
    if (!limits.has_max || limits.max > options_.max_memory_pages) {
      limits.max = options_.max_memory_pages;
      limits.has_max = true;
    }
  }

  auto resolved = resolveImports(name, module_.imports(), host_functions);
  if (!resolved) return fail(resolved.takeError());
  host_functions_ = std::move(*resolved);
  wi::RefVec import_refs;
  for (size_t i = 0; i < host_functions_.size(); ++i) {
    const auto& ft = *wabt::cast<wi::FuncType>(desc.imports[i].type.type.get());
    const HostFunction* fn = &host_functions_[i];
    auto host = wi::HostFunc::New(
        store_, ft,
        [this, fn](wi::Thread&, const wi::Values& params, wi::Values& results, wi::Trap::Ptr* trap) {
          return invokeHost(*fn, params, results, trap);
        });
    import_refs.push_back(host.ref());
  }

  // The start function runs below, once memory_ is known, so host functions it calls see the instance's memory.
  std::vector<wi::StartDesc> starts = std::move(desc.starts);
  desc.starts.clear();
  auto mod = wi::Module::New(store_, std::move(desc));
  wi::Trap::Ptr trap;
  if (options_.call_timeout.count() > 0) Watchdog::shared().add(this, &deadline_);
  instance_ = wi::Instance::Instantiate(store_, mod.ref(), import_refs, &trap);
  if (!instance_) {
    if (host_error_) return fail(std::move(*host_error_));
    return fail(ErrorCode::kTrap, name + ": instantiation failed: " + (trap ? trap->message() : "unknown reason"));
  }

  const auto& export_types = mod->export_types();
  const auto& export_refs = instance_->exports();
  for (size_t i = 0; i < export_types.size(); ++i) {
    const auto& et = export_types[i];
    switch (et.type->kind) {
      case wabt::ExternalKind::Func: {
        auto type = convertType(*wabt::cast<wi::FuncType>(et.type.get()));
        if (type) exports_.push_back({et.name, store_.UnsafeGet<wi::Func>(export_refs[i]), *type});
        break;
      }
      case wabt::ExternalKind::Memory:
        if (!memory_ || et.name == "memory") memory_ = store_.UnsafeGet<wi::Memory>(export_refs[i]);
        break;
      case wabt::ExternalKind::Global:
        if (et.name == kInterruptGlobalExport) interrupt_flag_ = store_.UnsafeGet<wi::Global>(export_refs[i]);
        break;
      default:
        break;
    }
  }
  if (!memory_ && !instance_->memories().empty()) memory_ = store_.UnsafeGet<wi::Memory>(instance_->memories()[0]);
  if (!interrupt_flag_) return fail(ErrorCode::kInternal, name + ": instrumentation global missing");
  for (const auto& start : starts) {
    auto func = store_.UnsafeGet<wi::Func>(instance_->funcs()[start.func_index]);
    wi::Values results;
    if (wabt::Failed(func->Call(*thread_, {}, results, &trap))) {
      thread_ = std::make_unique<wi::Thread>(store_);  // 1.0.32 leaves the trapped frames behind
      if (host_error_) return fail(std::move(*host_error_));
      return fail(ErrorCode::kTrap, name + ": instantiation failed: " + (trap ? trap->message() : "unknown reason"));
    }
  }
  return ok();
}

Expected<FunctionHandle> InterpInstance::findFunction(std::string_view export_name) const {
  for (size_t i = 0; i < exports_.size(); ++i) {
    if (exports_[i].name == export_name) return FunctionHandle{static_cast<uint32_t>(i)};
  }
  return fail(ErrorCode::kNotFound, module_.name() + ": no exported function '" + std::string(export_name) + "'");
}

MemoryView InterpInstance::memory() {
  if (!memory_) return {};
  return {memory_->UnsafeData(), memory_->ByteSize()};
}

void InterpInstance::interrupt() {
  // Racy by design: an aligned 32-bit store that the interpreter loop reads at the next check.
  interrupt_flag_->UnsafeSet(wi::Value::Make(wi::u32{1}));
}

wabt::Result InterpInstance::invokeHost(const HostFunction& fn, const wi::Values& params, wi::Values& results,
                                      wi::Trap::Ptr* trap) {
  std::array<Value, 16> arg_storage;
  std::array<Value, 4> result_storage;
  std::vector<Value> arg_heap;
  std::span<Value> args;
  if (params.size() <= arg_storage.size()) {
    args = std::span<Value>(arg_storage.data(), params.size());
  } else {
    arg_heap.resize(params.size());
    args = arg_heap;
  }
  for (size_t i = 0; i < params.size(); ++i) args[i] = fromWabtValue(params[i], fn.type.params[i]);
  if (fn.type.results.size() > result_storage.size()) {
    host_error_ = Error{ErrorCode::kInternal, "host function " + fn.name + " has too many results"};
    *trap = wi::Trap::New(store_, host_error_->message);
    return wabt::Result::Error;
  }
  std::span<Value> res(result_storage.data(), fn.type.results.size());
  for (size_t i = 0; i < res.size(); ++i) res[i].type = fn.type.results[i];

  auto r = fn.callback(*this, args, res);
  if (!r) {
    host_error_ = r.takeError();
    *trap = wi::Trap::New(store_, host_error_->message);
    return wabt::Result::Error;
  }
  for (size_t i = 0; i < res.size(); ++i) results[i] = toWabtValue(res[i]);
  return wabt::Result::Ok;
}

Expected<void> InterpInstance::call(FunctionHandle fn, std::span<const Value> args, std::span<Value> results) {
  if (fn.index >= exports_.size()) return fail(ErrorCode::kInvalidArgument, "invalid function handle");
  auto& target = exports_[fn.index];
  if (args.size() != target.type.params.size() || results.size() != target.type.results.size()) {
    return fail(ErrorCode::kInvalidArgument, "call of '" + target.name + "' " + toString(target.type) + " with " +
                                                 std::to_string(args.size()) + " arguments and " +
                                                 std::to_string(results.size()) + " results");
  }
  args_buf_.resize(args.size());
  for (size_t i = 0; i < args.size(); ++i) args_buf_[i] = toWabtValue(args[i]);
  // wabt sizes the results of a defined function itself, not of a host function (an export re-exporting an import).
  results_buf_.resize(results.size());

  interrupt_flag_->UnsafeSet(wi::Value::Make(wi::u32{0}));  // a late interrupt of the previous call
  host_error_.reset();
  const bool timed = options_.call_timeout.count() > 0;
  if (timed) deadline_.begin(options_.call_timeout);
  wi::Trap::Ptr trap;
  auto result = target.func->Call(*thread_, args_buf_, results_buf_, &trap);
  const bool fired = timed && deadline_.end();
  // wabt 1.0.32 reports call stack exhaustion inside call_indirect as success with the trap set: the trap decides.
  if (wabt::Failed(result) || trap) return finishCall(result, trap, fired);
  for (size_t i = 0; i < results.size(); ++i) results[i] = fromWabtValue(results_buf_[i], target.type.results[i]);
  return ok();
}

Expected<void> InterpInstance::finishCall(wabt::Result, const wi::Trap::Ptr& trap, bool fired) {
  // wabt 1.0.32 leaves the Thread's frames behind after a trap: start from a fresh one.
  thread_ = std::make_unique<wi::Thread>(store_);
  const bool interrupted = fired || interrupt_flag_->Get().Get<wi::u32>() != 0;
  if (host_error_) {
    Error e = std::move(*host_error_);
    host_error_.reset();
    return fail(std::move(e));
  }
  if (interrupted) {
    return fail(ErrorCode::kDeadlineExceeded,
                "call exceeded its deadline of " + std::to_string(options_.call_timeout.count()) + " ms");
  }
  return fail(trapToError(trap ? trap->message() : "unknown trap"));
}

class InterpEngine final : public Engine {
 public:
  Backend backend() const override { return Backend::kInterp; }

  Expected<std::shared_ptr<const Module>> compile(std::span<const uint8_t> wasm,
                                                  const CompileOptions& options) override {
    // Validate the original bytes first so errors point at offsets the user can find in their file.
    auto checked = read(wasm, options.name);
    if (!checked) return fail(checked.takeError());
    auto instrumented = instrumentForInterrupts(wasm, options.name);
    if (!instrumented) return fail(instrumented.takeError());
    auto desc = read(*instrumented, options.name);
    if (!desc) return fail(desc.takeError());
    auto module = std::make_shared<InterpModule>(std::move(*desc), options.name);
    STRATUS_TRY(module->describe());
    return std::shared_ptr<const Module>(std::move(module));
  }

 private:
  static Expected<wi::ModuleDesc> read(std::span<const uint8_t> wasm, const std::string& name) {
    wabt::Features features;
    wabt::ReadBinaryOptions opts(features, nullptr, /*read_debug_names=*/false, /*stop_on_first_error=*/true,
                                 /*fail_on_custom_section_error=*/true);
    wabt::Errors errors;
    wi::ModuleDesc desc;
    if (wabt::Failed(wi::ReadBinaryInterp(name, wasm.data(), wasm.size(), opts, &errors, &desc))) {
      std::string msg = wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      return fail(ErrorCode::kMalformed, "invalid wasm module " + name + ": " + msg);
    }
    return desc;
  }
};

}  // namespace

std::unique_ptr<Engine> createInterpEngine() { return std::make_unique<InterpEngine>(); }

}  // namespace stratus::engine
