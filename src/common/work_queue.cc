#include "common/work_queue.h"

namespace stratus {

bool WorkQueue::post(std::function<void()> task) {
  MutexLock lock(mu_);
  if (stopping_) return false;
  tasks_.push_back(std::move(task));
  if (idle_ >= tasks_.size() || threads_.size() >= max_threads_) {
    cv_.notify_one();
  } else {
    threads_.emplace_back([this] { work(); });
  }
  return true;
}

void WorkQueue::work() {
  MutexLock lock(mu_);
  for (;;) {
    ++idle_;
    cv_.wait(lock.native(), [&]() STRATUS_REQUIRES(mu_) { return stopping_ || !tasks_.empty(); });
    --idle_;
    if (tasks_.empty()) return;  // stopping, and nothing left to run
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // what the task captured goes before the lock is taken again
    lock.lock();
  }
}

void WorkQueue::stop() {
  std::vector<std::thread> threads;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) t.join();
}

}  // namespace stratus
