// Waiting for what arrives asynchronously (over NATS, from another thread) in tests.
#pragma once

#include <chrono>
#include <thread>

namespace stratus::testing {

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  for (auto deadline = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < deadline;) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace stratus::testing
