// Clang's thread-safety analysis (-Wthread-safety): annotated mutex types and the macros that say which mutex
// guards which state. Under GCC the macros expand to nothing and the types behave as the std ones they wrap.
#pragma once

#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#if defined(__clang__)
#define STRATUS_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define STRATUS_THREAD_ANNOTATION(x)
#endif

#define STRATUS_CAPABILITY(x) STRATUS_THREAD_ANNOTATION(capability(x))
#define STRATUS_SCOPED_CAPABILITY STRATUS_THREAD_ANNOTATION(scoped_lockable)
#define STRATUS_GUARDED_BY(x) STRATUS_THREAD_ANNOTATION(guarded_by(x))
#define STRATUS_PT_GUARDED_BY(x) STRATUS_THREAD_ANNOTATION(pt_guarded_by(x))
#define STRATUS_REQUIRES(...) STRATUS_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define STRATUS_REQUIRES_SHARED(...) STRATUS_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define STRATUS_EXCLUDES(...) STRATUS_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define STRATUS_ACQUIRE(...) STRATUS_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define STRATUS_ACQUIRE_SHARED(...) STRATUS_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define STRATUS_RELEASE(...) STRATUS_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define STRATUS_RELEASE_SHARED(...) STRATUS_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define STRATUS_RELEASE_GENERIC(...) STRATUS_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define STRATUS_TRY_ACQUIRE(...) STRATUS_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define STRATUS_NO_THREAD_SAFETY_ANALYSIS STRATUS_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace stratus {

/// std::mutex, annotated as a capability.
class STRATUS_CAPABILITY("mutex") Mutex {
 public:
  void lock() STRATUS_ACQUIRE() { mu_.lock(); }
  void unlock() STRATUS_RELEASE() { mu_.unlock(); }
  bool try_lock() STRATUS_TRY_ACQUIRE(true) { return mu_.try_lock(); }
  /// For std::condition_variable_any and std::unique_lock users that the analysis cannot follow.
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

/// std::shared_mutex, annotated as a capability.
class STRATUS_CAPABILITY("shared mutex") SharedMutex {
 public:
  void lock() STRATUS_ACQUIRE() { mu_.lock(); }
  void unlock() STRATUS_RELEASE() { mu_.unlock(); }
  void lock_shared() STRATUS_ACQUIRE_SHARED() { mu_.lock_shared(); }
  void unlock_shared() STRATUS_RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

/// Holds a Mutex for its scope; may be unlocked and locked again (e.g. around a wait or a call-out).
class STRATUS_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) STRATUS_ACQUIRE(mu) : lock_(mu.native()) {}
  ~MutexLock() STRATUS_RELEASE() = default;
  void unlock() STRATUS_RELEASE() { lock_.unlock(); }
  void lock() STRATUS_ACQUIRE() { lock_.lock(); }
  /// For condition variables: waits release and retake the mutex, which the analysis treats as held throughout.
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

/// Holds a SharedMutex exclusively for its scope.
class STRATUS_SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) STRATUS_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~WriterLock() STRATUS_RELEASE() { mu_.unlock(); }

 private:
  SharedMutex& mu_;
};

/// Holds a SharedMutex shared for its scope.
class STRATUS_SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) STRATUS_ACQUIRE_SHARED(mu) : mu_(mu) { mu_.lock_shared(); }
  ~ReaderLock() STRATUS_RELEASE() { mu_.unlock_shared(); }

 private:
  SharedMutex& mu_;
};

}  // namespace stratus
