// A bounded pool of waPC instances of one actor, so concurrent calls don't serialise on one instance.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/wapc/wapc.h"

namespace stratus::host {

/// Hands out idle instances, creating new ones up to `max` when all are busy, and waits when the pool is full.
/// A poisoned instance (one whose call trapped) is destroyed on return instead of being reused, and so is one of an
/// earlier generation (see retireAll).
class InstancePool {
 public:
  using Factory = std::function<Expected<std::unique_ptr<wapc::WapcInstance>>()>;

  InstancePool(Factory factory, size_t max);
  ~InstancePool();

  /// Creates instances until `count` exist (at most max). Errors from the factory are returned.
  Expected<void> prefill(size_t count);

  /// Exclusive use of one instance; returns it to the pool when destroyed.
  class Lease {
   public:
    Lease(InstancePool* pool, std::unique_ptr<wapc::WapcInstance> instance, uint64_t generation)
        : pool_(pool), instance_(std::move(instance)), generation_(generation) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (instance_) pool_->release(std::move(instance_), generation_);
    }
    wapc::WapcInstance* operator->() { return instance_.get(); }

   private:
    InstancePool* pool_;
    std::unique_ptr<wapc::WapcInstance> instance_;
    uint64_t generation_;
  };

  /// An idle instance, a new one, or (when `max` are busy) the next one returned within `timeout`; else
  /// kResourceExhausted.
  Expected<Lease> acquire(std::chrono::milliseconds timeout);

  /// Starts a new generation: idle instances are destroyed now, leased ones when they come back (the calls they
  /// serve finish undisturbed), and every instance from now on comes from the factory anew (e.g. from new code).
  void retireAll();

  /// Instances alive (idle + leased).
  size_t size() const;
  size_t max() const { return max_; }

 private:
  void release(std::unique_ptr<wapc::WapcInstance> instance, uint64_t generation);

  const Factory factory_;
  const size_t max_;
  mutable Mutex mu_;  // leaf lock; instances are made and destroyed outside it
  std::condition_variable cv_;
  std::vector<std::unique_ptr<wapc::WapcInstance>> idle_ STRATUS_GUARDED_BY(mu_);
  size_t alive_ STRATUS_GUARDED_BY(mu_) = 0;       // includes those being created
  uint64_t generation_ STRATUS_GUARDED_BY(mu_) = 0;  // of every instance in idle_
};

}  // namespace stratus::host
