// Health checks of a host's providers: periodic HealthRequests with a bound, and the health state they feed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/bounded_task.h"
#include "host/events.h"
#include "host/provider_table.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::host {

/// Sends every provider a HealthRequest each `interval` (none when zero) and on demand, and records the answers.
/// A check that gets no answer within `timeout` marks the provider unhealthy; while it stays unanswered no
/// further HealthRequest is sent to that provider (a hung provider costs one thread, not one per round). Health
/// changes are logged and emitted as events with no lock held. Thread-safe; rounds run one at a time.
class ProviderHealth {
 public:
  ProviderHealth(const ProviderTable& providers, const EventSink& events, std::chrono::milliseconds interval,
                 std::chrono::milliseconds timeout);
  /// Stops the periodic checks (waits for a round in progress, which is bounded by `timeout`).
  ~ProviderHealth();
  /// The same, earlier: for a host about to stop its providers.
  void stopPeriodic() STRATUS_EXCLUDES(stop_mu_);

  /// Runs one round now over every provider, in parallel; returns when each answered or the timeout passed.
  void checkAll() STRATUS_EXCLUDES(round_mu_);
  /// Records a health state (from a check or a crash); on a change, logs it and emits ProviderHealthy or
  /// ProviderUnhealthy.
  void mark(Provider& provider, bool healthy, std::string message) const;

 private:
  struct Check {
    std::shared_ptr<Provider> provider;
    std::shared_ptr<Expected<Bytes>> reply;  // written by the task before it ends
    std::unique_ptr<BoundedTask> task;
  };
  void loop();

  const ProviderTable& providers_;
  const EventSink& events_;
  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds timeout_;

  Mutex round_mu_;  // serializes rounds; held while waiting for answers, never while emitting
  std::map<const Provider*, Check> unanswered_ STRATUS_GUARDED_BY(round_mu_);  // checks past their timeout

  Mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ STRATUS_GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

}  // namespace stratus::host
