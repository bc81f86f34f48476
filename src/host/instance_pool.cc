#include "host/instance_pool.h"

#include <string>

namespace stratus::host {

InstancePool::InstancePool(Factory factory, size_t max) : factory_(std::move(factory)), max_(max < 1 ? 1 : max) {}

InstancePool::~InstancePool() = default;

Expected<void> InstancePool::prefill(size_t count) {
  while (size() < std::min(count, max_)) {
    uint64_t generation = 0;
    {
      MutexLock lock(mu_);
      ++alive_;
      generation = generation_;
    }
    auto instance = factory_();
    MutexLock lock(mu_);
    if (!instance || generation != generation_) {
      --alive_;
      lock.unlock();
      cv_.notify_one();
      if (!instance) return fail(instance.takeError());
      continue;  // retired while it was being made; destroyed outside the lock
    }
    idle_.push_back(std::move(*instance));
  }
  return ok();
}

Expected<InstancePool::Lease> InstancePool::acquire(std::chrono::milliseconds timeout) {
  MutexLock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (idle_.empty() && alive_ >= max_) {
    if (cv_.wait_until(lock.native(), deadline) == std::cv_status::timeout && idle_.empty() && alive_ >= max_) {
      return fail(ErrorCode::kResourceExhausted, "all " + std::to_string(max_) + " instances stayed busy for " +
                                                     std::to_string(timeout.count()) + " ms");
    }
  }
  if (!idle_.empty()) {
    auto instance = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(instance), generation_);
  }
  ++alive_;
  const uint64_t generation = generation_;
  lock.unlock();
  auto instance = factory_();
  if (!instance) {
    lock.lock();
    --alive_;
    cv_.notify_one();
    return fail(instance.takeError());
  }
  return Lease(this, std::move(*instance), generation);
}

void InstancePool::release(std::unique_ptr<wapc::WapcInstance> instance, uint64_t generation) {
  MutexLock lock(mu_);
  if (instance->poisoned() || generation != generation_) {
    --alive_;
    lock.unlock();
    cv_.notify_one();
    instance.reset();  // destroyed outside the lock
    return;
  }
  idle_.push_back(std::move(instance));
  lock.unlock();
  cv_.notify_one();
}

void InstancePool::retireAll() {
  std::vector<std::unique_ptr<wapc::WapcInstance>> retired;
  {
    MutexLock lock(mu_);
    ++generation_;
    retired.swap(idle_);
    alive_ -= retired.size();
  }
  cv_.notify_all();
  // `retired` is destroyed here, outside the lock.
}

size_t InstancePool::size() const {
  MutexLock lock(mu_);
  return alive_;
}

}  // namespace stratus::host
