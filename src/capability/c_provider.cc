#include "capability/c_provider.h"

#include <cstdlib>
#include <cstring>

#include "capability/fault_guard.h"
#include "stratus/provider.hpp"

namespace stratus::capability {
namespace {

// The C callbacks of stratus_dispatcher, forwarding to the DispatchContext they were given.
void onDispatch(void* context, const char* actor, size_t actor_len, const char* op, size_t op_len,
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

void onFree(void*, stratus_result* r) {
  if (!r) return;
  std::free(r->data);
  r->data = nullptr;
  r->len = 0;
}

void onLog(void* context, stratus_log_level level, const char* text, size_t len) {
  SuspendFaultGuard host_code;
  auto* self = static_cast<DispatchContext*>(context);
  if (self->log && (text || len == 0)) self->log(level, std::string_view(text ? text : "", len));
}

class CBackend final : public ProviderBackend {
 public:
  explicit CBackend(const stratus_provider* table) : table_(table) {}

  std::string describe() const override { return "C ABI v" + std::to_string(table_->abi_version); }

  Expected<void> configureDispatch(DispatchContext& context) override {
    context.c_table = {&context, &onDispatch, &onFree, &onLog};
    table_->configure_dispatch(table_->instance, &context.c_table);
    return ok();
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    stratus_result r{};
    table_->handle_call(table_->instance, actor.data(), actor.size(), operation.data(), operation.size(),
                        msg.data(), msg.size(), &r);
    if (r.len > 0 && !r.data) {
      return fail(ErrorCode::kMalformed, "it returned a result of " + std::to_string(r.len) + " bytes with no data");
    }
    std::string_view bytes(reinterpret_cast<const char*>(r.data), r.len);
    Expected<Bytes> out = r.ok ? Expected<Bytes>(Bytes(bytes.begin(), bytes.end()))
                               : Expected<Bytes>(fail(ErrorCode::kHostError, std::string(bytes)));
    if (r.data) table_->free_result(table_->instance, &r);
    return out;
  }

  void stop() override { table_->stop(table_->instance); }

 private:
  const stratus_provider* table_;
};

}  // namespace

Expected<CProvider> makeCProvider(const stratus_provider* table, const std::string& origin) {
  if (!table) return fail(ErrorCode::kInvalidArgument, origin + ": null provider table");
  if (table->abi_version != STRATUS_PROVIDER_ABI_VERSION) {
    return fail(ErrorCode::kInvalidArgument,
                origin + ": provider ABI version " + std::to_string(table->abi_version) +
                    " does not match this host's version " + std::to_string(STRATUS_PROVIDER_ABI_VERSION) +
                    " (rebuild the provider against this stratus's include/stratus/provider.h)");
  }
  const char* missing = !table->capability_id        ? "capability_id"
                        : !table->name               ? "name"
                        : !table->configure_dispatch ? "configure_dispatch"
                        : !table->handle_call        ? "handle_call"
                        : !table->free_result        ? "free_result"
                        : !table->stop               ? "stop"
                                                     : nullptr;
  if (missing) return fail(ErrorCode::kInvalidArgument, origin + ": provider table has no '" + missing + "'");
  if (std::strlen(table->capability_id) == 0) {
    return fail(ErrorCode::kInvalidArgument, origin + ": provider's capability_id is empty");
  }
  return CProvider{std::make_unique<CBackend>(table), {table->capability_id, table->name}};
}

}  // namespace stratus::capability
