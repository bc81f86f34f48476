// Delivery of HostEvents to the host's listener.
#pragma once

#include <functional>

#include "stratus/host/host.h"

namespace stratus::host {

/// Hands each event to the listener given to the HostBuilder, synchronously on the calling thread. Every caller
/// emits with no host lock held, so a listener may call back into the host. Thread-safe.
class EventSink {
 public:
  explicit EventSink(std::function<void(const HostEvent&)> listener) : listener_(std::move(listener)) {}
  void emit(const HostEvent& event) const {
    if (listener_) listener_(event);
  }

 private:
  const std::function<void(const HostEvent&)> listener_;
};

}  // namespace stratus::host
