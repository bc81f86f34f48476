// The in-memory wasmcloud:keyvalue provider, loaded from its .so: what only it does (one store per actor, data
// dropped with the link, MAX_STORE_BYTES). The operations themselves are in the shared contract suite,
// keyvalue_conformance.cc, which runs against this provider and the Redis one.
#include <gtest/gtest.h>

#include "unit/providers/keyvalue_conformance.h"

namespace stratus {
namespace {

using testing::actorKey;
using testing::ProviderHarness;
using namespace testing::kv;

class KeyValueProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_ = ProviderHarness::load("keyvalue");
    ASSERT_TRUE(h_);
    ASSERT_TRUE(h_->bind(a_));
  }

  codec::Value ok(const KeyValueRequest& q, const std::string& actor = "") {
    return expectOk(*h_, actor.empty() ? a_ : actor, q);
  }
  std::string failure(const KeyValueRequest& q, const std::string& actor = "") {
    return expectFailure(*h_, actor.empty() ? a_ : actor, q);
  }

  std::unique_ptr<ProviderHarness> h_;
  const std::string a_ = actorKey('A');
};

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

TEST_F(KeyValueProviderTest, RemoveActorDropsData) {
  ok(set("k", "v"));
  ASSERT_TRUE(h_->remove(a_));
  ASSERT_TRUE(h_->bind(a_));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kGet, "k")), "exists"));
}

TEST_F(KeyValueProviderTest, StoreSizeLimit) {
  const std::string b = actorKey('B');
  ASSERT_TRUE(h_->bind(b, {{"MAX_VALUE_BYTES", "16"}, {"MAX_STORE_BYTES", "1000"}}));
  bool full = false;
  for (int i = 0; i < 100 && !full; ++i) {
    auto r = run(*h_, b, req(KeyValueOp::kPush, "list", std::string(16, 'y')));
    if (!r) {
      EXPECT_NE(r.error().message.find("MAX_STORE_BYTES"), std::string::npos) << r.error().message;
      full = true;
    }
  }
  EXPECT_TRUE(full);
  std::string e = failure(set("other", "v"), b);
  EXPECT_NE(e.find("is full"), std::string::npos) << e;
  ok(req(KeyValueOp::kDel, "list"), b);  // deleting frees the space again
  ok(req(KeyValueOp::kPush, "list", "y"), b);
  ok(set("other", "v"), b);

  for (const char* bad : {"0", "-1", "abc", ""}) {
    auto bound = h_->bind(actorKey('C'), {{"MAX_STORE_BYTES", bad}});
    ASSERT_FALSE(bound) << bad;
    EXPECT_NE(bound.error().message.find("MAX_STORE_BYTES"), std::string::npos);
  }
}

}  // namespace
}  // namespace stratus
