// wasmcloud:keyvalue in memory: one Store per linked actor, Redis semantics (see store.h).
//
// Link values (per actor, all optional):
//   MAX_VALUE_BYTES  largest key, value, list item or set member in bytes (default 1 MiB, at most 512 MiB)
//   MAX_STORE_BYTES  approximate memory one actor's data may use (default 64 MiB)
#include <map>
#include <memory>
#include <string>

#include "common/actor_map.h"
#include "common/link_values.h"
#include "store.h"
#include "stratus/codec/keyvalue.h"
#include "stratus/provider.hpp"

namespace stratus::providers::keyvalue {
namespace {

constexpr uint64_t kMaxValueBytesCeiling = uint64_t{512} << 20;  // Redis's own string limit
constexpr std::string_view kWho = "in-memory keyvalue";

// A link value holding a byte count in [1, ceiling]; `fallback` when the value is absent.
class KeyValueProvider final : public provider::CapabilityProvider {
 public:
  std::string_view capabilityId() const override { return codec::kKeyValueContract; }
  std::string_view name() const override { return "stratus in-memory key-value"; }

  Expected<void> bindActor(std::string_view actor, const std::map<std::string, std::string>& values) override {
    StoreLimits limits;
    auto max_value = linkNumber(values, "MAX_VALUE_BYTES", limits.max_value_bytes, 1, kMaxValueBytesCeiling, kWho);
    if (!max_value) return fail(max_value.takeError());
    auto max_store = linkNumber(values, "MAX_STORE_BYTES", limits.max_store_bytes, 1, UINT64_MAX, kWho);
    if (!max_store) return fail(max_store.takeError());
    limits.max_value_bytes = *max_value;
    limits.max_store_bytes = *max_store;

    stores_.updateOrCreate(
        actor, [&](Store& store) { store.setLimits(limits); },  // a repeated BindActor keeps the data
        [&] { return std::make_shared<Store>(std::string(actor), limits); });
    return ok();
  }

  Expected<void> removeActor(std::string_view actor) override {
    stores_.remove(actor);
    return ok();
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    auto op = codec::keyValueOpFromName(operation);
    if (!op) return fail(op.takeError());
    std::shared_ptr<Store> store = stores_.find(actor);
    if (!store) return fail(notLinked("keyvalue " + std::string(operation), actor));
    auto request = codec::decodeKeyValueRequest(*op, msg);
    if (!request) return fail(request.takeError());
    return store->apply(*request, Clock::now());
  }

  void stop() override { stores_.clear(); }

 private:
  ActorMap<Store> stores_;
};

}  // namespace
}  // namespace stratus::providers::keyvalue

STRATUS_PROVIDER(stratus::providers::keyvalue::KeyValueProvider)
