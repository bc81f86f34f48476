#include "engine/watchdog.h"

#include <time.h>

#include <algorithm>

#include "stratus/engine/engine.h"

namespace stratus::engine {

int64_t coarseNowNanos() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void CallDeadline::begin(std::chrono::milliseconds timeout) {
  state_.store(coarseNowNanos() + std::chrono::nanoseconds(timeout).count(), std::memory_order_release);
}

bool CallDeadline::end() {
  int64_t seen = state_.load(std::memory_order_acquire);
  if (seen > 0 && state_.compare_exchange_strong(seen, kIdle, std::memory_order_acq_rel)) return false;
  // The watchdog claimed this call: wait until it has finished interrupting, so it can't touch a later call.
  while (state_.load(std::memory_order_acquire) == kFiring) std::this_thread::yield();
  state_.store(kIdle, std::memory_order_release);
  return true;
}

Watchdog& Watchdog::shared() {
  static Watchdog* watchdog = new Watchdog();  // never destroyed: instances may outlive static destruction
  return *watchdog;
}

Watchdog::~Watchdog() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::add(Instance* instance, CallDeadline* deadline) {
  MutexLock lock(mu_);
  entries_.push_back({instance, deadline});
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  cv_.notify_all();
}

void Watchdog::remove(Instance* instance) {
  MutexLock lock(mu_);
  std::erase_if(entries_, [&](const Entry& e) { return e.instance == instance; });
}

void Watchdog::run() {
  MutexLock lock(mu_);
  while (!stopping_) {
    if (entries_.empty()) {
      cv_.wait(lock.native(), [&]() STRATUS_REQUIRES(mu_) { return stopping_ || !entries_.empty(); });
      continue;
    }
    const int64_t now = coarseNowNanos();
    for (auto& e : entries_) {
      int64_t due = e.deadline->state_.load(std::memory_order_acquire);
      if (due > 0 && due <= now &&
          e.deadline->state_.compare_exchange_strong(due, CallDeadline::kFiring, std::memory_order_acq_rel)) {
        e.instance->interrupt();
        e.deadline->state_.store(CallDeadline::kFired, std::memory_order_release);
      }
    }
    cv_.wait_for(lock.native(), kTick);
  }
}

}  // namespace stratus::engine
