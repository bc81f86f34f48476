// Running code that may never return (a provider's stop or health check) on a thread of its own, and waiting for
// it with a bound.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace stratus {

namespace detail {
struct BoundedTaskState;
}

/// A function running on a thread of its own, started by the constructor. The owner waits for it with a bound
/// (waitFor) and goes on when the bound passes. Every thread is joined: when the function has not returned by the
/// time the task is destroyed, its thread goes to a process-wide reaper, which joins it as soon as the function
/// returns (checked whenever a thread is handed over, and by hungTaskCount) — so a function that hangs for good
/// costs one parked thread, never a blocked owner, and a thread is never detached.
///
/// Whatever the function uses must stay alive until it returns, not only until the task is destroyed: capture
/// shared ownership. waitFor and done may be called from one thread at a time.
class BoundedTask {
 public:
  explicit BoundedTask(std::function<void()> fn);
  ~BoundedTask();
  BoundedTask(const BoundedTask&) = delete;
  BoundedTask& operator=(const BoundedTask&) = delete;

  /// Waits up to `timeout` for the function to return; true when it has (its thread is then joined).
  bool waitFor(std::chrono::milliseconds timeout) { return waitUntil(std::chrono::steady_clock::now() + timeout); }
  /// The same, up to a point in time (one past already: only checks).
  bool waitUntil(std::chrono::steady_clock::time_point deadline);
  /// Whether the function has returned.
  bool done() const;
  /// When the task started.
  std::chrono::steady_clock::time_point started() const { return started_; }

 private:
  std::shared_ptr<detail::BoundedTaskState> state_;
  std::thread thread_;
  std::chrono::steady_clock::time_point started_;
};

/// Threads handed to the reaper whose function has not returned yet (after joining those that have).
size_t hungTaskCount();

}  // namespace stratus
