// The per-actor state map of the first-party providers (providers/common/actor_map.h).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/actor_map.h"

namespace stratus::providers {
namespace {

struct Entry {
  explicit Entry(int v) : value(v) {}
  int value;
};

TEST(ActorMapTest, PutFindReplaceAndRemove) {
  ActorMap<Entry> map;
  EXPECT_EQ(map.find("MA"), nullptr);
  map.put("MA", std::make_shared<Entry>(1));
  map.put("MB", std::make_shared<Entry>(2));
  ASSERT_NE(map.find("MA"), nullptr);
  EXPECT_EQ(map.find("MA")->value, 1);
  map.put("MA", std::make_shared<Entry>(3));
  EXPECT_EQ(map.find("MA")->value, 3);
  map.remove("MA");
  map.remove("MA");  // removing what is gone is no error
  EXPECT_EQ(map.find("MA"), nullptr);
  EXPECT_EQ(map.find("MB")->value, 2);
  map.clear();
  EXPECT_EQ(map.find("MB"), nullptr);
}

TEST(ActorMapTest, UpdateOrCreateKeepsAnExistingEntry) {
  ActorMap<Entry> map;
  int created = 0;
  const auto bump = [](Entry& e) { e.value += 10; };
  const auto make = [&] {
    ++created;
    return std::make_shared<Entry>(1);
  };
  map.updateOrCreate("MA", bump, make);
  const auto first = map.find("MA");
  map.updateOrCreate("MA", bump, make);
  EXPECT_EQ(created, 1);
  EXPECT_EQ(map.find("MA"), first);
  EXPECT_EQ(first->value, 11);
}

TEST(ActorMapTest, AnEntryACallHoldsOutlivesItsRemoval) {
  ActorMap<Entry> map;
  map.put("MA", std::make_shared<Entry>(7));
  std::shared_ptr<Entry> held = map.find("MA");
  std::weak_ptr<Entry> watch = held;
  map.remove("MA");
  ASSERT_FALSE(watch.expired());
  EXPECT_EQ(held->value, 7);
  held.reset();
  EXPECT_TRUE(watch.expired());
}

TEST(ActorMapTest, NotLinkedNamesTheCallAndTheActor) {
  const Error e = notLinked("keyvalue Get", "MABC");
  EXPECT_EQ(e.code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(e.message, "keyvalue Get: actor MABC is not linked to this provider (no BindActor received)");
}

}  // namespace
}  // namespace stratus::providers
