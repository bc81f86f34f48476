// The per-actor state of a first-party provider (configuration, connections, a store), shared by every call.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::providers {

/// One entry per linked actor, set by BindActor and dropped by RemoveActor, looked up by every call under a shared
/// lock. A call keeps the entry it found alive until it is done, even when the actor is removed meanwhile; entries
/// replaced or removed are destroyed outside the lock (closing connections may take a while).
template <typename T>
class ActorMap {
 public:
  /// The actor's entry, or null when it is not linked.
  std::shared_ptr<T> find(std::string_view actor) const STRATUS_EXCLUDES(mu_) {
    ReaderLock lock(mu_);
    auto it = entries_.find(actor);
    return it == entries_.end() ? nullptr : it->second;
  }

  /// Sets the actor's entry, replacing the one it had.
  void put(std::string_view actor, std::shared_ptr<T> entry) STRATUS_EXCLUDES(mu_) {
    std::shared_ptr<T> replaced;  // destroyed after the lock is released
    WriterLock lock(mu_);
    auto [it, inserted] = entries_.try_emplace(std::string(actor), std::move(entry));
    if (!inserted) {
      replaced = std::move(it->second);
      it->second = std::move(entry);
    }
  }

  /// Calls `update(T&)` on the actor's entry, or sets `create()` when it has none; both under the lock.
  template <typename Update, typename Create>
  void updateOrCreate(std::string_view actor, Update&& update, Create&& create) STRATUS_EXCLUDES(mu_) {
    WriterLock lock(mu_);
    if (auto it = entries_.find(actor); it != entries_.end()) {
      update(*it->second);
    } else {
      entries_.emplace(std::string(actor), create());
    }
  }

  /// Drops the actor's entry, if any.
  void remove(std::string_view actor) STRATUS_EXCLUDES(mu_) {
    std::shared_ptr<T> removed;  // destroyed after the lock is released
    WriterLock lock(mu_);
    if (auto it = entries_.find(actor); it != entries_.end()) {
      removed = std::move(it->second);
      entries_.erase(it);
    }
  }

  /// Drops every entry.
  void clear() STRATUS_EXCLUDES(mu_) {
    std::map<std::string, std::shared_ptr<T>, std::less<>> removed;  // destroyed after the lock is released
    WriterLock lock(mu_);
    removed.swap(entries_);
  }

 private:
  mutable SharedMutex mu_;
  std::map<std::string, std::shared_ptr<T>, std::less<>> entries_ STRATUS_GUARDED_BY(mu_);
};

/// The error of a call from an actor without an entry: kPermissionDenied, "<what>: actor <key> is not linked to
/// this provider (no BindActor received)".
inline Error notLinked(std::string_view what, std::string_view actor) {
  std::string text(what);
  text.append(": actor ").append(actor).append(" is not linked to this provider (no BindActor received)");
  return {ErrorCode::kPermissionDenied, std::move(text)};
}

}  // namespace stratus::providers
