// One actor's in-memory key-value data with Redis semantics (strings, lists, sets; per-key expiry).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "stratus/codec/keyvalue.h"
#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::providers::keyvalue {

using Clock = std::chrono::steady_clock;

/// Size limits of one store; both are checked before a change is made, so a refused call changes nothing.
struct StoreLimits {
  /// Largest key, string value, list item or set member, in bytes.
  uint64_t max_value_bytes = uint64_t{1} << 20;
  /// Approximate memory the whole store may hold (keys + values + a fixed overhead per key and per element).
  uint64_t max_store_bytes = uint64_t{64} << 20;
};

/// The data of one actor. Thread-safe: every call locks the store's mutex, so each operation is atomic (a
/// concurrent Add never loses an increment).
class Store {
 public:
  /// `owner` names the actor in error messages.
  Store(std::string owner, StoreLimits limits);

  /// Replaces the limits (a re-sent BindActor); data already stored is kept even if it exceeds them.
  void setLimits(StoreLimits limits) STRATUS_EXCLUDES(mu_);

  /// Runs one wasmcloud:keyvalue operation at time `now` and returns the encoded reply. Errors: WRONGTYPE when
  /// the key holds another kind of value (kInvalidArgument), a non-integer value for Add, an overflow, a negative
  /// expiry, or a limit (kResourceExhausted), each naming the operation and key.
  Expected<Bytes> apply(const codec::KeyValueRequest& request, Clock::time_point now) STRATUS_EXCLUDES(mu_);

 private:
  using List = std::deque<std::string>;
  using Set = std::set<std::string, std::less<>>;
  struct Entry {
    std::variant<std::string, List, Set> value;
    Clock::time_point expires_at = Clock::time_point::max();  // max: never
    uint64_t bytes = 0;                                       // what this entry counts against max_store_bytes
  };
  using Deadline = std::pair<Clock::time_point, std::string>;

  Expected<Bytes> get(const codec::KeyValueRequest& q) STRATUS_REQUIRES(mu_);
  Expected<Bytes> add(const codec::KeyValueRequest& q) STRATUS_REQUIRES(mu_);
  Expected<Bytes> set(const codec::KeyValueRequest& q, Clock::time_point now) STRATUS_REQUIRES(mu_);
  Expected<Bytes> del(const codec::KeyValueRequest& q) STRATUS_REQUIRES(mu_);
  Expected<Bytes> range(const codec::KeyValueRequest& q) STRATUS_REQUIRES(mu_);
  Expected<Bytes> push(const codec::KeyValueRequest& q) STRATUS_REQUIRES(mu_);
  Expected<Bytes> listItemDelete(const codec::KeyValueRequest& q) STRATUS_REQUIRES(mu_);
  Expected<Bytes> setAdd(const codec::KeyValueRequest& q) STRATUS_REQUIRES(mu_);
  Expected<Bytes> setRemove(const codec::KeyValueRequest& q) STRATUS_REQUIRES(mu_);
  Expected<Bytes> setCombine(const codec::KeyValueRequest& q, bool intersect) STRATUS_REQUIRES(mu_);
  Expected<Bytes> setQuery(const codec::KeyValueRequest& q) STRATUS_REQUIRES(mu_);
  Expected<Bytes> keyExists(const codec::KeyValueRequest& q) STRATUS_REQUIRES(mu_);

  /// Drops every key whose expiry has passed (the deadline heap makes this cheap when nothing is due).
  void expireDue(Clock::time_point now) STRATUS_REQUIRES(mu_);
  void erase(std::unordered_map<std::string, Entry>::iterator it) STRATUS_REQUIRES(mu_);
  /// The entry of `key` if it holds a T; nullptr when absent; WRONGTYPE when it holds something else.
  template <typename T>
  Expected<T*> typed(const codec::KeyValueRequest& q, const std::string& key) STRATUS_REQUIRES(mu_);
  /// kResourceExhausted when `item` is larger than max_value_bytes.
  Expected<void> checkSize(const codec::KeyValueRequest& q, std::string_view what, std::string_view item) const
      STRATUS_REQUIRES(mu_);
  /// kResourceExhausted when growing the store by `extra` bytes would pass max_store_bytes.
  Expected<void> reserve(const codec::KeyValueRequest& q, uint64_t extra) const STRATUS_REQUIRES(mu_);
  Unexpected wrongType(const codec::KeyValueRequest& q, std::string_view key, const Entry& e,
                       std::string_view wanted) const;
  /// Frees `bytes` of accounting from the entry `e` and the store.
  void release(Entry& e, uint64_t bytes) STRATUS_REQUIRES(mu_);
  /// Charges `bytes` of accounting to the entry `e` and the store (after reserve said it fits).
  void charge(Entry& e, uint64_t bytes) STRATUS_REQUIRES(mu_);
  std::string where(const codec::KeyValueRequest& q, std::string_view key) const;

  const std::string owner_;
  Mutex mu_;
  StoreLimits limits_ STRATUS_GUARDED_BY(mu_);
  std::unordered_map<std::string, Entry> entries_ STRATUS_GUARDED_BY(mu_);
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_ STRATUS_GUARDED_BY(mu_);
  uint64_t bytes_ STRATUS_GUARDED_BY(mu_) = 0;
};

}  // namespace stratus::providers::keyvalue
