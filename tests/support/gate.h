// A gate test code blocks on until the test opens it (header-only).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace stratus::testing {

/// Blocks callers of wait() until open(). A stubbed actor or job that must stay busy while a test looks at what
/// happens meanwhile waits on one; share it by `std::shared_ptr` with code that may outlive the test body when an
/// assertion fails. Thread-safe.
class Gate {
 public:
  /// Blocks until open().
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  /// Blocks until open() (true) or until `limit` passed (false): a bound for a test that fails before opening it.
  bool waitFor(std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [this] { return open_; });
  }
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;  // guarded by mu_
};

}  // namespace stratus::testing
