// Loads a built provider library through NativeProvider (as the host does) and records what it dispatches to
// actors and logs, for the provider tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "stratus/capability/native_provider.h"
#include "stratus/codec/core.h"

namespace stratus::testing {

/// A loaded provider plus recorders for its dispatcher callbacks. Thread-safe.
class ProviderHarness {
 public:
  struct Dispatched {
    std::string actor, operation;
    Bytes msg;
  };
  struct LogLine {
    stratus_log_level level;
    std::string text;
  };
  /// Answers a dispatch to an actor; the default replies with empty bytes.
  using Reply = std::function<Expected<Bytes>(const Dispatched&)>;

  /// Loads STRATUS_PROVIDER_DIR/libstratus_<name>.so and configures its dispatcher; fails the test on error.
  static std::unique_ptr<ProviderHarness> load(const std::string& name) {
    auto h = std::unique_ptr<ProviderHarness>(new ProviderHarness);
    auto loaded = capability::NativeProvider::load(std::string(STRATUS_PROVIDER_DIR) + "/libstratus_" + name + ".so");
    if (!loaded) {
      ADD_FAILURE() << loaded.error().toString();
      return nullptr;
    }
    h->provider = std::move(*loaded);
    ProviderHarness* self = h.get();
    auto configured = h->provider->configureDispatch(
        [self](std::string_view actor, std::string_view op, std::span<const uint8_t> msg) -> Expected<Bytes> {
          Dispatched d{std::string(actor), std::string(op), Bytes(msg.begin(), msg.end())};
          Reply reply;
          {
            std::lock_guard lock(self->mu_);
            self->dispatched_.push_back(d);
            reply = self->reply_;
          }
          self->cv_.notify_all();
          return reply ? reply(d) : Expected<Bytes>(Bytes{});
        },
        [self](stratus_log_level level, std::string_view text) {
          {
            std::lock_guard lock(self->mu_);
            self->logs_.push_back({level, std::string(text)});
          }
          self->cv_.notify_all();
        });
    if (!configured) {
      ADD_FAILURE() << configured.error().toString();
    }
    return h;
  }

  ~ProviderHarness() {
    if (provider) {
      auto stopped = provider->stop();
      EXPECT_TRUE(stopped) << "provider did not stop cleanly: " << (stopped ? "" : stopped.error().toString());
    }
  }

  /// BindActor for `actor` with link `values`.
  Expected<Bytes> bind(const std::string& actor, std::map<std::string, std::string> values = {}) {
    return provider->call(codec::kSystemActor, codec::kOpBindActor,
                          codec::encode(codec::CapabilityConfiguration{actor, std::move(values)}));
  }
  /// RemoveActor for `actor`.
  Expected<Bytes> remove(const std::string& actor) {
    return provider->call(codec::kSystemActor, codec::kOpRemoveActor,
                          codec::encode(codec::CapabilityConfiguration{actor, {}}));
  }
  Expected<Bytes> call(std::string_view actor, std::string_view op, std::span<const uint8_t> msg) {
    return provider->call(actor, op, msg);
  }

  void setReply(Reply reply) {
    std::lock_guard lock(mu_);
    reply_ = std::move(reply);
  }

  /// Waits until `pred(dispatched, logs)` holds (checked under the lock); false on timeout.
  bool waitFor(const std::function<bool(const std::vector<Dispatched>&, const std::vector<LogLine>&)>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(dispatched_, logs_); });
  }

  std::vector<Dispatched> dispatched() {
    std::lock_guard lock(mu_);
    return dispatched_;
  }
  std::vector<LogLine> logs() {
    std::lock_guard lock(mu_);
    return logs_;
  }

  std::unique_ptr<capability::NativeProvider> provider;

 private:
  ProviderHarness() = default;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Dispatched> dispatched_;
  std::vector<LogLine> logs_;
  Reply reply_;
};

/// A fake actor public key (56 chars starting with 'M'), distinct per `tag`.
inline std::string actorKey(char tag) { return "M" + std::string(55, tag); }

}  // namespace stratus::testing
