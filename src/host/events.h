// Delivery of HostEvents to the host's listeners.
#pragma once

#include <functional>
#include <vector>

#include "stratus/host/host.h"

namespace stratus::host {

/// Hands each event to the listeners given to the HostBuilder, in order, synchronously on the calling thread. Every
/// caller emits with no host lock held, so a listener may call back into the host. Thread-safe.
class EventSink {
 public:
  explicit EventSink(std::vector<std::function<void(const HostEvent&)>> listeners)
      : listeners_(std::move(listeners)) {}
  void emit(const HostEvent& event) const {
    for (const auto& listener : listeners_) listener(event);
  }

 private:
  const std::vector<std::function<void(const HostEvent&)>> listeners_;
};

}  // namespace stratus::host
