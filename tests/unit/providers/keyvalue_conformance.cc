// The wasmcloud:keyvalue contract, written once and run against every keyvalue provider: the in-memory one
// (providers/keyvalue) and the Redis one (providers/redis, against a redis-server this suite starts on a free port).
// Both must give the same results to the same calls; provider-specific behaviour (per-actor isolation and
// MAX_STORE_BYTES in memory; URLs, outages and timeouts on Redis) is tested in keyvalue_test.cc and redis_test.cc.
#include <atomic>
#include <optional>
#include <thread>

#include "unit/providers/keyvalue_conformance.h"

namespace stratus::testing::kv {
namespace {

/// One provider under test.
struct Backend {
  std::string library;       ///< libstratus_<library>.so
  std::string display_name;  ///< what the provider calls itself
  bool needs_redis = false;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.library; }

/// The redis-server every test of this process shares (each test flushes it first), started on first use and
/// stopped at exit.
struct SharedRedis {
  std::optional<ServerProcess> server;
  std::string error;
};
SharedRedis& sharedRedis() {
  static SharedRedis shared = [] {
    SharedRedis s;
    auto started = startRedis();
    if (started) {
      s.server = std::move(*started);
    } else {
      s.error = started.error().toString();
    }
    return s;
  }();
  return shared;
}

class KeyValueConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam().needs_redis) {
      SharedRedis& redis = sharedRedis();
      ASSERT_TRUE(redis.server) << redis.error;
      auto flushed = redisCommand(redis.server->port(), {"FLUSHALL"});
      ASSERT_TRUE(flushed) << flushed.error().toString();
      link_["URL"] = redisUrl(redis.server->port());
    }
    h_ = ProviderHarness::load(GetParam().library);
    ASSERT_TRUE(h_);
    ASSERT_TRUE(h_->bind(a_, link_));
  }

  /// The link values this backend needs, plus `extra`.
  std::map<std::string, std::string> link(std::map<std::string, std::string> extra = {}) const {
    extra.insert(link_.begin(), link_.end());
    return extra;
  }

  codec::Value ok(const KeyValueRequest& q, const std::string& actor = "") {
    return expectOk(*h_, actor.empty() ? a_ : actor, q);
  }
  std::string failure(const KeyValueRequest& q, const std::string& actor = "") {
    return expectFailure(*h_, actor.empty() ? a_ : actor, q);
  }

  std::unique_ptr<ProviderHarness> h_;
  const std::string a_ = actorKey('A');
  std::map<std::string, std::string> link_;
};

TEST_P(KeyValueConformance, IdentifiesItself) {
  EXPECT_EQ(h_->provider->capabilityId(), "wasmcloud:keyvalue");
  EXPECT_EQ(h_->provider->name(), GetParam().display_name);
}

TEST_P(KeyValueConformance, HealthRequestIsHealthy) {
  auto reply = h_->call(codec::kSystemActor, codec::kOpHealthRequest, codec::encode(codec::HealthRequest{}));
  ASSERT_TRUE(reply) << reply.error().toString();
  auto health = codec::decodeHealthResponse(*reply);
  ASSERT_TRUE(health) << health.error().toString();
  EXPECT_TRUE(health->healthy);
}

TEST_P(KeyValueConformance, GetSetDelKeyExists) {
  auto missing = ok(req(KeyValueOp::kGet, "k"));
  EXPECT_FALSE(flag(missing, "exists"));
  EXPECT_EQ(str(missing, "value"), "");

  EXPECT_EQ(str(ok(set("k", "v1")), "value"), "v1");
  auto got = ok(req(KeyValueOp::kGet, "k"));
  EXPECT_TRUE(flag(got, "exists"));
  EXPECT_EQ(str(got, "value"), "v1");
  auto exists = ok(req(KeyValueOp::kKeyExists, "k"));
  EXPECT_TRUE(flag(exists, "exists"));
  EXPECT_EQ(str(exists, "value"), "");  // KeyExists answers a GetResponse without the value

  EXPECT_EQ(str(ok(set("k", "v2")), "value"), "v2");  // Set overwrites
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k")), "value"), "v2");
  ok(set("empty", ""));
  auto empty = ok(req(KeyValueOp::kGet, "empty"));
  EXPECT_TRUE(flag(empty, "exists"));  // an empty value exists
  EXPECT_EQ(str(empty, "value"), "");

  EXPECT_EQ(str(ok(req(KeyValueOp::kDel, "k")), "key"), "k");
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kGet, "k")), "exists"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "k")), "exists"));
  EXPECT_EQ(str(ok(req(KeyValueOp::kDel, "k")), "key"), "k");  // deleting nothing is fine, as in Redis
}

TEST_P(KeyValueConformance, BinarySafeKeysAndValues) {
  const std::string key("k\0\xff\n key", 9);
  const std::string value("\0\x01\xfe\xff \r\n\xc3\xa9", 9);
  ok(set(key, value));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, key)), "value"), value);
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, std::string("k", 1))), "exists"));
  ok(req(KeyValueOp::kPush, key + "l", value));
  EXPECT_EQ(strs(ok(range(key + "l", 0, -1)), "values"), std::vector<std::string>{value});
  ok(req(KeyValueOp::kSetAdd, key + "s", value));
  EXPECT_EQ(strs(ok(req(KeyValueOp::kSetQuery, key + "s")), "values"), std::vector<std::string>{value});
}

TEST_P(KeyValueConformance, SetWithExpiryExpires) {
  ok(set("short", "gone soon", 1));
  ok(set("forever", "stays", 0));
  ok(set("counter", "10", 1));
  EXPECT_EQ(num(ok(add("counter", 1)), "value"), 11);  // Add keeps the expiry, as INCRBY does
  EXPECT_TRUE(flag(ok(req(KeyValueOp::kGet, "short")), "exists"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kGet, "short")), "exists"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "short")), "exists"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "counter")), "exists"));
  EXPECT_TRUE(flag(ok(req(KeyValueOp::kGet, "forever")), "exists"));
  // An expired key behaves as absent for every type-checked op, too.
  EXPECT_EQ(num(ok(add("short", 5)), "value"), 5);
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "counter", "x")), "newCount"), 1);
}

TEST_P(KeyValueConformance, SetAgainClearsOrReplacesExpiry) {
  ok(set("k", "v", 1));
  ok(set("k", "v2", 0));  // a plain Set drops the old expiry
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k")), "value"), "v2");
}

TEST_P(KeyValueConformance, NegativeExpiryIsRefused) {
  std::string e = failure(set("k", "v", -1));
  EXPECT_NE(e.find("expires"), std::string::npos) << e;
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "k")), "exists"));
}

TEST_P(KeyValueConformance, AddIncrementsLikeIncrby) {
  EXPECT_EQ(num(ok(add("n", 5)), "value"), 5);  // created from 0
  EXPECT_EQ(num(ok(add("n", -7)), "value"), -2);
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "n")), "value"), "-2");
  ok(set("s", "40"));
  EXPECT_EQ(num(ok(add("s", 2)), "value"), 42);
  EXPECT_EQ(num(ok(add("zero", 0)), "value"), 0);  // an Add of 0 still creates the key
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "zero")), "value"), "0");
  EXPECT_EQ(num(ok(add("min", INT32_MIN)), "value"), INT32_MIN);
  EXPECT_EQ(num(ok(add("max", INT32_MAX)), "value"), INT32_MAX);
}

TEST_P(KeyValueConformance, AddOnNonIntegerFails) {
  for (const char* bad : {"abc", "1.5", " 1", "01", "+1", "", "99999999999999999999"}) {
    ok(set("s", bad));
    std::string e = failure(add("s", 1));
    EXPECT_NE(e.find("not an integer"), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("Add on key 's'"), std::string::npos) << bad << ": " << e;
    EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "s")), "value"), bad);  // unchanged
  }
}

TEST_P(KeyValueConformance, AddOutsideI32FailsAndChangesNothing) {
  ok(set("n", "2147483647"));
  std::string e = failure(add("n", 1));
  EXPECT_NE(e.find("32-bit"), std::string::npos) << e;
  EXPECT_NE(e.find("2147483648"), std::string::npos) << e;
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "n")), "value"), "2147483647");
  ok(set("n", "-2147483648"));
  EXPECT_NE(failure(add("n", -1)).find("32-bit"), std::string::npos);
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "n")), "value"), "-2147483648");
  ok(set("n", "9007199254740993"));  // above 2^53: must not be rounded on the way back
  EXPECT_NE(failure(add("n", 1)).find("9007199254740994"), std::string::npos);
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "n")), "value"), "9007199254740993");
  ok(set("n", "9223372036854775807"));
  EXPECT_NE(failure(add("n", 1)).find("overflow"), std::string::npos);
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "n")), "value"), "9223372036854775807");
}

TEST_P(KeyValueConformance, ListPushRangeDeleteClear) {
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "l", "a")), "newCount"), 1);
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "l", "b")), "newCount"), 2);
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "l", "a")), "newCount"), 3);
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "l", "c")), "newCount"), 4);
  // Push is LPUSH (as in wasmCloud's Redis provider): newest first.
  EXPECT_EQ(strs(ok(range("l", 0, -1)), "values"), (std::vector<std::string>{"c", "a", "b", "a"}));
  EXPECT_EQ(strs(ok(range("l", 1, 2)), "values"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(strs(ok(range("l", -2, -1)), "values"), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(strs(ok(range("l", -100, 100)), "values"), (std::vector<std::string>{"c", "a", "b", "a"}));
  EXPECT_EQ(strs(ok(range("l", INT32_MIN, INT32_MAX)), "values"), (std::vector<std::string>{"c", "a", "b", "a"}));
  EXPECT_EQ(strs(ok(range("l", 0, 0)), "values"), (std::vector<std::string>{"c"}));
  EXPECT_EQ(strs(ok(range("l", -1, 3)), "values"), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(strs(ok(range("l", 3, 1)), "values").empty());
  EXPECT_TRUE(strs(ok(range("l", 10, 20)), "values").empty());
  EXPECT_TRUE(strs(ok(range("l", -100, -50)), "values").empty());
  EXPECT_TRUE(strs(ok(range("nothing", 0, -1)), "values").empty());

  // ListItemDelete removes every equal item and answers how many went (LREM 0).
  EXPECT_EQ(num(ok(req(KeyValueOp::kListItemDelete, "l", "a")), "newCount"), 2);
  EXPECT_EQ(strs(ok(range("l", 0, -1)), "values"), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(num(ok(req(KeyValueOp::kListItemDelete, "l", "zzz")), "newCount"), 0);
  EXPECT_EQ(num(ok(req(KeyValueOp::kListItemDelete, "nothing", "a")), "newCount"), 0);

  EXPECT_EQ(str(ok(req(KeyValueOp::kClear, "l")), "key"), "l");
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "l")), "exists"));
  EXPECT_EQ(str(ok(req(KeyValueOp::kClear, "l")), "key"), "l");  // clearing nothing is fine

  // A list emptied by ListItemDelete is gone, as in Redis.
  ok(req(KeyValueOp::kPush, "one", "x"));
  ok(req(KeyValueOp::kListItemDelete, "one", "x"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "one")), "exists"));
}

TEST_P(KeyValueConformance, SetOperations) {
  EXPECT_EQ(num(ok(req(KeyValueOp::kSetAdd, "s1", "c")), "new_count"), 1);
  EXPECT_EQ(num(ok(req(KeyValueOp::kSetAdd, "s1", "c")), "new_count"), 0);
  ok(req(KeyValueOp::kSetAdd, "s1", "a"));
  ok(req(KeyValueOp::kSetAdd, "s1", "b"));
  ok(req(KeyValueOp::kSetAdd, "s2", "d"));
  ok(req(KeyValueOp::kSetAdd, "s2", "c"));
  ok(req(KeyValueOp::kSetAdd, "s2", "b"));

  // Members come back sorted (bytewise), whatever the order they were added in.
  EXPECT_EQ(strs(ok(req(KeyValueOp::kSetQuery, "s1")), "values"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(strs(ok(req(KeyValueOp::kSetQuery, "none")), "values").empty());
  EXPECT_EQ(strs(ok(keys(KeyValueOp::kSetUnion, {"s1", "s2", "none"})), "values"),
            (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(strs(ok(keys(KeyValueOp::kSetUnion, {"none"})), "values"), std::vector<std::string>{});
  EXPECT_EQ(strs(ok(keys(KeyValueOp::kSetIntersection, {"s1", "s2"})), "values"),
            (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(strs(ok(keys(KeyValueOp::kSetIntersection, {"s2", "s2"})), "values"),
            (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_TRUE(strs(ok(keys(KeyValueOp::kSetIntersection, {"s1", "none"})), "values").empty());

  EXPECT_EQ(num(ok(req(KeyValueOp::kSetRemove, "s1", "a")), "new_count"), 1);
  EXPECT_EQ(num(ok(req(KeyValueOp::kSetRemove, "s1", "a")), "new_count"), 0);
  EXPECT_EQ(num(ok(req(KeyValueOp::kSetRemove, "none", "a")), "new_count"), 0);
  EXPECT_EQ(strs(ok(req(KeyValueOp::kSetQuery, "s1")), "values"), (std::vector<std::string>{"b", "c"}));

  ok(req(KeyValueOp::kSetRemove, "s2", "b"));
  ok(req(KeyValueOp::kSetRemove, "s2", "c"));
  ok(req(KeyValueOp::kSetRemove, "s2", "d"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "s2")), "exists"));  // an emptied set is gone

  EXPECT_NE(failure(keys(KeyValueOp::kSetUnion, {})).find("at least one"), std::string::npos);
  EXPECT_NE(failure(keys(KeyValueOp::kSetIntersection, {})).find("at least one"), std::string::npos);
}

TEST_P(KeyValueConformance, WrongTypeErrors) {
  ok(set("str", "x"));
  ok(req(KeyValueOp::kPush, "list", "x"));
  ok(req(KeyValueOp::kSetAdd, "set", "x"));

  auto wrongtype = [&](const KeyValueRequest& q, std::string_view key, std::string_view held) {
    std::string e = failure(q);
    EXPECT_EQ(e.rfind("WRONGTYPE", 0), 0u) << e;
    std::string on = std::string(codec::keyValueOpName(q.op));
    on += " on key '";
    on += key;
    on += "'";
    EXPECT_NE(e.find(on), std::string::npos) << e;
    EXPECT_NE(e.find(held), std::string::npos) << e;
  };
  wrongtype(req(KeyValueOp::kPush, "str", "y"), "str", "holds a string, not a list");
  wrongtype(range("str", 0, -1), "str", "holds a string, not a list");
  wrongtype(req(KeyValueOp::kListItemDelete, "set", "x"), "set", "holds a set, not a list");
  wrongtype(req(KeyValueOp::kSetAdd, "list", "y"), "list", "holds a list, not a set");
  wrongtype(req(KeyValueOp::kSetRemove, "str", "y"), "str", "holds a string, not a set");
  wrongtype(req(KeyValueOp::kSetQuery, "list"), "list", "holds a list, not a set");
  wrongtype(keys(KeyValueOp::kSetUnion, {"set", "str"}), "str", "holds a string, not a set");
  wrongtype(keys(KeyValueOp::kSetIntersection, {"set", "list"}), "list", "holds a list, not a set");
  // A wrong type fails the intersection even when another key is missing (Redis 7 checks every key).
  wrongtype(keys(KeyValueOp::kSetIntersection, {"none", "list"}), "list", "holds a list, not a set");
  // Get of a list is an error, not "absent" (wasmCloud 0.18's Redis provider answered exists: false here).
  wrongtype(req(KeyValueOp::kGet, "list"), "list", "holds a list, not a string");
  wrongtype(add("set", 1), "set", "holds a set, not a string");

  // Nothing changed; Set overwrites any type; Del and KeyExists work on all.
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "str")), "value"), "x");
  EXPECT_EQ(strs(ok(range("list", 0, -1)), "values"), std::vector<std::string>{"x"});
  ok(set("list", "now a string"));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "list")), "value"), "now a string");
  EXPECT_TRUE(flag(ok(req(KeyValueOp::kKeyExists, "set")), "exists"));
  ok(req(KeyValueOp::kDel, "set"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "set")), "exists"));
}

TEST_P(KeyValueConformance, UnlinkedActorsAreRefused) {
  ASSERT_TRUE(h_->remove(a_));
  std::string e = failure(req(KeyValueOp::kGet, "k"));
  EXPECT_NE(e.find("not linked"), std::string::npos) << e;
  ASSERT_TRUE(h_->remove(a_));  // idempotent
  ASSERT_TRUE(h_->bind(a_, link()));
  ok(req(KeyValueOp::kGet, "k"));

  e = failure(req(KeyValueOp::kSetAdd, "k", "v"), actorKey('Z'));
  EXPECT_NE(e.find("not linked"), std::string::npos) << e;
  EXPECT_NE(e.find(actorKey('Z')), std::string::npos) << e;
}

TEST_P(KeyValueConformance, RebindKeepsData) {
  ok(set("k", "v"));
  ASSERT_TRUE(h_->bind(a_, link({{"MAX_VALUE_BYTES", "100"}})));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k")), "value"), "v");
  // The new values apply.
  EXPECT_NE(failure(set("k", std::string(101, 'x'))).find("MAX_VALUE_BYTES"), std::string::npos);
}

TEST_P(KeyValueConformance, MaxValueBytesLinkValue) {
  const std::string b = actorKey('B');
  ASSERT_TRUE(h_->bind(b, link({{"MAX_VALUE_BYTES", "16"}})));
  const std::string big(17, 'x');
  for (const KeyValueRequest& q : {set("k", big), req(KeyValueOp::kPush, "l", big), req(KeyValueOp::kSetAdd, "s", big),
                                   set(big, "v"), add(big, 1)}) {
    std::string e = failure(q, b);
    EXPECT_NE(e.find("MAX_VALUE_BYTES (16)"), std::string::npos) << e;
    EXPECT_NE(e.find("17 bytes"), std::string::npos) << e;
  }
  ok(set("k", std::string(16, 'x')), b);
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "l"), b), "exists"));  // a refused call changed nothing

  // Absurd or malformed limits are refused at bind time.
  for (const char* bad : {"0", "-1", "abc", "1099511627776", "", "16k"}) {
    auto bound = h_->bind(actorKey('C'), link({{"MAX_VALUE_BYTES", bad}}));
    ASSERT_FALSE(bound) << bad;
    EXPECT_NE(bound.error().message.find("MAX_VALUE_BYTES"), std::string::npos) << bound.error().message;
  }
}

TEST_P(KeyValueConformance, MalformedPayloadAndUnknownOperation) {
  const Bytes garbage{0xc1, 0x00};
  auto r = h_->call(a_, "Get", garbage);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("keyvalue Get"), std::string::npos) << r.error().message;

  codec::Writer w;
  w.mapHeader(1).str("key").uint(5);  // key of the wrong type
  r = h_->call(a_, "Get", w.bytes());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("key"), std::string::npos) << r.error().message;

  codec::Writer empty;
  empty.mapHeader(0);
  r = h_->call(a_, "Set", empty.bytes());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("missing"), std::string::npos) << r.error().message;

  r = h_->call(a_, "Frobnicate", empty.bytes());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("Frobnicate"), std::string::npos) << r.error().message;
}

TEST_P(KeyValueConformance, ConcurrentCallsAreAtomic) {
  constexpr int kThreads = 8, kCalls = 250;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        if (!run(*h_, a_, add("counter", 1))) ++failures;
        if (!run(*h_, a_, req(KeyValueOp::kSetAdd, "members", std::to_string(i)))) ++failures;
        if (!run(*h_, a_, req(KeyValueOp::kPush, "list", std::to_string(t)))) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "counter")), "value"), std::to_string(kThreads * kCalls));
  EXPECT_EQ(strs(ok(req(KeyValueOp::kSetQuery, "members")), "values").size(), static_cast<size_t>(kCalls));
  EXPECT_EQ(strs(ok(range("list", 0, -1)), "values").size(), static_cast<size_t>(kThreads * kCalls));
}

INSTANTIATE_TEST_SUITE_P(Providers, KeyValueConformance,
                         ::testing::Values(Backend{"keyvalue", "stratus in-memory key-value", false},
                                           Backend{"redis", "stratus Redis key-value (hiredis)", true}),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.library; });

}  // namespace
}  // namespace stratus::testing::kv
