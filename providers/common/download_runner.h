// Chunked downloads of the blobstore providers: each StartDownload answers at once and a thread of its own then
// delivers ReceiveChunk calls to the actor (as wasmCloud 0.18's providers did). Header-only.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::providers {

/// "object 'o' in container 'c'", for messages.
inline std::string objectLabel(const std::string& container, const std::string& object) {
  std::string out = "object '";
  out.append(object).append("' in container '").append(container).append("'");
  return out;
}

/// `e` with its message prefixed by "<op>: ".
inline Unexpected opError(std::string_view op, Error e) {
  std::string msg(op);
  msg.append(": ").append(e.message);
  return fail(e.code, std::move(msg));
}

/// Download threads: each runs one job; stopAll() cancels and joins them. Thread-safe.
class DownloadRunner {
 public:
  using Job = std::function<void(const std::atomic<bool>& cancelled)>;

  explicit DownloadRunner(size_t max_running) : max_running_(max_running) {}
  ~DownloadRunner() { stopAll(); }
  DownloadRunner(const DownloadRunner&) = delete;
  DownloadRunner& operator=(const DownloadRunner&) = delete;

  /// Runs `job` on a new thread on behalf of `actor`. kResourceExhausted when max_running jobs run already,
  /// kUnavailable after stopAll().
  Expected<void> start(const std::string& actor, Job job) STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    reapFinished();
    if (stopped_) return fail(ErrorCode::kUnavailable, "the provider is stopping");
    if (running_.size() >= max_running_) {
      return fail(ErrorCode::kResourceExhausted,
                  std::to_string(max_running_) + " downloads are in progress already; try again later");
    }
    auto entry = std::make_unique<Entry>();
    entry->actor = actor;
    Entry* e = entry.get();
    e->thread = std::thread([e, job = std::move(job)] {
      job(e->cancelled);
      e->finished = true;
    });
    running_.push_back(std::move(entry));
    return ok();
  }

  /// Asks the downloads of `actor` to stop after their current chunk.
  void cancel(std::string_view actor) STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    for (auto& e : running_) {
      if (e->actor == actor) e->cancelled = true;
    }
  }

  /// Cancels every download and waits for their threads; later start() calls fail.
  void stopAll() STRATUS_EXCLUDES(mu_) {
    std::list<std::unique_ptr<Entry>> all;
    {
      MutexLock lock(mu_);
      stopped_ = true;
      for (auto& e : running_) e->cancelled = true;
      all.swap(running_);
    }
    for (auto& e : all) {
      if (e->thread.joinable()) e->thread.join();
    }
  }

 private:
  struct Entry {
    std::string actor;
    std::atomic<bool> cancelled{false};
    std::atomic<bool> finished{false};
    std::thread thread;
  };

  void reapFinished() STRATUS_REQUIRES(mu_) {
    for (auto it = running_.begin(); it != running_.end();) {
      if ((*it)->finished) {
        (*it)->thread.join();
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
  }

  const size_t max_running_;
  Mutex mu_;
  std::list<std::unique_ptr<Entry>> running_ STRATUS_GUARDED_BY(mu_);
  bool stopped_ STRATUS_GUARDED_BY(mu_) = false;
};

}  // namespace stratus::providers
