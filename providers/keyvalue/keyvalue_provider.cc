// wasmcloud:keyvalue in memory: one Store per linked actor, Redis semantics (see store.h).
//
// Link values (per actor, all optional):
//   MAX_VALUE_BYTES  largest key, value, list item or set member in bytes (default 1 MiB, at most 512 MiB)
//   MAX_STORE_BYTES  approximate memory one actor's data may use (default 64 MiB)
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>

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

    std::unique_lock lock(mu_);
    auto it = stores_.find(actor);
    if (it != stores_.end()) {
      it->second->setLimits(limits);  // a repeated BindActor keeps the data
    } else {
      stores_.emplace(std::string(actor), std::make_shared<Store>(std::string(actor), limits));
    }
    return ok();
  }

  Expected<void> removeActor(std::string_view actor) override {
    std::shared_ptr<Store> dropped;  // freed outside the lock; a call still using it keeps it alive until done
    std::unique_lock lock(mu_);
    if (auto it = stores_.find(actor); it != stores_.end()) {
      dropped = std::move(it->second);
      stores_.erase(it);
    }
    lock.unlock();
    return ok();
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    auto op = codec::keyValueOpFromName(operation);
    if (!op) return fail(op.takeError());
    std::shared_ptr<Store> store;
    {
      std::shared_lock lock(mu_);
      if (auto it = stores_.find(actor); it != stores_.end()) store = it->second;
    }
    if (!store) {
      return fail(ErrorCode::kPermissionDenied, "keyvalue " + std::string(operation) + ": actor " + std::string(actor) +
                                                    " is not linked to this provider " + "(no BindActor received)");
    }
    auto request = codec::decodeKeyValueRequest(*op, msg);
    if (!request) return fail(request.takeError());
    return store->apply(*request, Clock::now());
  }

  void stop() override {
    std::unique_lock lock(mu_);
    stores_.clear();
  }

 private:
  std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Store>, std::less<>> stores_;  // guarded by mu_
};

}  // namespace
}  // namespace stratus::providers::keyvalue

STRATUS_PROVIDER(stratus::providers::keyvalue::KeyValueProvider)
