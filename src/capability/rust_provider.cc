#include "capability/rust_provider.h"

#include <cstdlib>
#include <cstring>

#include "capability/fault_guard.h"
#include "capability/rust_abi.h"

namespace stratus::capability {
namespace {

using rust::Layout;
using rust::RawResult;
using rust::ResultShape;
using rust::VtableShape;

struct FatPointer {
  void* data;
  void* const* vtable;
};

// The trait methods, in the Rust ABI, which on x86-64 matches C for these shapes: &self is the data pointer, each
// &str / &[u8] is (pointer, length), a Result wider than two words is returned through a hidden first pointer.
using CreateFn = FatPointer (*)();
using ConfigureDispatchFn = FatPointer (*)(void* self, void* dispatcher_data, void* const* dispatcher_vtable);
using HandleCallFn = void (*)(RawResult* out, void* self, const char* actor, size_t actor_len, const char* op,
                              size_t op_len, const uint8_t* msg, size_t msg_len);
using StopFn = void (*)(void* self);
using DropFn = void (*)(void* self);

// The data of the Box<dyn Dispatcher> the host hands the provider (malloc'ed: the provider frees it with free).
struct HostDispatcher {
  DispatchContext* context;
  VtableShape vtable;
  ResultShape result;
};

extern "C" void dispatchToHost(void* out, void* self, const char* actor, size_t actor_len, const char* op,
                               size_t op_len, const uint8_t* msg, size_t msg_len) {
  SuspendFaultGuard host_code;  // a fault from here on is the host's, not the provider's
  auto* d = static_cast<HostDispatcher*>(self);
  try {
    auto r = d->context->dispatch(std::string_view(actor, actor_len), std::string_view(op, op_len),
                                  std::span<const uint8_t>(msg, msg_len));
    if (r) {
      rust::putOk(out, d->result, *r);
    } else {
      rust::putErr(out, d->vtable, d->result, r.error().message);
    }
  } catch (const std::exception& e) {
    rust::putErr(out, d->vtable, d->result, std::string("dispatch failed: ") + e.what());
  }
}

extern "C" void dropHostDispatcher(void*) {}  // owns nothing: the context is the host's

void* const* hostDispatcherVtable(VtableShape shape) {
  static void* tables[3][rust::kDispatcherVtableWords];
  static const bool filled = [] {
    for (auto s : {VtableShape::kOwnMethodsFirst, VtableShape::kSupertraitsWithVptrs, VtableShape::kSupertraitsFirst}) {
      rust::fillDispatcherVtable(tables[static_cast<int>(s)], s, &dispatchToHost, &dropHostDispatcher,
                                 sizeof(HostDispatcher), alignof(HostDispatcher));
    }
    return true;
  }();
  (void)filled;
  return tables[static_cast<int>(shape)];
}

// HealthRequest {placeholder: true}, as 0.18's host sends it.
constexpr uint8_t kHealthRequest[] = {0x81, 0xab, 'p', 'l', 'a', 'c', 'e', 'h', 'o', 'l', 'd', 'e', 'r', 0xc3};

class RustBackend final : public ProviderBackend {
 public:
  RustBackend(FatPointer object, Layout layout) : object_(object), layout_(layout) {}

  std::string describe() const override { return "Rust ABI (" + layout_.describe() + ")"; }

  Expected<void> configureDispatch(DispatchContext& context) override {
    auto* d = static_cast<HostDispatcher*>(std::malloc(sizeof(HostDispatcher)));
    if (!d) return fail(ErrorCode::kResourceExhausted, "out of memory for the provider's dispatcher");
    *d = {&context, layout_.vtable, layout_.result};
    auto configure = method<ConfigureDispatchFn>(layout_.configureDispatchSlot());
    FatPointer err = configure(object_.data, d, hostDispatcherVtable(layout_.vtable));
    if (!err.data) return ok();
    std::string message = rust::takeError(err.data, err.vtable, layout_);
    return fail(ErrorCode::kHostError, "configure_dispatch failed: " + (message.empty() ? "(no text)" : message));
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    RawResult r{};
    call(r, actor, operation, msg);
    return rust::takeResult(r, layout_);
  }

  void stop() override {
    method<StopFn>(layout_.stopSlot())(object_.data);
    release(object_);
  }

  // Settles the Result layout with one HealthRequest (see rust::confirmResultShape).
  Expected<void> probe() {
    RawResult r;
    std::memset(&r, rust::kProbeByte, sizeof r);
    call(r, "system", "HealthRequest", kHealthRequest);
    const bool measured = rust::resultShapeKnown(layout_.version);
    if (auto confirmed = rust::confirmResultShape(layout_, r.words, measured); !confirmed) return confirmed;
    (void)rust::takeResult(r, layout_);  // an unhealthy answer is the health checks' business, not the loader's
    return ok();
  }

  // Drops a trait object and frees its box, as Box<dyn CapabilityProvider>'s drop does.
  static void release(FatPointer object) {
    if (object.vtable[0]) reinterpret_cast<DropFn>(object.vtable[0])(object.data);
    if (reinterpret_cast<uintptr_t>(object.vtable[1]) != 0) std::free(object.data);
  }

 private:
  template <typename Fn>
  Fn method(int slot) const {
    return reinterpret_cast<Fn>(object_.vtable[slot]);
  }

  void call(RawResult& r, std::string_view actor, std::string_view operation, std::span<const uint8_t> msg) {
    // Rust never sees a null pointer for a slice, even an empty one.
    static const uint8_t kEmpty = 0;
    auto* msg_ptr = msg.data() ? msg.data() : &kEmpty;
    const char* actor_ptr = actor.data() ? actor.data() : "";
    const char* op_ptr = operation.data() ? operation.data() : "";
    method<HandleCallFn>(layout_.handleCallSlot())(&r, object_.data, actor_ptr, actor.size(), op_ptr,
                                                   operation.size(), msg_ptr, msg.size());
  }

  FatPointer object_;
  Layout layout_;
};

}  // namespace

Expected<std::unique_ptr<ProviderBackend>> makeRustProvider(void* create, const RustVersion& version,
                                                            const std::string& origin) {
  FatPointer object = reinterpret_cast<CreateFn>(create)();
  if (!object.data || !object.vtable) {
    return fail(ErrorCode::kInvalidArgument, origin + ": __capability_provider_create returned no provider");
  }
  auto layout = rust::layoutFor(version, object.vtable);
  if (!layout) {
    // The object's own drop cannot be trusted to be where we would look; it is leaked rather than misread.
    return fail(layout.takeError().prefixed(origin + ": a Rust provider "));
  }
  auto backend = std::make_unique<RustBackend>(object, *layout);
  if (auto probed = backend->probe(); !probed) {
    RustBackend::release(object);
    return fail(probed.takeError().prefixed(origin + ": a Rust provider "));
  }
  return backend;
}

}  // namespace stratus::capability
