#include "common/bounded_task.h"

#include <condition_variable>
#include <mutex>
#include <vector>

#include "stratus/common/thread_annotations.h"

namespace stratus {

struct detail::BoundedTaskState {
  Mutex mu;
  std::condition_variable cv;
  bool done STRATUS_GUARDED_BY(mu) = false;

  bool isDone() STRATUS_EXCLUDES(mu) {
    MutexLock lock(mu);
    return done;
  }
};

namespace {

struct Parked {
  std::thread thread;
  std::shared_ptr<detail::BoundedTaskState> state;
};

// Threads whose function was still running when their task went away. Deliberately never destroyed: one still
// inside a hung provider at exit ends with the process.
struct Reaper {
  Mutex mu;
  std::vector<Parked> parked STRATUS_GUARDED_BY(mu);

  // Joins the parked threads whose function returned; returns how many are still running.
  size_t reapFinished() STRATUS_REQUIRES(mu) {
    std::erase_if(parked, [](Parked& p) {
      if (!p.state->isDone()) return false;
      p.thread.join();
      return true;
    });
    return parked.size();
  }
};

Reaper& reaper() {
  static Reaper* r = new Reaper();
  return *r;
}

}  // namespace

BoundedTask::BoundedTask(std::function<void()> fn)
    : state_(std::make_shared<detail::BoundedTaskState>()), started_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([state = state_, fn = std::move(fn)] {
    fn();
    {
      MutexLock lock(state->mu);
      state->done = true;
    }
    state->cv.notify_all();
  });
}

BoundedTask::~BoundedTask() {
  if (!thread_.joinable()) return;
  if (done()) {
    thread_.join();
    return;
  }
  auto& r = reaper();
  MutexLock lock(r.mu);
  r.reapFinished();
  r.parked.push_back({std::move(thread_), state_});
}

bool BoundedTask::waitUntil(std::chrono::steady_clock::time_point deadline) {
  {
    MutexLock lock(state_->mu);
    if (!state_->cv.wait_until(lock.native(), deadline, [&]() STRATUS_REQUIRES(state_->mu) { return state_->done; })) {
      return false;
    }
  }
  if (thread_.joinable()) thread_.join();
  return true;
}

bool BoundedTask::done() const { return state_->isDone(); }

size_t hungTaskCount() {
  auto& r = reaper();
  MutexLock lock(r.mu);
  return r.reapFinished();
}

}  // namespace stratus
