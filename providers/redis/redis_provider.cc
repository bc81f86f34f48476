// wasmcloud:keyvalue on Redis (hiredis 0.14): the operations of wasmCloud 0.18's Redis provider, with the results
// of the in-memory provider (providers/keyvalue); both pass tests/unit/providers/keyvalue_conformance.cc.
//
// Link values (per actor, all optional):
//   URL              redis://[[user]:password@]host[:port][/db] (default redis://127.0.0.1:6379/0). Keys are not
//                    prefixed per actor, as in wasmCloud's provider: actors linked to the same URL share its keys.
//   TIMEOUT_MS       connect, AUTH/SELECT and per-command reply limit in ms (default 2000, 1..600000)
//   POOL_SIZE        connections per actor, one per concurrent call (default 4, 1..64)
//   MAX_VALUE_BYTES  largest key, value, list item or set member in bytes (default 1 MiB, at most 512 MiB)
//
// Failures: a call whose connection fails reports which URL and which operation, and why (unreachable, no reply
// within TIMEOUT_MS, connection lost); the next call reconnects. A connection the server closed while idle (a
// restarted server) is noticed and replaced before a command is sent, so no call fails for it. A connection lost
// while a command was in flight is retried once for reads; writes report the error rather than risk applying twice
// (Push or Add would). providers/redis/README.md has the details and where this differs from wasmCloud 0.18.
#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/actor_map.h"
#include "common/keyvalue_messages.h"
#include "connection.h"
#include "redis_url.h"
#include "stratus/codec/keyvalue.h"
#include "stratus/provider.hpp"

namespace stratus::providers::redis {
namespace {

using codec::KeyValueOp;
using codec::KeyValueRequest;

constexpr uint64_t kDefaultMaxValueBytes = uint64_t{1} << 20;
constexpr uint64_t kMaxValueBytesCeiling = uint64_t{512} << 20;  // Redis's own string limit

// Add runs INCRBY in a script so that a result outside the contract's i32 changes nothing: the script undoes its
// own increment before anyone else can see it (wasmCloud's provider left the increment applied and failed to
// convert the reply). A Redis error from INCRBY (WRONGTYPE, not an integer, overflow) comes back unchanged via
// pcall; an out-of-range result comes back as a one-element array holding the exact value as text.
constexpr std::string_view kAddScript =
    "local v = redis.pcall('INCRBY', KEYS[1], ARGV[1])\n"
    "if type(v) == 'table' then return v end\n"
    "if v >= -2147483648 and v <= 2147483647 then return v end\n"
    "local text = redis.call('GET', KEYS[1])\n"
    "redis.call('DECRBY', KEYS[1], ARGV[1])\n"
    "return {text}\n";

// --- link values ---

template <typename T>
Expected<T> numberValue(const std::map<std::string, std::string>& values, const std::string& name, T fallback,
                        T min, T max, std::string_view unit) {
  auto it = values.find(name);
  if (it == values.end()) return fallback;
  const std::string& text = it->second;
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    std::string msg = "link value ";
    msg += name;
    msg += "='";
    msg += text.substr(0, 64);
    msg += "' must be a number of ";
    msg += unit;
    msg += " from ";
    msg += std::to_string(min);
    msg += " to ";
    msg += std::to_string(max);
    return fail(ErrorCode::kInvalidArgument, std::move(msg));
  }
  return v;
}

// --- messages (common/keyvalue_messages.h keeps them worded as the in-memory provider's) ---

std::string where(KeyValueOp op, std::string_view key) { return keyOperation(op, key); }

bool isMultiKey(KeyValueOp op) { return op == KeyValueOp::kSetUnion || op == KeyValueOp::kSetIntersection; }

// What a request works on, for messages about the request as a whole.
std::string subject(const KeyValueRequest& q) {
  if (!isMultiKey(q.op)) return where(q.op, q.key);
  std::string out(codec::keyValueOpName(q.op));
  out += " of keys ";
  for (size_t i = 0; i < q.keys.size() && i < 3; ++i) {
    if (i > 0) out += ", ";
    out += quoteValue(q.keys[i]);
  }
  if (q.keys.size() > 3) {
    out += " and ";
    out += std::to_string(q.keys.size() - 3);
    out += " more";
  }
  return out;
}

bool isRead(KeyValueOp op) {
  switch (op) {
    case KeyValueOp::kGet:
    case KeyValueOp::kRange:
    case KeyValueOp::kSetUnion:
    case KeyValueOp::kSetIntersection:
    case KeyValueOp::kSetQuery:
    case KeyValueOp::kKeyExists:
      return true;
    default:
      return false;
  }
}

// The kind of value an operation needs (Redis TYPE name, and the words of the in-memory provider).
struct Kind {
  std::string_view type;
  std::string_view words;
};
Kind wantedKind(KeyValueOp op) {
  switch (op) {
    case KeyValueOp::kRange:
    case KeyValueOp::kPush:
    case KeyValueOp::kListItemDelete:
      return {"list", "a list"};
    case KeyValueOp::kSetAdd:
    case KeyValueOp::kSetRemove:
    case KeyValueOp::kSetUnion:
    case KeyValueOp::kSetIntersection:
    case KeyValueOp::kSetQuery:
      return {"set", "a set"};
    default:
      return {"string", "a string"};
  }
}

std::string kindWords(std::string_view type) {
  if (type == "string") return "a string";
  if (type == "list") return "a list";
  if (type == "set") return "a set";
  if (type == "zset") return "a sorted set";
  if (type == "hash") return "a hash";
  if (type == "stream") return "a stream";
  std::string out = "a ";
  out += type;
  return out;
}

std::string_view replyText(const redisReply& r) { return std::string_view(r.str, r.len); }

/// One actor's link: its settings and connections.
struct ActorLink {
  ActorLink(ConnectionSettings settings, uint64_t max_value) : pool(std::move(settings)), max_value_bytes(max_value) {}
  ConnectionPool pool;
  const uint64_t max_value_bytes;
};

/// The provider: one ActorLink per bound actor. Thread-safe: the link map is behind a shared mutex, and each call
/// works on a connection of its own borrowed from its actor's pool.
class RedisProvider final : public provider::CapabilityProvider {
 public:
  std::string_view capabilityId() const override { return codec::kKeyValueContract; }
  std::string_view name() const override { return "stratus Redis key-value (hiredis)"; }

  Expected<void> bindActor(std::string_view actor, const std::map<std::string, std::string>& values) override {
    ConnectionSettings settings;
    auto url_it = values.find("URL");
    auto url = parseRedisUrl(url_it == values.end() ? kDefaultRedisUrl : std::string_view(url_it->second));
    if (!url) return fail(url.takeError());
    settings.url = std::move(*url);
    auto timeout = numberValue<int64_t>(values, "TIMEOUT_MS", 2000, 1, 600000, "milliseconds");
    if (!timeout) return fail(timeout.takeError());
    settings.timeout = std::chrono::milliseconds(*timeout);
    auto pool_size = numberValue<size_t>(values, "POOL_SIZE", 4, 1, 64, "connections");
    if (!pool_size) return fail(pool_size.takeError());
    settings.pool_size = *pool_size;
    auto max_value =
        numberValue<uint64_t>(values, "MAX_VALUE_BYTES", kDefaultMaxValueBytes, 1, kMaxValueBytesCeiling, "bytes");
    if (!max_value) return fail(max_value.takeError());

    auto link = std::make_shared<ActorLink>(std::move(settings), *max_value);
    // Connect once now, so a wrong address or password shows in the log at link time. It is not an error: Redis
    // may come up later, and a refused BindActor would leave the actor unbound for good (every call reconnects).
    {
      auto lease = link->pool.acquire();
      if (lease) {
        if (auto failed = (*lease)->connect()) {
          std::string msg = "redis: actor ";
          msg += actor;
          msg += " linked to ";
          msg += link->pool.settings().url.redacted;
          msg += ", which is not reachable yet (";
          msg += failed->detail;
          msg += "); its calls fail until it is";
          dispatcher().log(STRATUS_LOG_WARN, msg);
        }
      }
    }
    links_.put(actor, std::move(link));  // a repeated BindActor applies its values (the data lives in Redis)
    return ok();
  }

  Expected<void> removeActor(std::string_view actor) override {
    links_.remove(actor);
    return ok();
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    auto op = codec::keyValueOpFromName(operation);
    if (!op) return fail(op.takeError());
    std::shared_ptr<ActorLink> link = links_.find(actor);
    if (!link) return fail(notLinked("keyvalue " + std::string(operation), actor));
    auto request = codec::decodeKeyValueRequest(*op, msg);
    if (!request) return fail(request.takeError());
    return apply(*link, *request);
  }

  void stop() override { links_.clear(); }

 private:
  Expected<Bytes> apply(ActorLink& link, const KeyValueRequest& q) {
    const uint64_t max = link.max_value_bytes;
    switch (q.op) {
      case KeyValueOp::kAdd:
        STRATUS_TRY(checkSize(q, "key", q.key, max));
        break;
      case KeyValueOp::kSet:
      case KeyValueOp::kPush:
      case KeyValueOp::kSetAdd:
        STRATUS_TRY(checkSize(q, "key", q.key, max));
        STRATUS_TRY(checkSize(q, "value", q.value, max));
        break;
      default:
        break;
    }
    if (q.op == KeyValueOp::kSet && q.expires < 0) {
      std::string msg = "keyvalue ";
      msg += where(q.op, q.key);
      msg += ": expires must be 0 (never) or a number of seconds, not ";
      msg += std::to_string(q.expires);
      return fail(ErrorCode::kInvalidArgument, std::move(msg));
    }
    if (isMultiKey(q.op) && q.keys.empty()) {
      std::string msg = "keyvalue ";
      msg += codec::keyValueOpName(q.op);
      msg += ": keys must name at least one set";
      return fail(ErrorCode::kInvalidArgument, std::move(msg));
    }

    auto lease = link.pool.acquire();
    if (!lease) {
      std::string msg = "keyvalue ";
      msg += subject(q);
      msg += ": ";
      msg += lease.error().message;
      return fail(lease.error().code, std::move(msg));
    }
    Connection& c = **lease;
    const ConnectionSettings& settings = link.pool.settings();

    switch (q.op) {
      case KeyValueOp::kGet: {
        auto r = run(c, settings, q, {"GET", q.key});
        if (!r) return fail(r.takeError());
        if ((*r)->type == REDIS_REPLY_NIL) return codec::encodeGetResponse("", false);
        if ((*r)->type != REDIS_REPLY_STRING) return unexpected(q, **r);
        return codec::encodeGetResponse(replyText(**r), true);
      }
      case KeyValueOp::kAdd: {
        const std::string amount = std::to_string(q.amount);
        auto r = run(c, settings, q, {"EVAL", kAddScript, "1", q.key, amount});
        if (!r) return fail(r.takeError());
        if ((*r)->type == REDIS_REPLY_INTEGER) return codec::encodeAddResponse(static_cast<int32_t>((*r)->integer));
        if ((*r)->type == REDIS_REPLY_ARRAY && (*r)->elements == 1 && (*r)->element[0]->type == REDIS_REPLY_STRING) {
          std::string msg = "ERR ";
          msg += where(q.op, q.key);
          msg += ": the result ";
          msg += replyText(*(*r)->element[0]);
          msg += " does not fit the contract's 32-bit AddResponse.value";
          return fail(ErrorCode::kInvalidArgument, std::move(msg));
        }
        return unexpected(q, **r);
      }
      case KeyValueOp::kSet: {
        const std::string seconds = std::to_string(q.expires);
        auto r = q.expires > 0 ? run(c, settings, q, {"SET", q.key, q.value, "EX", seconds})
                               : run(c, settings, q, {"SET", q.key, q.value});
        if (!r) return fail(r.takeError());
        if ((*r)->type != REDIS_REPLY_STATUS) return unexpected(q, **r);
        return codec::encodeSetResponse(q.value);
      }
      case KeyValueOp::kDel:
      case KeyValueOp::kClear: {
        auto r = run(c, settings, q, {"DEL", q.key});
        if (!r) return fail(r.takeError());
        if ((*r)->type != REDIS_REPLY_INTEGER) return unexpected(q, **r);
        return codec::encodeDelResponse(q.key);
      }
      case KeyValueOp::kKeyExists: {
        auto r = run(c, settings, q, {"EXISTS", q.key});
        if (!r) return fail(r.takeError());
        if ((*r)->type != REDIS_REPLY_INTEGER) return unexpected(q, **r);
        return codec::encodeGetResponse("", (*r)->integer > 0);
      }
      case KeyValueOp::kRange: {
        const std::string start = std::to_string(q.start);
        const std::string stop = std::to_string(q.stop);
        auto r = run(c, settings, q, {"LRANGE", q.key, start, stop});
        if (!r) return fail(r.takeError());
        auto values = strings(q, **r, false);
        if (!values) return fail(values.takeError());
        return codec::encodeListRangeResponse(*values);
      }
      case KeyValueOp::kPush:
        return count(c, settings, q, {"LPUSH", q.key, q.value}, codec::encodeListResponse);
      case KeyValueOp::kListItemDelete:
        return count(c, settings, q, {"LREM", q.key, "0", q.value}, codec::encodeListResponse);
      case KeyValueOp::kSetAdd:
        return count(c, settings, q, {"SADD", q.key, q.value}, codec::encodeSetOperationResponse);
      case KeyValueOp::kSetRemove:
        return count(c, settings, q, {"SREM", q.key, q.value}, codec::encodeSetOperationResponse);
      case KeyValueOp::kSetQuery: {
        auto r = run(c, settings, q, {"SMEMBERS", q.key});
        if (!r) return fail(r.takeError());
        auto values = strings(q, **r, true);
        if (!values) return fail(values.takeError());
        return codec::encodeSetQueryResponse(*values);
      }
      case KeyValueOp::kSetUnion:
      case KeyValueOp::kSetIntersection: {
        std::vector<std::string_view> argv{q.op == KeyValueOp::kSetUnion ? "SUNION" : "SINTER"};
        argv.insert(argv.end(), q.keys.begin(), q.keys.end());
        auto r = run(c, settings, q, argv);
        if (!r) return fail(r.takeError());
        auto values = strings(q, **r, true);
        if (!values) return fail(values.takeError());
        return codec::encodeSetQueryResponse(*values);
      }
    }
    std::string msg = "keyvalue: unhandled operation ";
    msg += codec::keyValueOpName(q.op);
    return fail(ErrorCode::kInternal, std::move(msg));
  }

  static Expected<void> checkSize(const KeyValueRequest& q, std::string_view what, std::string_view item,
                                  uint64_t max) {
    if (item.size() <= max) return ok();
    std::string msg = "keyvalue ";
    msg += where(q.op, q.key);
    msg += ": the ";
    msg += what;
    msg += " of ";
    msg += std::to_string(item.size());
    msg += " bytes exceeds MAX_VALUE_BYTES (";
    msg += std::to_string(max);
    msg += ")";
    return fail(ErrorCode::kResourceExhausted, std::move(msg));
  }

  // Runs one command for `q`. A Redis error reply becomes the in-memory provider's error; a connection failure an
  // error naming the URL and the operation. Reads whose connection broke in flight run once more (on a new
  // connection); writes never do, since Push or Add applied twice would corrupt data silently.
  Expected<ReplyPtr> run(Connection& c, const ConnectionSettings& settings, const KeyValueRequest& q,
                         std::span<const std::string_view> argv) {
    CommandResult result = c.command(argv);
    const bool retried = result.failure && result.failure->fault == Fault::kLost && isRead(q.op);
    if (retried) result = c.command(argv);
    if (result.failure) return connectionError(settings, q, *result.failure, retried);
    if (result.reply->type == REDIS_REPLY_ERROR) return redisError(c, q, *result.reply);
    return std::move(result.reply);
  }
  Expected<ReplyPtr> run(Connection& c, const ConnectionSettings& settings, const KeyValueRequest& q,
                         std::initializer_list<std::string_view> argv) {
    return run(c, settings, q, std::span<const std::string_view>(argv.begin(), argv.size()));
  }

  // The integer reply of a counting command (LPUSH, LREM, SADD, SREM), encoded by `encode`.
  Expected<Bytes> count(Connection& c, const ConnectionSettings& settings, const KeyValueRequest& q,
                        std::initializer_list<std::string_view> argv, Bytes (*encode)(int32_t)) {
    auto r = run(c, settings, q, argv);
    if (!r) return fail(r.takeError());
    if ((*r)->type != REDIS_REPLY_INTEGER) return unexpected(q, **r);
    if ((*r)->integer < 0 || (*r)->integer > INT32_MAX) {
      std::string msg = "keyvalue ";
      msg += where(q.op, q.key);
      msg += ": the count ";
      msg += std::to_string((*r)->integer);
      msg += " does not fit the contract's 32-bit reply";
      return fail(ErrorCode::kResourceExhausted, std::move(msg));
    }
    return encode(static_cast<int32_t>((*r)->integer));
  }

  // An array reply of strings; sorted for the set operations, whose order Redis leaves to its hash tables: the
  // in-memory provider answers sorted, and a stable order is what a caller can rely on (0.18 passed Redis's on).
  Expected<std::vector<std::string>> strings(const KeyValueRequest& q, const redisReply& r, bool sort) {
    if (r.type != REDIS_REPLY_ARRAY) return unexpected(q, r);
    std::vector<std::string> out;
    out.reserve(r.elements);
    for (size_t i = 0; i < r.elements; ++i) {
      if (r.element[i]->type != REDIS_REPLY_STRING) return unexpected(q, *r.element[i]);
      out.emplace_back(replyText(*r.element[i]));
    }
    if (sort) std::sort(out.begin(), out.end());
    return out;
  }

  static Unexpected unexpected(const KeyValueRequest& q, const redisReply& r) {
    std::string msg = "keyvalue ";
    msg += subject(q);
    msg += ": unexpected reply type ";
    msg += std::to_string(r.type);
    msg += " from Redis";
    return fail(ErrorCode::kInternal, std::move(msg));
  }

  static Unexpected connectionError(const ConnectionSettings& settings, const KeyValueRequest& q,
                                    const Failure& failure, bool retried) {
    std::string msg = "keyvalue ";
    msg += subject(q);
    msg += ": Redis at ";
    msg += settings.url.redacted;
    ErrorCode code = ErrorCode::kUnavailable;
    switch (failure.fault) {
      case Fault::kConnect:
        msg += " is unreachable: ";
        msg += failure.detail;
        break;
      case Fault::kTimeout:
        code = ErrorCode::kDeadlineExceeded;
        msg += " did not answer: ";
        msg += failure.detail;
        if (!isRead(q.op)) msg += "; the write was sent and may still be applied when the server catches up";
        break;
      case Fault::kLost:
        msg += ": the connection was lost (";
        msg += failure.detail;
        msg += ")";
        if (retried) {
          msg += ", also when retried once on a new connection";
        } else {
          msg += " while the write was in flight; it may or may not have been applied, and was not retried";
        }
        break;
    }
    return fail(code, std::move(msg));
  }

  // A Redis error reply in the in-memory provider's words: "<CODE> <Op> on key '<k>': <what>". For WRONGTYPE the
  // key's actual type is looked up (an extra round trip, on the error path only), so the message says what the key
  // holds, as the in-memory one does.
  static Unexpected redisError(Connection& c, const KeyValueRequest& q, const redisReply& r) {
    std::string_view text = replyText(r);
    const size_t space = text.find(' ');
    std::string_view code = text.substr(0, space);
    std::string_view rest = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (code == "WRONGTYPE") {
      const Kind wanted = wantedKind(q.op);
      std::vector<std::string_view> keys;
      if (isMultiKey(q.op)) {
        keys.assign(q.keys.begin(), q.keys.end());
      } else {
        keys.push_back(q.key);
      }
      for (std::string_view key : keys) {
        const std::string_view argv[] = {"TYPE", key};
        CommandResult type = c.command(argv);
        if (type.failure || type.reply->type != REDIS_REPLY_STATUS) break;
        const std::string_view held = replyText(*type.reply);
        if (held == wanted.type || held == "none") continue;
        std::string msg = "WRONGTYPE ";
        msg += where(q.op, key);
        msg += ": the key holds ";
        msg += kindWords(held);
        msg += ", not ";
        msg += wanted.words;
        return fail(ErrorCode::kInvalidArgument, std::move(msg));
      }
    }
    ErrorCode ec = ErrorCode::kInvalidArgument;
    if (code == "OOM") ec = ErrorCode::kResourceExhausted;
    if (code == "NOAUTH" || code == "WRONGPASS" || code == "NOPERM") ec = ErrorCode::kPermissionDenied;
    if (code == "LOADING" || code == "BUSY" || code == "MASTERDOWN" || code == "READONLY" || code == "TRYAGAIN") {
      ec = ErrorCode::kUnavailable;
    }
    std::string msg(code);
    msg += ' ';
    msg += subject(q);
    msg += ": ";
    msg += rest;
    return fail(ec, std::move(msg));
  }

  ActorMap<ActorLink> links_;
};

}  // namespace
}  // namespace stratus::providers::redis

STRATUS_PROVIDER(stratus::providers::redis::RedisProvider)
