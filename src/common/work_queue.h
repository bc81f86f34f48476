// A pool of threads started as the load needs them: what runs lattice requests off libnats threads, and the calls
// between a host and its out-of-process providers.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "stratus/common/thread_annotations.h"

namespace stratus {

/// Runs posted tasks on up to `max_threads` threads, started as the load needs them and kept afterwards. A task may
/// block (an actor calling another host waits for its reply): with a thread per task in flight, a call chain that
/// crosses hosts and comes back (A→B→A) finds a free thread on each host while fewer than `max_threads` calls wait
/// there. Thread-safe.
class WorkQueue {
 public:
  explicit WorkQueue(size_t max_threads) : max_threads_(std::max<size_t>(1, max_threads)) {}
  ~WorkQueue() { stop(); }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  /// Queues `task`; false (the task is dropped) once stop() has begun.
  bool post(std::function<void()> task) STRATUS_EXCLUDES(mu_);
  /// Takes no more tasks, runs the queued ones, and joins every thread. Idempotent; not from a task.
  void stop() STRATUS_EXCLUDES(mu_);

 private:
  void work() STRATUS_EXCLUDES(mu_);

  const size_t max_threads_;
  Mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_ STRATUS_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ STRATUS_GUARDED_BY(mu_);
  size_t idle_ STRATUS_GUARDED_BY(mu_) = 0;
  bool stopping_ STRATUS_GUARDED_BY(mu_) = false;
};

}  // namespace stratus
