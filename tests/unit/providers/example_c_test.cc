// The plain-C example provider, loaded from its .so: the C ABI works without the C++ layer.
#include <gtest/gtest.h>

#include "unit/providers/provider_harness.h"

namespace stratus {
namespace {

using testing::actorKey;
using testing::ProviderHarness;

TEST(ExampleCProviderTest, LoadsAndIdentifiesItself) {
  auto h = ProviderHarness::load("example_c");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->provider->capabilityId(), "stratus:example");
  EXPECT_EQ(h->provider->name(), "stratus example provider (plain C)");
}

TEST(ExampleCProviderTest, BindRemoveAndHealth) {
  auto h = ProviderHarness::load("example_c");
  ASSERT_TRUE(h);
  auto bound = h->bind(actorKey('A'), {{"K", "V"}});
  ASSERT_TRUE(bound) << bound.error().toString();
  EXPECT_TRUE(bound->empty());
  ASSERT_FALSE(h->logs().empty());
  EXPECT_EQ(h->logs().back().level, STRATUS_LOG_INFO);
  EXPECT_EQ(h->logs().back().text, "example_c: an actor was bound");
  ASSERT_TRUE(h->remove(actorKey('A')));

  auto reply = h->call(codec::kSystemActor, codec::kOpHealthRequest, codec::encode(codec::HealthRequest{}));
  ASSERT_TRUE(reply) << reply.error().toString();
  EXPECT_EQ(*reply, codec::encode(codec::HealthResponse{true, ""}));  // byte-identical to our encoder
  auto health = codec::decodeHealthResponse(*reply);
  ASSERT_TRUE(health) << health.error().toString();
  EXPECT_TRUE(health->healthy);
  EXPECT_EQ(health->message, "");
}

TEST(ExampleCProviderTest, ReverseRoundTrip) {
  auto h = ProviderHarness::load("example_c");
  ASSERT_TRUE(h);
  const Bytes in{'s', 't', 'r', 'a', 't', 'u', 's', 0, 0xff};
  auto out = h->call(actorKey('A'), "Reverse", in);
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(*out, (Bytes{0xff, 0, 's', 'u', 't', 'a', 'r', 't', 's'}));
  auto back = h->call(actorKey('A'), "Reverse", *out);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, in);

  auto empty = h->call(actorKey('A'), "Reverse", Bytes{});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());

  Bytes big(1 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  auto reversed = h->call(actorKey('A'), "Reverse", big);
  ASSERT_TRUE(reversed);
  EXPECT_TRUE(std::equal(big.rbegin(), big.rend(), reversed->begin()));
}

TEST(ExampleCProviderTest, UnknownOperationIsNamed) {
  auto h = ProviderHarness::load("example_c");
  ASSERT_TRUE(h);
  auto out = h->call(actorKey('A'), "Rotate", Bytes{1});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message, "unknown stratus:example operation 'Rotate' (known: Reverse)");
  out = h->call(actorKey('A'), "BindActor", Bytes{});  // the system operations only come from "system"
  ASSERT_FALSE(out);
}

}  // namespace
}  // namespace stratus
