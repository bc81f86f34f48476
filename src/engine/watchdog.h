// Per-call deadlines for engine instances: a shared watchdog thread interrupts calls that run past their deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "stratus/common/thread_annotations.h"

namespace stratus::engine {

class Instance;

/// The deadline of one instance's current call. Owned by the instance; registered with the Watchdog for its
/// lifetime. begin()/end() are called by the thread running the call; the watchdog only ever interrupts a call
/// that is still between begin() and end().
class CallDeadline {
 public:
  /// Arms the deadline `timeout` from now.
  void begin(std::chrono::milliseconds timeout);
  /// Disarms it. Returns true when the watchdog fired for this call (the instance was interrupted).
  bool end();

 private:
  friend class Watchdog;
  static constexpr int64_t kIdle = 0;
  static constexpr int64_t kFiring = -1;
  static constexpr int64_t kFired = -2;

  /// kIdle, kFiring, kFired, or the deadline in coarse-monotonic nanoseconds.
  std::atomic<int64_t> state_{kIdle};
};

/// Coarse monotonic clock in nanoseconds (cheap: no system call).
int64_t coarseNowNanos();

/// One process-wide thread that scans registered deadlines every few milliseconds while any are registered, and
/// calls Instance::interrupt() on those past due. Deadlines are thus honoured to within about one tick.
class Watchdog {
 public:
  static Watchdog& shared();

  /// Registers `instance` with its deadline; both must outlive the registration.
  void add(Instance* instance, CallDeadline* deadline);
  /// Unregisters; after return the watchdog no longer touches them.
  void remove(Instance* instance);

  static constexpr std::chrono::milliseconds kTick{5};

 private:
  Watchdog() = default;
  ~Watchdog();
  void run();

  struct Entry {
    Instance* instance;
    CallDeadline* deadline;
  };
  Mutex mu_;
  std::condition_variable cv_;
  std::vector<Entry> entries_ STRATUS_GUARDED_BY(mu_);
  bool stopping_ STRATUS_GUARDED_BY(mu_) = false;
  std::thread thread_;          // started on first add()
};

}  // namespace stratus::engine
