#include "stratus/capability/native_provider.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

#include "capability/fault_guard.h"
#include "common/bounded_task.h"
#include "stratus/provider.hpp"

namespace stratus::capability {

// The host side of stratus_dispatcher: the C callbacks forward to the std::functions given to configureDispatch.
struct NativeProvider::DispatchContext {
  ActorDispatch dispatch;
  ProviderLog log;
  stratus_dispatcher table{};

  static void onDispatch(void* context, const char* actor, size_t actor_len, const char* op, size_t op_len,
                         const uint8_t* msg, size_t msg_len, stratus_result* out) {
    SuspendFaultGuard host_code;  // a fault from here on is the host's (or an engine's), not the provider's
    auto* self = static_cast<DispatchContext*>(context);
    if (!out) return;
    if ((!actor && actor_len) || (!op && op_len) || (!msg && msg_len)) {
      provider::fillResult(out, false, "dispatch: null pointer with a non-zero length");
      return;
    }
    try {
      auto r = self->dispatch(std::string_view(actor, actor_len), std::string_view(op, op_len),
                              std::span<const uint8_t>(msg, msg_len));
      if (r) {
        provider::fillResult(out, true, std::string_view(reinterpret_cast<const char*>(r->data()), r->size()));
      } else {
        provider::fillResult(out, false, r.error().message);
      }
    } catch (const std::exception& e) {
      provider::fillResult(out, false, std::string("dispatch failed: ") + e.what());
    }
  }

  static void onFree(void*, stratus_result* r) {
    if (!r) return;
    std::free(r->data);
    r->data = nullptr;
    r->len = 0;
  }

  static void onLog(void* context, stratus_log_level level, const char* text, size_t len) {
    SuspendFaultGuard host_code;
    auto* self = static_cast<DispatchContext*>(context);
    if (self->log && (text || len == 0)) self->log(level, std::string_view(text ? text : "", len));
  }
};

namespace {
std::atomic<void (*)()> admission_hook{nullptr};
}  // namespace

void NativeProvider::setAdmissionHookForTesting(void (*hook)()) { admission_hook = hook; }

NativeProvider::NativeProvider(const stratus_provider* table, std::string origin)
    : table_(table), origin_(std::move(origin)) {}

Expected<void> NativeProvider::checkTable() const {
  if (table_->abi_version != STRATUS_PROVIDER_ABI_VERSION) {
    return fail(ErrorCode::kInvalidArgument,
                origin_ + ": provider ABI version " + std::to_string(table_->abi_version) +
                    " does not match this host's version " + std::to_string(STRATUS_PROVIDER_ABI_VERSION) +
                    " (rebuild the provider against this stratus's include/stratus/provider.h)");
  }
  const char* missing = !table_->capability_id        ? "capability_id"
                        : !table_->name               ? "name"
                        : !table_->configure_dispatch ? "configure_dispatch"
                        : !table_->handle_call        ? "handle_call"
                        : !table_->free_result        ? "free_result"
                        : !table_->stop               ? "stop"
                                                      : nullptr;
  if (missing) {
    return fail(ErrorCode::kInvalidArgument, origin_ + ": provider table has no '" + missing + "'");
  }
  if (std::strlen(table_->capability_id) == 0) {
    return fail(ErrorCode::kInvalidArgument, origin_ + ": provider's capability_id is empty");
  }
  return ok();
}

Expected<std::unique_ptr<NativeProvider>> NativeProvider::load(const std::string& library_path) {
  dlerror();
  void* handle = dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    const char* why = dlerror();
    return fail(ErrorCode::kInvalidArgument, "cannot load provider library " + library_path + ": " +
                                                 (why ? why : "unknown dlopen error"));
  }
  dlerror();
  void* sym = dlsym(handle, STRATUS_PROVIDER_ENTRY_SYMBOL);
  if (!sym) {
    return fail(ErrorCode::kInvalidArgument, library_path + " is not a stratus capability provider: it does not "
                                                 "export '" STRATUS_PROVIDER_ENTRY_SYMBOL "'");
  }
  auto create = reinterpret_cast<stratus_provider_create_fn>(sym);
  const stratus_provider* table = nullptr;
  auto created = runFaultContained(library_path + ": " STRATUS_PROVIDER_ENTRY_SYMBOL, [&] { table = create(); });
  if (!created) return fail(created.takeError());
  if (!table) {
    return fail(ErrorCode::kInvalidArgument,
                library_path + ": " STRATUS_PROVIDER_ENTRY_SYMBOL " returned no provider (it failed to start)");
  }
  // dlclose is deliberately never called: RTLD_NODELETE keeps the code mapped while provider threads may run.
  return fromTable(table, library_path);
}

Expected<std::unique_ptr<NativeProvider>> NativeProvider::fromTable(const stratus_provider* table,
                                                                    std::string origin) {
  if (!table) return fail(ErrorCode::kInvalidArgument, origin + ": null provider table");
  std::unique_ptr<NativeProvider> p(new NativeProvider(table, std::move(origin)));
  if (auto checked = p->checkTable(); !checked) {
    p->stopped_ = true;  // an unusable table is never called, not even stop
    return fail(checked.takeError());
  }
  p->capability_id_ = table->capability_id;
  p->name_ = table->name;
  return p;
}

NativeProvider::~NativeProvider() {
  if (!stopped_.load()) (void)stop();
}

Expected<void> NativeProvider::configureDispatch(ActorDispatch dispatch, ProviderLog log) {
  if (dispatch_) return fail(ErrorCode::kAlreadyExists, origin_ + ": dispatcher already configured");
  dispatch_ = std::make_unique<DispatchContext>();
  dispatch_->dispatch = std::move(dispatch);
  dispatch_->log = std::move(log);
  dispatch_->table = {dispatch_.get(), &DispatchContext::onDispatch, &DispatchContext::onFree,
                      &DispatchContext::onLog};
  auto done = runFaultContained(origin_ + ": configure_dispatch",
                                [&] { table_->configure_dispatch(table_->instance, &dispatch_->table); });
  if (!done) crashed_ = true;
  return done;
}

Expected<Bytes> NativeProvider::call(std::string_view actor, std::string_view operation,
                                     std::span<const uint8_t> msg) {
  // Counted in before the check: stop() marks the provider stopped first and then waits for the count to drop, so
  // either it sees this call or this call sees it stopped (both atomics are sequentially consistent).
  in_flight_.fetch_add(1);
  if (stopped_.load() || crashed_.load()) {
    leave();
    return fail(ErrorCode::kUnavailable, "provider " + name_ + " (" + capability_id_ + ") is " +
                                             (crashed_.load() ? "crashed" : "stopped"));
  }
  if (auto hook = admission_hook.load(std::memory_order_relaxed)) hook();
  stratus_result r{};
  auto done = runFaultContained("provider " + name_ + " (" + capability_id_ + ") handling " + std::string(operation),
                                [&] {
                                  table_->handle_call(table_->instance, actor.data(), actor.size(), operation.data(),
                                                      operation.size(), msg.data(), msg.size(), &r);
                                });
  leave();
  if (!done) {
    crashed_ = true;
    return fail(done.takeError());
  }
  if (r.len > 0 && !r.data) {
    return fail(ErrorCode::kHostError, "provider " + name_ + " returned a result of " + std::to_string(r.len) +
                                           " bytes with no data");
  }
  std::string_view bytes(reinterpret_cast<const char*>(r.data), r.len);
  Expected<Bytes> out = r.ok ? Expected<Bytes>(Bytes(bytes.begin(), bytes.end()))
                             : Expected<Bytes>(fail(ErrorCode::kHostError, std::string(bytes)));
  if (r.data) {
    if (auto freed = runFaultContained("provider " + name_ + ": free_result",
                                       [&] { table_->free_result(table_->instance, &r); });
        !freed) {
      crashed_ = true;
    }
  }
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
  const std::string who = "provider " + name_ + " (" + capability_id_ + ")";
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
  const stratus_provider* table = table_;
  BoundedTask stopping([table, what = who + ": stop", result] {
    *result = runFaultContained(what, [table] { table->stop(table->instance); });
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
