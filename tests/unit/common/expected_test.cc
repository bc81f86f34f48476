#include "stratus/common/expected.h"

#include <gtest/gtest.h>

#include <memory>

namespace stratus {
namespace {

Expected<int> half(int x) {
  if (x % 2) return fail(ErrorCode::kInvalidArgument, std::to_string(x) + " is odd");
  return x / 2;
}

Expected<int> quarter(int x) {
  auto h = half(x);
  if (!h) return fail(h.takeError());
  return half(*h);
}

Expected<void> check(bool good) {
  if (!good) return fail(ErrorCode::kNotFound, "missing");
  return ok();
}

Expected<void> chain(bool good) {
  STRATUS_TRY(check(good));
  return ok();
}

TEST(ExpectedTest, CarriesValueOrError) {
  EXPECT_EQ(*quarter(8), 2);
  auto e = quarter(6);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.error().message, "3 is odd");
  EXPECT_EQ(e.error().toString(), "invalid argument: 3 is odd");
}

TEST(ExpectedTest, VoidAndTryPropagate) {
  EXPECT_TRUE(chain(true));
  auto r = chain(false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(ExpectedTest, HoldsMoveOnlyValues) {
  Expected<std::unique_ptr<int>> p = std::make_unique<int>(7);
  ASSERT_TRUE(p);
  std::unique_ptr<int> taken = std::move(*p);
  EXPECT_EQ(*taken, 7);
}

}  // namespace
}  // namespace stratus
