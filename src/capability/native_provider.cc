#include "stratus/capability/native_provider.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

#include "capability/c_provider.h"
#include "capability/fault_guard.h"
#include "capability/process_provider.h"
#include "capability/provider_backend.h"
#include "capability/rust_provider.h"
#include "capability/rust_toolchain.h"
#include "common/bounded_task.h"

namespace stratus::capability {

namespace {
std::atomic<void (*)()> admission_hook{nullptr};
}  // namespace

void NativeProvider::setAdmissionHookForTesting(void (*hook)()) { admission_hook = hook; }

NativeProvider::NativeProvider(std::shared_ptr<ProviderBackend> backend, ProviderAbi abi, std::string origin,
                               ProviderIdentity identity)
    : backend_(std::move(backend)),
      abi_(abi),
      origin_(std::move(origin)),
      capability_id_(std::move(identity.capability_id)),
      name_(std::move(identity.name)) {}

std::string NativeProvider::who() const { return "provider " + name_ + " (" + capability_id_ + ")"; }

std::string NativeProvider::abiDescription() const { return backend_->describe(); }

Expected<std::unique_ptr<NativeProvider>> NativeProvider::load(const std::string& library_path,
                                                              const ProviderIdentity& identity) {
  // Read before dlopen: which compiler built the library decides how its entry point is called.
  auto traces = readRustTraces(library_path);
  if (!traces) return fail(ErrorCode::kInvalidArgument, "cannot load provider library " + traces.error().message);
  dlerror();
  void* handle = dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    const char* why = dlerror();
    return fail(ErrorCode::kInvalidArgument, "cannot load provider library " + library_path + ": " +
                                                 (why ? why : "unknown dlopen error"));
  }
  // dlclose is deliberately never called: RTLD_NODELETE keeps the code mapped while provider threads may run.
  void* c_entry = dlsym(handle, STRATUS_PROVIDER_ENTRY_SYMBOL);
  void* legacy_entry = dlsym(handle, STRATUS_PROVIDER_LEGACY_ENTRY_SYMBOL);
  if (!c_entry && !legacy_entry) {
    return fail(ErrorCode::kInvalidArgument,
                library_path + " is not a capability provider: it exports neither '" STRATUS_PROVIDER_ENTRY_SYMBOL
                               "' (stratus's C ABI) nor '" STRATUS_PROVIDER_LEGACY_ENTRY_SYMBOL "' (the Rust ABI)");
  }
  if (c_entry || !traces->built_by_rustc) {
    auto create = reinterpret_cast<stratus_provider_create_fn>(c_entry ? c_entry : legacy_entry);
    const char* entry = c_entry ? STRATUS_PROVIDER_ENTRY_SYMBOL : STRATUS_PROVIDER_LEGACY_ENTRY_SYMBOL;
    const stratus_provider* table = nullptr;
    auto created = runFaultContained(library_path + ": " + entry, [&] { table = create(); });
    if (!created) return fail(created.takeError());
    if (!table) {
      return fail(ErrorCode::kInvalidArgument,
                  library_path + ": " + entry + " returned no provider (it failed to start)");
    }
    return fromTable(table, library_path);
  }
  if (!traces->version) {
    return fail(ErrorCode::kInvalidArgument, library_path + " is a Rust provider, but the version of the rustc that "
                                                            "built it cannot be told: " + traces->evidence);
  }
  if (identity.capability_id.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                library_path + " is a Rust provider, which does not name its capability: load it from a provider "
                               "archive, whose claims do");
  }
  Expected<std::unique_ptr<ProviderBackend>> backend = fail(ErrorCode::kInternal, "not created");
  auto created = runFaultContained(library_path + ": " STRATUS_PROVIDER_LEGACY_ENTRY_SYMBOL, [&] {
    backend = makeRustProvider(legacy_entry, *traces->version, library_path);
  });
  if (!created) return fail(created.takeError());
  if (!backend) return fail(backend.takeError());
  ProviderIdentity named = identity;
  if (named.name.empty()) named.name = named.capability_id;
  return std::unique_ptr<NativeProvider>(
      new NativeProvider(std::move(*backend), ProviderAbi::kRust, library_path, std::move(named)));
}

Expected<ProviderAbi> NativeProvider::probeAbi(const std::string& library_path) {
  auto traces = readRustTraces(library_path);
  if (!traces) return fail(traces.takeError());
  return traces->built_by_rustc ? ProviderAbi::kRust : ProviderAbi::kC;
}

Expected<std::unique_ptr<NativeProvider>> NativeProvider::loadInChildProcess(const std::string& library_path,
                                                                            const ProviderIdentity& identity,
                                                                            ProcessIsolation options) {
  auto started = startProcessProvider(library_path, identity, std::move(options));
  if (!started) return fail(started.takeError());
  return std::unique_ptr<NativeProvider>(
      new NativeProvider(std::move(started->backend), started->abi, library_path, std::move(started->identity)));
}

Expected<std::unique_ptr<NativeProvider>> NativeProvider::fromTable(const stratus_provider* table,
                                                                    std::string origin) {
  auto c = makeCProvider(table, origin);
  if (!c) return fail(c.takeError());
  return std::unique_ptr<NativeProvider>(
      new NativeProvider(std::move(c->backend), ProviderAbi::kC, std::move(origin), std::move(c->identity)));
}

NativeProvider::~NativeProvider() {
  if (!stopped_.load()) (void)stop();
}

Expected<void> NativeProvider::configureDispatch(ActorDispatch dispatch, ProviderLog log) {
  if (dispatch_) return fail(ErrorCode::kAlreadyExists, origin_ + ": dispatcher already configured");
  dispatch_ = std::make_unique<DispatchContext>();
  dispatch_->dispatch = std::move(dispatch);
  dispatch_->log = std::move(log);
  Expected<void> configured = ok();
  auto done = runFaultContained(origin_ + ": configure_dispatch",
                                [&] { configured = backend_->configureDispatch(*dispatch_); });
  if (!done) {
    crashed_ = true;
    return done;
  }
  if (!configured) return fail(configured.takeError().prefixed(who() + ": "));
  return ok();
}

Expected<Bytes> NativeProvider::call(std::string_view actor, std::string_view operation,
                                     std::span<const uint8_t> msg) {
  // Counted in before the check: stop() marks the provider stopped first and then waits for the count to drop, so
  // either it sees this call or this call sees it stopped (both atomics are sequentially consistent).
  in_flight_.fetch_add(1);
  if (stopped_.load() || crashed_.load()) {
    leave();
    return fail(ErrorCode::kUnavailable, who() + " is " + (crashed_.load() ? "crashed" : "stopped"));
  }
  if (auto hook = admission_hook.load(std::memory_order_relaxed)) hook();
  Expected<Bytes> out = Bytes{};
  auto done = runFaultContained(who() + " handling " + std::string(operation),
                                [&] { out = backend_->handleCall(actor, operation, msg); });
  leave();
  if (!done) {
    crashed_ = true;
    return fail(done.takeError());
  }
  if (!out && out.error().code == ErrorCode::kMalformed) return fail(out.takeError().prefixed(who() + ": "));
  return out;
}

void NativeProvider::leave() {
  if (in_flight_.fetch_sub(1) == 1 && stopped_.load()) {
    std::lock_guard lock(drain_mu_);  // a stop() between its check and its wait would miss a bare notify
    drain_cv_.notify_all();
  }
}

Expected<void> NativeProvider::stop(std::chrono::milliseconds timeout) {
  if (stopped_.exchange(true)) return ok();
  if (crashed_.load()) {
    return fail(ErrorCode::kUnavailable, "provider " + name_ + " crashed earlier; its stop is not called");
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string who = this->who();
  // Calls admitted before stopped_ was set may still be running; stop must not overlap them.
  {
    std::unique_lock lock(drain_mu_);
    if (!drain_cv_.wait_until(lock, deadline, [&] { return in_flight_.load() == 0; })) {
      (void)dispatch_.release();  // the hung calls may still use the dispatcher: keep its context alive for good
      return fail(ErrorCode::kDeadlineExceeded,
                  who + ": " + std::to_string(in_flight_.load()) + " call(s) still running after " +
                      std::to_string(timeout.count()) + " ms; its stop was not called (it would overlap them)");
    }
  }
  auto result = std::make_shared<Expected<void>>(ok());
  BoundedTask stopping([backend = backend_, what = who + ": stop", result] {
    *result = runFaultContained(what, [&backend] { backend->stop(); });
  });
  if (!stopping.waitUntil(deadline)) {
    (void)dispatch_.release();  // the hung stop may still call the dispatcher: keep its context alive for good
    return fail(ErrorCode::kDeadlineExceeded,
                who + " did not stop within " + std::to_string(timeout.count()) + " ms; abandoned");
  }
  if (!*result) crashed_ = true;
  return *result;
}

}  // namespace stratus::capability
