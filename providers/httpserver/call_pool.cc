#include "call_pool.h"

#include <algorithm>

namespace stratus::httpserver {
namespace {

// Ticks the monitor waits with nothing running before it sleeps until the next job: at a low request rate it keeps
// ticking rather than being woken for every request.
constexpr unsigned kIdleTicksBeforeSleep = 100;

}  // namespace

CallPool::CallPool(unsigned max_threads, Clock::duration stall) : stall_(stall) {
  max_threads = std::max(1u, max_threads);
  threads_.reserve(max_threads + 1);
  try {
    for (unsigned i = 0; i < max_threads; ++i) threads_.emplace_back([this] { work(); });
    threads_.emplace_back([this] { monitor(); });
  } catch (...) {
    join();
    throw;
  }
}

CallPool::~CallPool() { join(); }

void CallPool::post(std::function<void()> job) {
  MutexLock lock(mu_);
  if (joining_) return;
  queue_.push_back(Job{std::move(job), Clock::now()});
  // With a job running, its thread takes this one next (or the monitor adds a thread if that takes too long); with
  // none, one thread is woken, once: until it runs, later posts must not wake more.
  if (running_ == 0 && permits_ == 0) {
    ++permits_;
    work_cv_.notify_one();
  }
}

void CallPool::join() {
  {
    MutexLock lock(mu_);
    joining_ = true;
    monitor_asleep_ = false;
  }
  work_cv_.notify_all();
  monitor_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

unsigned CallPool::running() const {
  MutexLock lock(mu_);
  return running_;
}

void CallPool::work() {
  MutexLock lock(mu_);
  bool just_finished = false;
  for (;;) {
    if (!queue_.empty()) {
      bool take = joining_ || just_finished;
      if (!take && permits_ > 0) {
        --permits_;
        take = true;
      }
      if (take) {
        Job job = std::move(queue_.front());
        queue_.pop_front();
        if (queue_.empty()) permits_ = 0;  // nothing left that a granted wake-up was for
        ++running_;
        if (monitor_asleep_) {
          monitor_asleep_ = false;
          monitor_cv_.notify_one();
        }
        lock.unlock();
        job.fn();
        job.fn = nullptr;  // what the job captured goes before the lock is taken again
        lock.lock();
        --running_;
        just_finished = true;
        continue;
      }
    }
    just_finished = false;
    if (joining_ && queue_.empty()) return;
    ++idle_;
    work_cv_.wait(lock.native());
    --idle_;
  }
}

void CallPool::monitor() {
  MutexLock lock(mu_);
  unsigned idle_ticks = 0;
  while (!joining_) {
    if (running_ == 0 && queue_.empty()) {
      if (++idle_ticks > kIdleTicksBeforeSleep) {
        monitor_asleep_ = true;
        monitor_cv_.wait(lock.native(),
                         [this]() STRATUS_NO_THREAD_SAFETY_ANALYSIS { return !monitor_asleep_ || joining_; });
        idle_ticks = 0;
        continue;
      }
    } else {
      idle_ticks = 0;
    }
    monitor_cv_.wait_for(lock.native(), stall_);
    if (joining_) break;
    // The oldest job waited a whole tick: the running threads are blocked or busy; let one more in.
    if (!queue_.empty() && Clock::now() - queue_.front().queued >= stall_ && idle_ > permits_) {
      ++permits_;
      work_cv_.notify_one();
    }
  }
}

}  // namespace stratus::httpserver
