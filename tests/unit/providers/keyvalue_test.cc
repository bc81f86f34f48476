// The in-memory wasmcloud:keyvalue provider, loaded from its .so.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "stratus/codec/keyvalue.h"
#include "stratus/codec/msgpack.h"
#include "unit/providers/provider_harness.h"

namespace stratus {
namespace {

using codec::KeyValueOp;
using codec::KeyValueRequest;
using testing::actorKey;
using testing::ProviderHarness;

class KeyValueProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_ = ProviderHarness::load("keyvalue");
    ASSERT_TRUE(h_);
    ASSERT_TRUE(h_->bind(a_));
  }

  Expected<codec::Value> run(const std::string& actor, KeyValueRequest q) {
    auto reply = h_->call(actor, codec::keyValueOpName(q.op), codec::encode(q));
    if (!reply) return fail(reply.takeError());
    return codec::decode(*reply);
  }
  codec::Value ok(KeyValueRequest q, const std::string& actor = "") {
    auto v = run(actor.empty() ? a_ : actor, q);
    EXPECT_TRUE(v) << codec::keyValueOpName(q.op) << ": " << v.error().toString();
    return v ? *v : codec::Value{};
  }
  std::string failure(KeyValueRequest q, const std::string& actor = "") {
    auto v = run(actor.empty() ? a_ : actor, q);
    EXPECT_FALSE(v) << codec::keyValueOpName(q.op) << " should fail";
    return v ? "" : v.error().message;
  }

  static KeyValueRequest req(KeyValueOp op, std::string key, std::string value = "") {
    KeyValueRequest q;
    q.op = op;
    q.key = std::move(key);
    q.value = std::move(value);
    return q;
  }
  static KeyValueRequest add(std::string key, int32_t amount) {
    auto q = req(KeyValueOp::kAdd, std::move(key));
    q.amount = amount;
    return q;
  }
  static KeyValueRequest set(std::string key, std::string value, int32_t expires = 0) {
    auto q = req(KeyValueOp::kSet, std::move(key), std::move(value));
    q.expires = expires;
    return q;
  }
  static KeyValueRequest range(std::string key, int32_t start, int32_t stop) {
    auto q = req(KeyValueOp::kRange, std::move(key));
    q.start = start;
    q.stop = stop;
    return q;
  }
  static KeyValueRequest keys(KeyValueOp op, std::vector<std::string> k) {
    KeyValueRequest q;
    q.op = op;
    q.keys = std::move(k);
    return q;
  }

  static std::string str(const codec::Value& v, std::string_view field) {
    const codec::Value* f = v.find(field);
    return f ? f->asString(field).value() : "<missing>";
  }
  static int64_t num(const codec::Value& v, std::string_view field) {
    const codec::Value* f = v.find(field);
    return f ? f->asInt(field).value() : INT64_MIN;
  }
  static bool flag(const codec::Value& v, std::string_view field) {
    const codec::Value* f = v.find(field);
    return f && f->asBool(field).value();
  }
  static std::vector<std::string> strs(const codec::Value& v, std::string_view field) {
    const codec::Value* f = v.find(field);
    return f ? f->asStringArray(field).value() : std::vector<std::string>{"<missing>"};
  }

  std::unique_ptr<ProviderHarness> h_;
  const std::string a_ = actorKey('A');
};

TEST_F(KeyValueProviderTest, IdentifiesItself) {
  EXPECT_EQ(h_->provider->capabilityId(), "wasmcloud:keyvalue");
  EXPECT_EQ(h_->provider->name(), "stratus in-memory key-value");
}

TEST_F(KeyValueProviderTest, HealthRequestIsHealthy) {
  auto reply = h_->call(codec::kSystemActor, codec::kOpHealthRequest, codec::encode(codec::HealthRequest{}));
  ASSERT_TRUE(reply) << reply.error().toString();
  auto health = codec::decodeHealthResponse(*reply);
  ASSERT_TRUE(health) << health.error().toString();
  EXPECT_TRUE(health->healthy);
}

TEST_F(KeyValueProviderTest, GetSetDelKeyExists) {
  auto missing = ok(req(KeyValueOp::kGet, "k"));
  EXPECT_FALSE(flag(missing, "exists"));
  EXPECT_EQ(str(missing, "value"), "");

  EXPECT_EQ(str(ok(set("k", "v1")), "value"), "v1");
  auto got = ok(req(KeyValueOp::kGet, "k"));
  EXPECT_TRUE(flag(got, "exists"));
  EXPECT_EQ(str(got, "value"), "v1");
  EXPECT_TRUE(flag(ok(req(KeyValueOp::kKeyExists, "k")), "exists"));

  EXPECT_EQ(str(ok(req(KeyValueOp::kDel, "k")), "key"), "k");
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kGet, "k")), "exists"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "k")), "exists"));
  EXPECT_EQ(str(ok(req(KeyValueOp::kDel, "k")), "key"), "k");  // deleting nothing is fine, as in Redis
}

TEST_F(KeyValueProviderTest, SetWithExpiryExpires) {
  ok(set("short", "gone soon", 1));
  ok(set("forever", "stays", 0));
  EXPECT_TRUE(flag(ok(req(KeyValueOp::kGet, "short")), "exists"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kGet, "short")), "exists"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "short")), "exists"));
  EXPECT_TRUE(flag(ok(req(KeyValueOp::kGet, "forever")), "exists"));
  // An expired key behaves as absent for every type-checked op, too.
  EXPECT_EQ(num(ok(add("short", 5)), "value"), 5);
}

TEST_F(KeyValueProviderTest, SetAgainClearsOrReplacesExpiry) {
  ok(set("k", "v", 1));
  ok(set("k", "v2", 0));  // a plain SET drops the old expiry
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k")), "value"), "v2");
}

TEST_F(KeyValueProviderTest, NegativeExpiryIsRefused) {
  EXPECT_NE(failure(set("k", "v", -1)).find("expires"), std::string::npos);
}

TEST_F(KeyValueProviderTest, AddIncrementsLikeIncrby) {
  EXPECT_EQ(num(ok(add("n", 5)), "value"), 5);  // created from 0
  EXPECT_EQ(num(ok(add("n", -7)), "value"), -2);
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "n")), "value"), "-2");
  ok(set("s", "40"));
  EXPECT_EQ(num(ok(add("s", 2)), "value"), 42);
}

TEST_F(KeyValueProviderTest, AddOnNonIntegerFails) {
  for (const char* bad : {"abc", "1.5", " 1", "01", "+1", "", "99999999999999999999"}) {
    ok(set("s", bad));
    std::string e = failure(add("s", 1));
    EXPECT_NE(e.find("not an integer"), std::string::npos) << bad << ": " << e;
    EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "s")), "value"), bad);  // unchanged
  }
}

TEST_F(KeyValueProviderTest, AddOutsideI32Fails) {
  ok(set("n", "2147483647"));
  EXPECT_NE(failure(add("n", 1)).find("32-bit"), std::string::npos);
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "n")), "value"), "2147483647");
  ok(set("n", "9223372036854775807"));
  EXPECT_NE(failure(add("n", 1)).find("overflow"), std::string::npos);
}

TEST_F(KeyValueProviderTest, ListPushRangeDeleteClear) {
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "l", "a")), "newCount"), 1);
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "l", "b")), "newCount"), 2);
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "l", "a")), "newCount"), 3);
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "l", "c")), "newCount"), 4);
  // Push is LPUSH (as in wasmCloud's Redis provider): newest first.
  EXPECT_EQ(strs(ok(range("l", 0, -1)), "values"), (std::vector<std::string>{"c", "a", "b", "a"}));
  EXPECT_EQ(strs(ok(range("l", 1, 2)), "values"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(strs(ok(range("l", -2, -1)), "values"), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(strs(ok(range("l", -100, 100)), "values"), (std::vector<std::string>{"c", "a", "b", "a"}));
  EXPECT_TRUE(strs(ok(range("l", 3, 1)), "values").empty());
  EXPECT_TRUE(strs(ok(range("l", 10, 20)), "values").empty());
  EXPECT_TRUE(strs(ok(range("nothing", 0, -1)), "values").empty());

  // ListItemDelete removes every equal item and answers how many went (LREM 0).
  EXPECT_EQ(num(ok(req(KeyValueOp::kListItemDelete, "l", "a")), "newCount"), 2);
  EXPECT_EQ(strs(ok(range("l", 0, -1)), "values"), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(num(ok(req(KeyValueOp::kListItemDelete, "l", "zzz")), "newCount"), 0);
  EXPECT_EQ(num(ok(req(KeyValueOp::kListItemDelete, "nothing", "a")), "newCount"), 0);

  EXPECT_EQ(str(ok(req(KeyValueOp::kClear, "l")), "key"), "l");
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "l")), "exists"));

  // A list emptied by ListItemDelete is gone, as in Redis.
  ok(req(KeyValueOp::kPush, "one", "x"));
  ok(req(KeyValueOp::kListItemDelete, "one", "x"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "one")), "exists"));
}

TEST_F(KeyValueProviderTest, SetOperations) {
  EXPECT_EQ(num(ok(req(KeyValueOp::kSetAdd, "s1", "a")), "new_count"), 1);
  EXPECT_EQ(num(ok(req(KeyValueOp::kSetAdd, "s1", "a")), "new_count"), 0);
  ok(req(KeyValueOp::kSetAdd, "s1", "b"));
  ok(req(KeyValueOp::kSetAdd, "s1", "c"));
  ok(req(KeyValueOp::kSetAdd, "s2", "b"));
  ok(req(KeyValueOp::kSetAdd, "s2", "c"));
  ok(req(KeyValueOp::kSetAdd, "s2", "d"));

  EXPECT_EQ(strs(ok(req(KeyValueOp::kSetQuery, "s1")), "values"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(strs(ok(req(KeyValueOp::kSetQuery, "none")), "values").empty());
  EXPECT_EQ(strs(ok(keys(KeyValueOp::kSetUnion, {"s1", "s2", "none"})), "values"),
            (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(strs(ok(keys(KeyValueOp::kSetIntersection, {"s1", "s2"})), "values"), (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(strs(ok(keys(KeyValueOp::kSetIntersection, {"s1", "none"})), "values").empty());

  EXPECT_EQ(num(ok(req(KeyValueOp::kSetRemove, "s1", "a")), "new_count"), 1);
  EXPECT_EQ(num(ok(req(KeyValueOp::kSetRemove, "s1", "a")), "new_count"), 0);
  EXPECT_EQ(num(ok(req(KeyValueOp::kSetRemove, "none", "a")), "new_count"), 0);
  EXPECT_EQ(strs(ok(req(KeyValueOp::kSetQuery, "s1")), "values"), (std::vector<std::string>{"b", "c"}));

  ok(req(KeyValueOp::kSetRemove, "s2", "b"));
  ok(req(KeyValueOp::kSetRemove, "s2", "c"));
  ok(req(KeyValueOp::kSetRemove, "s2", "d"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "s2")), "exists"));

  EXPECT_NE(failure(keys(KeyValueOp::kSetUnion, {})).find("at least one"), std::string::npos);
}

TEST_F(KeyValueProviderTest, WrongTypeErrors) {
  ok(set("str", "x"));
  ok(req(KeyValueOp::kPush, "list", "x"));
  ok(req(KeyValueOp::kSetAdd, "set", "x"));

  auto wrongtype = [&](KeyValueRequest q, std::string_view held) {
    std::string e = failure(q);
    EXPECT_EQ(e.rfind("WRONGTYPE", 0), 0u) << e;
    EXPECT_NE(e.find(held), std::string::npos) << e;
  };
  wrongtype(req(KeyValueOp::kPush, "str", "y"), "holds a string, not a list");
  wrongtype(range("str", 0, -1), "holds a string");
  wrongtype(req(KeyValueOp::kListItemDelete, "set", "x"), "holds a set, not a list");
  wrongtype(req(KeyValueOp::kSetAdd, "list", "y"), "holds a list, not a set");
  wrongtype(req(KeyValueOp::kSetRemove, "str", "y"), "holds a string, not a set");
  wrongtype(req(KeyValueOp::kSetQuery, "list"), "holds a list");
  wrongtype(keys(KeyValueOp::kSetUnion, {"set", "str"}), "holds a string");
  wrongtype(keys(KeyValueOp::kSetIntersection, {"set", "list"}), "holds a list");
  wrongtype(req(KeyValueOp::kGet, "list"), "holds a list, not a string");
  wrongtype(add("set", 1), "holds a set");

  // Set overwrites any type; Del and KeyExists work on all.
  ok(set("list", "now a string"));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "list")), "value"), "now a string");
  EXPECT_TRUE(flag(ok(req(KeyValueOp::kKeyExists, "set")), "exists"));
  ok(req(KeyValueOp::kDel, "set"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kKeyExists, "set")), "exists"));
}

TEST_F(KeyValueProviderTest, ActorsAreIsolated) {
  const std::string b = actorKey('B');
  ASSERT_TRUE(h_->bind(b));
  ok(set("shared-name", "from A"));
  ok(req(KeyValueOp::kSetAdd, "s", "a-member"));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kGet, "shared-name"), b), "exists"));
  EXPECT_TRUE(strs(ok(req(KeyValueOp::kSetQuery, "s"), b), "values").empty());
  ok(set("shared-name", "from B"), b);
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "shared-name")), "value"), "from A");
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "shared-name"), b), "value"), "from B");
}

TEST_F(KeyValueProviderTest, RemoveActorDropsDataAndUnlinkedActorsAreRefused) {
  ok(set("k", "v"));
  ASSERT_TRUE(h_->remove(a_));
  std::string e = failure(req(KeyValueOp::kGet, "k"));
  EXPECT_NE(e.find("not linked"), std::string::npos) << e;
  ASSERT_TRUE(h_->remove(a_));  // idempotent
  ASSERT_TRUE(h_->bind(a_));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kGet, "k")), "exists"));

  EXPECT_NE(failure(req(KeyValueOp::kGet, "k"), actorKey('Z')).find("not linked"), std::string::npos);
}

TEST_F(KeyValueProviderTest, RebindKeepsData) {
  ok(set("k", "v"));
  ASSERT_TRUE(h_->bind(a_, {{"MAX_VALUE_BYTES", "100"}}));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k")), "value"), "v");
}

TEST_F(KeyValueProviderTest, MalformedPayloadAndUnknownOperation) {
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

TEST_F(KeyValueProviderTest, SizeLimits) {
  const std::string b = actorKey('B');
  ASSERT_TRUE(h_->bind(b, {{"MAX_VALUE_BYTES", "16"}, {"MAX_STORE_BYTES", "1000"}}));
  std::string e = failure(set("k", std::string(17, 'x')), b);
  EXPECT_NE(e.find("MAX_VALUE_BYTES"), std::string::npos) << e;
  e = failure(req(KeyValueOp::kPush, std::string(17, 'k'), "x"), b);
  EXPECT_NE(e.find("MAX_VALUE_BYTES"), std::string::npos) << e;
  ok(set("k", std::string(16, 'x')), b);

  bool full = false;
  for (int i = 0; i < 100 && !full; ++i) {
    auto r = run(b, req(KeyValueOp::kPush, "list", std::string(16, 'y')));
    if (!r) {
      EXPECT_NE(r.error().message.find("MAX_STORE_BYTES"), std::string::npos) << r.error().message;
      full = true;
    }
  }
  EXPECT_TRUE(full);
  ok(req(KeyValueOp::kDel, "list"), b);  // deleting frees the space again
  ok(req(KeyValueOp::kPush, "list", "y"), b);

  // Absurd or malformed limits are refused at bind time.
  for (const char* bad : {"0", "-1", "abc", "1099511627776", ""}) {
    auto bound = h_->bind(actorKey('C'), {{"MAX_VALUE_BYTES", bad}});
    ASSERT_FALSE(bound) << bad;
    EXPECT_NE(bound.error().message.find("MAX_VALUE_BYTES"), std::string::npos);
  }
}

TEST_F(KeyValueProviderTest, ConcurrentAddsAreExact) {
  constexpr int kThreads = 8, kAdds = 500;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kAdds; ++i) {
        if (!run(a_, add("counter", 1))) ++failures;
        if (!run(a_, req(KeyValueOp::kSetAdd, "members", std::to_string(i)))) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "counter")), "value"), std::to_string(kThreads * kAdds));
  EXPECT_EQ(strs(ok(req(KeyValueOp::kSetQuery, "members")), "values").size(), static_cast<size_t>(kAdds));
}

}  // namespace
}  // namespace stratus
