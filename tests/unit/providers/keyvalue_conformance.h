// Helpers of the wasmcloud:keyvalue provider tests: request builders, reply readers, and a redis-server to run the
// Redis provider against. Used by keyvalue_conformance.cc (the contract suite both providers pass), keyvalue_test.cc
// (in-memory only) and redis_test.cc (Redis only).
#pragma once

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "stratus/codec/keyvalue.h"
#include "stratus/codec/msgpack.h"
#include "support/server_process.h"
#include "unit/providers/provider_harness.h"

namespace stratus::testing::kv {

using codec::KeyValueOp;
using codec::KeyValueRequest;

/// A request of `op` on `key` (with `value` for the ops that take a string value).
inline KeyValueRequest req(KeyValueOp op, std::string key, std::string value = "") {
  KeyValueRequest q;
  q.op = op;
  q.key = std::move(key);
  q.value = std::move(value);
  return q;
}
/// Add {key, value: amount}.
inline KeyValueRequest add(std::string key, int32_t amount) {
  auto q = req(KeyValueOp::kAdd, std::move(key));
  q.amount = amount;
  return q;
}
/// Set {key, value, expires}.
inline KeyValueRequest set(std::string key, std::string value, int32_t expires = 0) {
  auto q = req(KeyValueOp::kSet, std::move(key), std::move(value));
  q.expires = expires;
  return q;
}
/// Range {key, start, stop}.
inline KeyValueRequest range(std::string key, int32_t start, int32_t stop) {
  auto q = req(KeyValueOp::kRange, std::move(key));
  q.start = start;
  q.stop = stop;
  return q;
}
/// SetUnion / SetIntersection {keys}.
inline KeyValueRequest keys(KeyValueOp op, std::vector<std::string> k) {
  KeyValueRequest q;
  q.op = op;
  q.keys = std::move(k);
  return q;
}

/// Reply fields; a missing field gives a value no test expects.
inline std::string str(const codec::Value& v, std::string_view field) {
  const codec::Value* f = v.find(field);
  return f ? f->asString(field).value() : "<missing>";
}
inline int64_t num(const codec::Value& v, std::string_view field) {
  const codec::Value* f = v.find(field);
  return f ? f->asInt(field).value() : INT64_MIN;
}
inline bool flag(const codec::Value& v, std::string_view field) {
  const codec::Value* f = v.find(field);
  return f && f->asBool(field).value();
}
inline std::vector<std::string> strs(const codec::Value& v, std::string_view field) {
  const codec::Value* f = v.find(field);
  return f ? f->asStringArray(field).value() : std::vector<std::string>{"<missing>"};
}

/// Runs `q` as `actor` and decodes the reply map.
inline Expected<codec::Value> run(ProviderHarness& h, const std::string& actor, const KeyValueRequest& q) {
  auto reply = h.call(actor, codec::keyValueOpName(q.op), codec::encode(q));
  if (!reply) return fail(reply.takeError());
  return codec::decode(*reply);
}
/// run() that must succeed (a test failure otherwise).
inline codec::Value expectOk(ProviderHarness& h, const std::string& actor, const KeyValueRequest& q) {
  auto v = run(h, actor, q);
  EXPECT_TRUE(v) << codec::keyValueOpName(q.op) << ": " << (v ? "" : v.error().toString());
  return v ? *v : codec::Value{};
}
/// run() that must fail; its error message.
inline std::string expectFailure(ProviderHarness& h, const std::string& actor, const KeyValueRequest& q) {
  auto v = run(h, actor, q);
  EXPECT_FALSE(v) << codec::keyValueOpName(q.op) << " should fail";
  return v ? "" : v.error().message;
}

/// redis://127.0.0.1:<port>/<db>.
inline std::string redisUrl(uint16_t port, int db = 0) {
  std::string url = "redis://127.0.0.1:";
  url += std::to_string(port);
  url += '/';
  url += std::to_string(db);
  return url;
}

/// A redis-server on loopback `port` (0: a free one) without persistence (--save "", no AOF), plus `extra`
/// arguments; its log goes to the test temp dir. Stopped when the ServerProcess is destroyed.
inline Expected<ServerProcess> startRedis(std::vector<std::string> extra = {}, uint16_t port = 0) {
  if (port == 0) port = freeLoopbackPort();
  std::vector<std::string> argv{"redis-server", "--port", std::to_string(port), "--save", "",
                                "--appendonly", "no", "--bind", "127.0.0.1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::string log = (std::filesystem::path(::testing::TempDir()) / "stratus-redis-").string();
  log += std::to_string(port);
  log += ".log";
  return ServerProcess::start(std::move(argv), port, log);
}

/// One command sent straight to the Redis on `port` (hiredis, 5 s timeout), for test setup and inspection
/// (FLUSHALL, CLIENT PAUSE, GET, ...). Returns the reply as text (integers in decimal, nil as "(nil)", arrays as
/// their items joined by ','), or the connection error or Redis error reply.
inline Expected<std::string> redisCommand(uint16_t port, const std::vector<std::string>& argv) {
  const timeval tv{5, 0};
  std::unique_ptr<redisContext, void (*)(redisContext*)> c(redisConnectWithTimeout("127.0.0.1", port, tv),
                                                          redisFree);
  if (!c || c->err) return fail(ErrorCode::kUnavailable, c ? c->errstr : "out of memory");
  redisSetTimeout(c.get(), tv);
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  std::unique_ptr<redisReply, void (*)(void*)> r(
      static_cast<redisReply*>(redisCommandArgv(c.get(), static_cast<int>(argv.size()), ptrs.data(), lens.data())),
      freeReplyObject);
  if (!r) return fail(ErrorCode::kUnavailable, c->errstr);
  auto text = [](const redisReply* x) -> std::string {
    if (x->type == REDIS_REPLY_INTEGER) return std::to_string(x->integer);
    if (x->type == REDIS_REPLY_NIL) return "(nil)";
    return std::string(x->str ? x->str : "", x->len);
  };
  if (r->type == REDIS_REPLY_ERROR) return fail(ErrorCode::kInvalidArgument, text(r.get()));
  if (r->type != REDIS_REPLY_ARRAY) return text(r.get());
  std::string out;
  for (size_t i = 0; i < r->elements; ++i) {
    if (i > 0) out += ',';
    out += text(r->element[i]);
  }
  return out;
}

}  // namespace stratus::testing::kv
