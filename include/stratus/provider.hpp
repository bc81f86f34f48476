// C++ convenience layer over the plain-C provider ABI (provider.h): derive from CapabilityProvider, implement
// handleCall (and bindActor/removeActor when the provider keeps per-actor state), and export the class with
// STRATUS_PROVIDER(MyProvider) in one .cc file of the library — as waSCC's `capability_provider!` macro did.
//
// The adapter answers BindActor, RemoveActor and HealthRequest by decoding them and calling the virtual hooks, so
// a provider author never sees the core messages. Exceptions never cross the C ABI: one escaping a hook becomes an
// error result naming the operation.
#pragma once

#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "stratus/codec/core.h"
#include "stratus/common/expected.h"
#include "stratus/provider.h"

namespace stratus::provider {

/// Fills `out` with a malloc'd copy of `bytes` (released with free()); `is_ok` says whether they are a reply or an
/// error text. When the copy cannot be allocated the result is an empty error.
inline void fillResult(stratus_result* out, bool is_ok, std::string_view bytes) {
  out->ok = is_ok ? 1 : 0;
  out->len = 0;
  out->data = nullptr;
  if (bytes.empty()) return;
  out->data = static_cast<uint8_t*>(std::malloc(bytes.size()));
  if (!out->data) {
    out->ok = 0;
    return;
  }
  std::memcpy(out->data, bytes.data(), bytes.size());
  out->len = bytes.size();
}

/// Calls actors through the host (wraps stratus_dispatcher). Copyable; thread-safe; valid until stop.
class Dispatcher {
 public:
  Dispatcher() = default;
  explicit Dispatcher(const stratus_dispatcher* d) : d_(d) {}

  bool configured() const { return d_ != nullptr; }

  /// Calls `operation` on the actor `actor` (public key) and returns its reply, or the error it (or the host)
  /// reported as kHostError. kUnavailable before configure_dispatch.
  Expected<Bytes> call(std::string_view actor, std::string_view operation, std::span<const uint8_t> msg) const {
    if (!d_) return fail(ErrorCode::kUnavailable, "the host has not configured a dispatcher yet");
    stratus_result r{};
    d_->dispatch(d_->context, actor.data(), actor.size(), operation.data(), operation.size(), msg.data(), msg.size(),
                 &r);
    std::string_view text(reinterpret_cast<const char*>(r.data), r.data ? r.len : 0);
    Expected<Bytes> out = r.ok ? Expected<Bytes>(Bytes(text.begin(), text.end()))
                               : Expected<Bytes>(fail(ErrorCode::kHostError, std::string(text)));
    d_->free_result(d_->context, &r);
    return out;
  }

  /// Writes a line to the host's log (no-op before configure_dispatch).
  void log(stratus_log_level level, std::string_view text) const {
    if (d_) d_->log(d_->context, level, text.data(), text.size());
  }

 private:
  const stratus_dispatcher* d_ = nullptr;
};

/// Base class of a provider written in C++. The host may call every hook concurrently from several threads.
class CapabilityProvider {
 public:
  virtual ~CapabilityProvider() = default;

  /// The contract id, e.g. "wasmcloud:keyvalue". Must stay valid for the provider's lifetime.
  virtual std::string_view capabilityId() const = 0;
  /// A human-readable name. Must stay valid for the provider's lifetime.
  virtual std::string_view name() const = 0;

  /// BindActor: start serving `actor` with its link `values` (which include the host's __wasmcloud_* values).
  /// Must be idempotent; an error is reported to the host, which logs it.
  virtual Expected<void> bindActor(std::string_view actor, const std::map<std::string, std::string>& values) {
    return ok();
  }
  /// RemoveActor: stop serving `actor` and drop its state. Must be idempotent.
  virtual Expected<void> removeActor(std::string_view actor) { return ok(); }
  /// HealthRequest: report health (default: healthy).
  virtual codec::HealthResponse health() { return {true, ""}; }
  /// A contract operation from the actor `actor`.
  virtual Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                                     std::span<const uint8_t> msg) = 0;
  /// Stop: close listeners and connections and join threads. Called once; no call is in flight.
  virtual void stop() {}

  /// The dispatcher the host configured (unconfigured before configure_dispatch).
  const Dispatcher& dispatcher() const { return dispatcher_; }

  /// Routes one call from the host: the core operations to the hooks above, the rest to handleCall.
  Expected<Bytes> route(std::string_view actor, std::string_view operation, std::span<const uint8_t> msg) {
    if (actor == codec::kSystemActor) {
      if (operation == codec::kOpBindActor || operation == codec::kOpRemoveActor) {
        auto config = codec::decodeCapabilityConfiguration(msg);
        if (!config) return fail(config.takeError());
        Expected<void> done =
            operation == codec::kOpBindActor ? bindActor(config->module, config->values) : removeActor(config->module);
        if (!done) return fail(done.takeError());
        return Bytes{};
      }
      if (operation == codec::kOpHealthRequest) return codec::encode(health());
    }
    return handleCall(actor, operation, msg);
  }

  /// Set by the adapter from configure_dispatch.
  void setDispatcher(Dispatcher d) { dispatcher_ = d; }

 private:
  Dispatcher dispatcher_;
};

namespace detail {

/// The C function table around one CapabilityProvider; owns it and frees itself in stop.
struct ProviderAdapter {
  stratus_provider table{};
  std::unique_ptr<CapabilityProvider> provider;
  std::string capability_id;
  std::string name;

  static ProviderAdapter* self(void* instance) { return static_cast<ProviderAdapter*>(instance); }

  static void configureDispatch(void* instance, const stratus_dispatcher* d) {
    self(instance)->provider->setDispatcher(Dispatcher(d));
  }

  static void handleCall(void* instance, const char* actor, size_t actor_len, const char* op, size_t op_len,
                         const uint8_t* msg, size_t msg_len, stratus_result* out) {
    std::string_view operation(op, op_len);
    try {
      auto r = self(instance)->provider->route(std::string_view(actor, actor_len), operation,
                                               std::span<const uint8_t>(msg, msg_len));
      if (r) {
        fillResult(out, true, std::string_view(reinterpret_cast<const char*>(r->data()), r->size()));
      } else {
        fillResult(out, false, r.error().message);
      }
    } catch (const std::exception& e) {
      fillResult(out, false, std::string(operation) + " failed: " + e.what());
    } catch (...) {
      fillResult(out, false, std::string(operation) + " failed with an unknown exception");
    }
  }

  static void freeResult(void*, stratus_result* r) {
    std::free(r->data);
    r->data = nullptr;
    r->len = 0;
  }

  static void stop(void* instance) {
    std::unique_ptr<ProviderAdapter> owned(self(instance));
    try {
      owned->provider->stop();
    } catch (...) {  // nothing may escape into the host; the provider is being discarded anyway
    }
  }
};

/// Creates the function table for a new provider made by `make`; nullptr when construction throws.
template <typename Make>
const stratus_provider* exportProvider(Make&& make) noexcept {
  try {
    auto adapter = std::make_unique<ProviderAdapter>();
    adapter->provider = make();
    adapter->capability_id = std::string(adapter->provider->capabilityId());
    adapter->name = std::string(adapter->provider->name());
    stratus_provider& t = adapter->table;
    t.abi_version = STRATUS_PROVIDER_ABI_VERSION;
    t.instance = adapter.get();
    t.capability_id = adapter->capability_id.c_str();
    t.name = adapter->name.c_str();
    t.configure_dispatch = &ProviderAdapter::configureDispatch;
    t.handle_call = &ProviderAdapter::handleCall;
    t.free_result = &ProviderAdapter::freeResult;
    t.stop = &ProviderAdapter::stop;
    return &adapter.release()->table;
  } catch (...) {
    return nullptr;
  }
}

}  // namespace detail
}  // namespace stratus::provider

/// Exports `ProviderClass` (default-constructible, derived from stratus::provider::CapabilityProvider) as this
/// library's provider. Use once per library.
#define STRATUS_PROVIDER(ProviderClass)                                                                \
  extern "C" __attribute__((visibility("default"))) const stratus_provider*                           \
  stratus_provider_create(void) {                                                                      \
    return ::stratus::provider::detail::exportProvider(                                                \
        [] { return std::unique_ptr<::stratus::provider::CapabilityProvider>(new ProviderClass()); }); \
  }
