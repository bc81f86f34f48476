#include "lattice/nats_kv.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <thread>

namespace stratus::lattice {

Expected<std::unique_ptr<NatsKeyValue>> NatsKeyValue::open(NatsClient& client, const std::string& bucket) {
  const std::string& server = client.description();
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, client.connection_, nullptr);
  if (s != NATS_OK) {
    return fail(ErrorCode::kUnavailable, server + ": no JetStream context: " + natsStatus_GetText(s));
  }
  // A JetStream cluster that is starting answers "temporarily unavailable" until it has a leader: retry a while.
  // A server without JetStream has no responders: no retry.
  kvStore* kv = nullptr;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (;;) {
    s = js_KeyValue(&kv, js, bucket.c_str());
    if (s == NATS_NOT_FOUND) {
      kvConfig config;
      kvConfig_Init(&config);
      config.Bucket = bucket.c_str();
      config.Description = "stratus lattice data: links, actor claims";
      config.History = 1;
      config.StorageType = js_FileStorage;
      s = js_CreateKeyValue(&kv, js, &config);
    }
    if ((s != NATS_ERR && s != NATS_TIMEOUT) || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (s != NATS_OK) {
    jsCtx_Destroy(js);
    const bool no_jetstream = s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS;
    return fail(ErrorCode::kUnavailable,
                server + ": cannot open the key-value bucket " + bucket + ": " + natsStatus_GetText(s) +
                    (no_jetstream ? " (is JetStream enabled? start nats-server with -js)" : ""));
  }
  return std::unique_ptr<NatsKeyValue>(new NatsKeyValue(js, kv, bucket, server));
}

NatsKeyValue::~NatsKeyValue() {
  stopWatching();
  kvStore_Destroy(kv_);
  jsCtx_Destroy(js_);
}

Error NatsKeyValue::failure(std::string_view what, int status) const {
  return {ErrorCode::kUnavailable, server_ + ": bucket " + bucket_ + ": " + std::string(what) + ": " +
                                       natsStatus_GetText(static_cast<natsStatus>(status))};
}

Expected<void> NatsKeyValue::put(const std::string& key, std::span<const uint8_t> value) {
  uint64_t revision = 0;
  const natsStatus s = kvStore_Put(&revision, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s != NATS_OK) return fail(failure("put " + key, s));
  return ok();
}

Expected<bool> NatsKeyValue::create(const std::string& key, std::span<const uint8_t> value) {
  uint64_t revision = 0;
  const natsStatus s = kvStore_Create(&revision, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return true;
  if (s == NATS_ERR) {
    // The server's "wrong last sequence" when the key has a value.
    kvEntry* existing = nullptr;
    if (kvStore_Get(&existing, kv_, key.c_str()) == NATS_OK) {
      kvEntry_Destroy(existing);
      return false;
    }
  }
  return fail(failure("create " + key, s));
}

Expected<void> NatsKeyValue::erase(const std::string& key) {
  const natsStatus s = kvStore_Delete(kv_, key.c_str());
  if (s != NATS_OK) return fail(failure("delete " + key, s));
  return ok();
}

Expected<void> NatsKeyValue::watch(std::function<void(const Change&)> on_change) {
  kvWatchOptions options;
  kvWatchOptions_Init(&options);
  const natsStatus s = kvStore_WatchAll(&watcher_, kv_, &options);
  if (s != NATS_OK) return fail(failure("watch", s));
  auto caught_up = std::make_shared<std::promise<void>>();
  auto done = caught_up->get_future();
  watch_thread_ = std::thread([this, on_change = std::move(on_change), caught_up]() mutable {
    for (;;) {
      kvEntry* entry = nullptr;
      const natsStatus next = kvWatcher_Next(&entry, watcher_, 1000);
      if (next == NATS_TIMEOUT) continue;
      if (next != NATS_OK) break;  // stopped
      if (!entry) {
        if (caught_up) caught_up->set_value();
        caught_up.reset();
        continue;
      }
      const kvOperation op = kvEntry_Operation(entry);
      const auto* data = static_cast<const uint8_t*>(kvEntry_Value(entry));
      on_change({kvEntry_Key(entry), op != kvOp_Put,
                 std::span<const uint8_t>(data, data ? static_cast<size_t>(kvEntry_ValueLen(entry)) : 0)});
      kvEntry_Destroy(entry);
    }
    if (caught_up) caught_up->set_value();
  });
  if (done.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    spdlog::warn("{}: bucket {}: the current values take over 30 s to arrive; going on", server_, bucket_);
  }
  return ok();
}

void NatsKeyValue::stopWatching() {
  if (!watcher_) return;
  kvWatcher_Stop(watcher_);
  if (watch_thread_.joinable()) watch_thread_.join();
  kvWatcher_Destroy(watcher_);
  watcher_ = nullptr;
}

}  // namespace stratus::lattice
