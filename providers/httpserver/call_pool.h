// The httpserver's blocking pool for actor calls: up to N threads, of which only as many run as keep the queue
// moving.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "stratus/common/thread_annotations.h"

namespace stratus::httpserver {

/// Runs jobs that may block (actor calls) on up to `max_threads` threads.
///
/// Waking a sleeping thread costs more than a typical actor call (a few µs), and a pool that wakes a thread per job
/// (asio's thread_pool) spends most of its time switching threads under load. Here a thread that finishes a job
/// takes the next one, and a sleeping thread is woken only when no thread is running jobs, or when the oldest
/// queued job has waited longer than `stall`: the running jobs are then slow or blocked (or more than the running
/// threads can keep up with), and one more thread joins. A blocked call thus holds the calls queued behind it up by
/// about `stall` at most, and with many slow calls up to `max_threads` run at once. A monitor thread checks for
/// stalls every `stall` while jobs are running and sleeps while the pool is idle.
class CallPool {
 public:
  using Clock = std::chrono::steady_clock;

  /// Starts the threads.
  CallPool(unsigned max_threads, Clock::duration stall);
  /// Calls join().
  ~CallPool();
  CallPool(const CallPool&) = delete;
  CallPool& operator=(const CallPool&) = delete;

  /// Queues `job`, which must not throw. Jobs start in the order they were posted. After join() the job is
  /// dropped.
  void post(std::function<void()> job) STRATUS_EXCLUDES(mu_);

  /// Runs every queued job, waits for the running ones and joins the threads. Idempotent; not to be called from a
  /// job, nor from two threads at once.
  void join() STRATUS_EXCLUDES(mu_);

  /// Threads running a job right now (for tests and diagnostics).
  unsigned running() const STRATUS_EXCLUDES(mu_);

 private:
  struct Job {
    std::function<void()> fn;
    Clock::time_point queued;
  };

  void work() STRATUS_EXCLUDES(mu_);
  void monitor() STRATUS_EXCLUDES(mu_);

  const Clock::duration stall_;
  mutable Mutex mu_;
  std::condition_variable work_cv_;     // idle workers wait here
  std::condition_variable monitor_cv_;  // the monitor waits here
  std::deque<Job> queue_ STRATUS_GUARDED_BY(mu_);
  unsigned running_ STRATUS_GUARDED_BY(mu_) = 0;         // workers inside a job
  unsigned idle_ STRATUS_GUARDED_BY(mu_) = 0;            // workers waiting on work_cv_
  unsigned permits_ STRATUS_GUARDED_BY(mu_) = 0;         // wake-ups the monitor granted for stalled jobs
  bool monitor_asleep_ STRATUS_GUARDED_BY(mu_) = false;  // waiting for activity, not ticking
  bool joining_ STRATUS_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // workers, then the monitor
};

}  // namespace stratus::httpserver
