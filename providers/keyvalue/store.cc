#include "store.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <optional>
#include <type_traits>

#include "common/keyvalue_messages.h"

namespace stratus::providers::keyvalue {
namespace {

using codec::KeyValueOp;
using codec::KeyValueRequest;

// Rough per-key and per-element costs of the containers, so that millions of empty strings still count.
constexpr uint64_t kKeyOverhead = 64;
constexpr uint64_t kElementOverhead = 32;

uint64_t elementBytes(std::string_view item) { return kElementOverhead + item.size(); }

// Redis's integer syntax (string2ll): optional '-', no '+', no spaces, no leading zeros, fits in int64.
std::optional<int64_t> parseInteger(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  const bool negative = s.front() == '-';
  std::string_view digits = negative ? s.substr(1) : s;
  if (digits.empty() || digits.front() < '0' || digits.front() > '9') return std::nullopt;
  if (digits.front() == '0' && (digits.size() > 1 || negative)) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

template <typename T>
constexpr std::string_view kindName() {
  if constexpr (std::is_same_v<T, std::string>) {
    return "a string";
  } else if constexpr (std::is_same_v<T, std::deque<std::string>>) {
    return "a list";
  } else {
    return "a set";
  }
}

}  // namespace

Store::Store(std::string owner, StoreLimits limits) : owner_(std::move(owner)), limits_(limits) {}

void Store::setLimits(StoreLimits limits) {
  MutexLock lock(mu_);
  limits_ = limits;
}

Expected<Bytes> Store::apply(const KeyValueRequest& q, Clock::time_point now) {
  MutexLock lock(mu_);
  expireDue(now);
  switch (q.op) {
    case KeyValueOp::kGet:
      return get(q);
    case KeyValueOp::kAdd:
      return add(q);
    case KeyValueOp::kSet:
      return set(q, now);
    case KeyValueOp::kDel:
    case KeyValueOp::kClear:
      return del(q);
    case KeyValueOp::kRange:
      return range(q);
    case KeyValueOp::kPush:
      return push(q);
    case KeyValueOp::kListItemDelete:
      return listItemDelete(q);
    case KeyValueOp::kSetAdd:
      return setAdd(q);
    case KeyValueOp::kSetRemove:
      return setRemove(q);
    case KeyValueOp::kSetUnion:
      return setCombine(q, false);
    case KeyValueOp::kSetIntersection:
      return setCombine(q, true);
    case KeyValueOp::kSetQuery:
      return setQuery(q);
    case KeyValueOp::kKeyExists:
      return keyExists(q);
  }
  return fail(ErrorCode::kInternal, "keyvalue: unhandled operation " + std::string(codec::keyValueOpName(q.op)));
}

// --- bookkeeping ---

void Store::expireDue(Clock::time_point now) {
  while (!deadlines_.empty() && deadlines_.top().first <= now) {
    auto it = entries_.find(deadlines_.top().second);
    deadlines_.pop();
    // The key may have been deleted or set again with a later (or no) expiry since this deadline was queued.
    if (it != entries_.end() && it->second.expires_at <= now) erase(it);
  }
  // Keys set again and again with long expiries leave stale deadlines behind; rebuild before they pile up.
  if (deadlines_.size() > 2 * entries_.size() + 64) {
    std::vector<Deadline> live;
    for (const auto& [key, e] : entries_) {
      if (e.expires_at != Clock::time_point::max()) live.emplace_back(e.expires_at, key);
    }
    deadlines_ = decltype(deadlines_)(std::greater<>(), std::move(live));
  }
}

void Store::erase(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.bytes;
  entries_.erase(it);
}

void Store::release(Entry& e, uint64_t bytes) {
  e.bytes -= bytes;
  bytes_ -= bytes;
}

void Store::charge(Entry& e, uint64_t bytes) {
  e.bytes += bytes;
  bytes_ += bytes;
}

std::string Store::where(const KeyValueRequest& q, std::string_view key) const {
  return keyOperation(q.op, key);
}

Unexpected Store::wrongType(const KeyValueRequest& q, std::string_view key, const Entry& e,
                            std::string_view wanted) const {
  std::string_view held = std::holds_alternative<std::string>(e.value) ? kindName<std::string>()
                          : std::holds_alternative<List>(e.value)      ? kindName<List>()
                                                                       : kindName<Set>();
  return fail(ErrorCode::kInvalidArgument,
              "WRONGTYPE " + where(q, key) + ": the key holds " + std::string(held) + ", not " + std::string(wanted));
}

template <typename T>
Expected<T*> Store::typed(const KeyValueRequest& q, const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return static_cast<T*>(nullptr);
  if (T* v = std::get_if<T>(&it->second.value)) return v;
  return wrongType(q, key, it->second, kindName<T>());
}

Expected<void> Store::checkSize(const KeyValueRequest& q, std::string_view what, std::string_view item) const {
  if (item.size() <= limits_.max_value_bytes) return ok();
  return fail(ErrorCode::kResourceExhausted, "keyvalue " + where(q, q.key) + ": the " + std::string(what) + " of " +
                                                 std::to_string(item.size()) + " bytes exceeds MAX_VALUE_BYTES (" +
                                                 std::to_string(limits_.max_value_bytes) + ")");
}

Expected<void> Store::reserve(const KeyValueRequest& q, uint64_t extra) const {
  if (extra <= limits_.max_store_bytes && bytes_ <= limits_.max_store_bytes - extra) return ok();
  return fail(ErrorCode::kResourceExhausted,
              "keyvalue " + where(q, q.key) + ": the store of actor " + owner_ + " is full (it holds about " +
                  std::to_string(bytes_) + " bytes, this needs " + std::to_string(extra) +
                  " more, MAX_STORE_BYTES is " + std::to_string(limits_.max_store_bytes) + ")");
}

// --- strings ---

Expected<Bytes> Store::get(const KeyValueRequest& q) {
  auto s = typed<std::string>(q, q.key);
  if (!s) return fail(s.takeError());
  if (!*s) return codec::encodeGetResponse("", false);
  return codec::encodeGetResponse(**s, true);
}

Expected<Bytes> Store::add(const KeyValueRequest& q) {
  STRATUS_TRY(checkSize(q, "key", q.key));
  auto s = typed<std::string>(q, q.key);
  if (!s) return fail(s.takeError());
  int64_t current = 0;
  if (*s) {
    auto parsed = parseInteger(**s);
    if (!parsed) {
      return fail(ErrorCode::kInvalidArgument,
                  "ERR " + where(q, q.key) + ": value " + quoteValue(**s) + " is not an integer or out of range");
    }
    current = *parsed;
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(current, int64_t{q.amount}, &sum)) {
    return fail(ErrorCode::kInvalidArgument, "ERR " + where(q, q.key) + ": increment or decrement would overflow");
  }
  // The contract's AddResponse.value is an i32 (wasmCloud's Redis provider failed the same way).
  if (sum < INT32_MIN || sum > INT32_MAX) {
    return fail(ErrorCode::kInvalidArgument, "ERR " + where(q, q.key) + ": the result " + std::to_string(sum) +
                                                 " does not fit the contract's 32-bit AddResponse.value");
  }
  std::string text = std::to_string(sum);
  if (!*s) {
    const uint64_t need = kKeyOverhead + q.key.size() + text.size();
    STRATUS_TRY(reserve(q, need));
    Entry& e = entries_[q.key];
    e.value = std::move(text);
    charge(e, need);
  } else {
    Entry& e = entries_.find(q.key)->second;  // keeps its expiry, as INCRBY does
    const uint64_t old_size = (*s)->size();
    if (text.size() > old_size) STRATUS_TRY(reserve(q, text.size() - old_size));
    release(e, old_size);
    charge(e, text.size());
    **s = std::move(text);
  }
  return codec::encodeAddResponse(static_cast<int32_t>(sum));
}

Expected<Bytes> Store::set(const KeyValueRequest& q, Clock::time_point now) {
  STRATUS_TRY(checkSize(q, "key", q.key));
  STRATUS_TRY(checkSize(q, "value", q.value));
  if (q.expires < 0) {
    return fail(ErrorCode::kInvalidArgument, "keyvalue " + where(q, q.key) + ": expires must be 0 (never) or a " +
                                                 "number of seconds, not " + std::to_string(q.expires));
  }
  const uint64_t need = kKeyOverhead + q.key.size() + q.value.size();
  auto it = entries_.find(q.key);
  const uint64_t freed = it == entries_.end() ? 0 : it->second.bytes;
  if (need > freed) STRATUS_TRY(reserve(q, need - freed));
  if (it != entries_.end()) erase(it);  // SET replaces a value of any type and its expiry
  Entry& e = entries_[q.key];
  e.value = q.value;
  charge(e, need);
  if (q.expires > 0) {
    e.expires_at = now + std::chrono::seconds(q.expires);
    deadlines_.emplace(e.expires_at, q.key);
  }
  return codec::encodeSetResponse(q.value);
}

Expected<Bytes> Store::del(const KeyValueRequest& q) {
  auto it = entries_.find(q.key);
  if (it != entries_.end()) erase(it);
  return codec::encodeDelResponse(q.key);
}

Expected<Bytes> Store::keyExists(const KeyValueRequest& q) {
  return codec::encodeGetResponse("", entries_.find(q.key) != entries_.end());
}

// --- lists ---

Expected<Bytes> Store::range(const KeyValueRequest& q) {
  auto list = typed<List>(q, q.key);
  if (!list) return fail(list.takeError());
  std::vector<std::string> out;
  if (!*list) return codec::encodeListRangeResponse(out);
  // LRANGE: inclusive bounds, negative ones count from the end, out-of-range ones are clamped.
  const int64_t len = static_cast<int64_t>((*list)->size());
  int64_t start = q.start < 0 ? len + q.start : q.start;
  int64_t stop = q.stop < 0 ? len + q.stop : q.stop;
  start = std::max<int64_t>(start, 0);
  stop = std::min<int64_t>(stop, len - 1);
  if (start > stop) return codec::encodeListRangeResponse(out);
  out.assign((*list)->begin() + start, (*list)->begin() + stop + 1);
  return codec::encodeListRangeResponse(out);
}

Expected<Bytes> Store::push(const KeyValueRequest& q) {
  STRATUS_TRY(checkSize(q, "key", q.key));
  STRATUS_TRY(checkSize(q, "value", q.value));
  auto list = typed<List>(q, q.key);
  if (!list) return fail(list.takeError());
  const uint64_t item = elementBytes(q.value);
  if (*list && (*list)->size() >= static_cast<size_t>(INT32_MAX)) {
    return fail(ErrorCode::kResourceExhausted, "keyvalue " + where(q, q.key) + ": the list is at its maximum length");
  }
  const uint64_t need = *list ? item : kKeyOverhead + q.key.size() + item;
  STRATUS_TRY(reserve(q, need));
  Entry& e = entries_[q.key];
  if (!*list) e.value = List{};
  List& l = std::get<List>(e.value);
  // LPUSH, as wasmCloud's Redis provider does: the newest item comes first in Range.
  l.push_front(q.value);
  charge(e, need);
  return codec::encodeListResponse(static_cast<int32_t>(l.size()));
}

Expected<Bytes> Store::listItemDelete(const KeyValueRequest& q) {
  auto list = typed<List>(q, q.key);
  if (!list) return fail(list.takeError());
  if (!*list) return codec::encodeListResponse(0);
  List& l = **list;
  const size_t before = l.size();
  l.erase(std::remove(l.begin(), l.end(), q.value), l.end());
  const size_t removed = before - l.size();
  auto it = entries_.find(q.key);
  release(it->second, removed * elementBytes(q.value));
  if (l.empty()) erase(it);  // Redis never keeps an empty list
  // LREM's reply, as wasmCloud's Redis provider returned it: the number of items removed.
  return codec::encodeListResponse(static_cast<int32_t>(removed));
}

// --- sets ---

Expected<Bytes> Store::setAdd(const KeyValueRequest& q) {
  STRATUS_TRY(checkSize(q, "key", q.key));
  STRATUS_TRY(checkSize(q, "value", q.value));
  auto set = typed<Set>(q, q.key);
  if (!set) return fail(set.takeError());
  if (*set && (*set)->contains(q.value)) return codec::encodeSetOperationResponse(0);
  const uint64_t item = elementBytes(q.value);
  const uint64_t need = *set ? item : kKeyOverhead + q.key.size() + item;
  STRATUS_TRY(reserve(q, need));
  Entry& e = entries_[q.key];
  if (!*set) e.value = Set{};
  std::get<Set>(e.value).insert(q.value);
  charge(e, need);
  return codec::encodeSetOperationResponse(1);  // SADD: the number of members added
}

Expected<Bytes> Store::setRemove(const KeyValueRequest& q) {
  auto set = typed<Set>(q, q.key);
  if (!set) return fail(set.takeError());
  if (!*set || (*set)->erase(q.value) == 0) return codec::encodeSetOperationResponse(0);
  auto it = entries_.find(q.key);
  release(it->second, elementBytes(q.value));
  if ((*set)->empty()) erase(it);
  return codec::encodeSetOperationResponse(1);  // SREM: the number of members removed
}

Expected<Bytes> Store::setCombine(const KeyValueRequest& q, bool intersect) {
  if (q.keys.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "keyvalue " + std::string(codec::keyValueOpName(q.op)) + ": keys must name at least one set");
  }
  std::vector<const Set*> sets;
  for (const std::string& key : q.keys) {
    auto set = typed<Set>(q, key);  // a key holding another type fails even for the intersection, as in Redis
    if (!set) return fail(set.takeError());
    sets.push_back(*set);
  }
  Set result;
  if (intersect) {
    const bool any_missing = std::find(sets.begin(), sets.end(), nullptr) != sets.end();
    if (!any_missing) {
      auto smallest =
          std::min_element(sets.begin(), sets.end(), [](const Set* a, const Set* b) { return a->size() < b->size(); });
      for (const std::string& member : **smallest) {
        if (std::all_of(sets.begin(), sets.end(), [&](const Set* s) { return s->contains(member); })) {
          result.insert(member);
        }
      }
    }
  } else {
    for (const Set* s : sets) {
      if (s) result.insert(s->begin(), s->end());
    }
  }
  return codec::encodeSetQueryResponse(std::vector<std::string>(result.begin(), result.end()));
}

Expected<Bytes> Store::setQuery(const KeyValueRequest& q) {
  auto set = typed<Set>(q, q.key);
  if (!set) return fail(set.takeError());
  if (!*set) return codec::encodeSetQueryResponse({});
  return codec::encodeSetQueryResponse(std::vector<std::string>((*set)->begin(), (*set)->end()));
}

}  // namespace stratus::providers::keyvalue
