// The wasmcloud:logging provider, loaded from its .so.
#include <gtest/gtest.h>

#include "stratus/codec/logging.h"
#include "unit/providers/provider_harness.h"

namespace stratus {
namespace {

using testing::actorKey;
using testing::ProviderHarness;

class LoggingProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_ = ProviderHarness::load("logging");
    ASSERT_TRUE(h_);
    ASSERT_TRUE(h_->bind(a_));
  }
  Expected<Bytes> write(const std::string& target, const std::string& level, const std::string& text) {
    return h_->call(a_, codec::kOpWriteLog, codec::encode(codec::WriteLog{target, level, text}));
  }

  std::unique_ptr<ProviderHarness> h_;
  const std::string a_ = actorKey('A');
};

TEST_F(LoggingProviderTest, IdentifiesItselfAndIsHealthy) {
  EXPECT_EQ(h_->provider->capabilityId(), "wasmcloud:logging");
  auto reply = h_->call(codec::kSystemActor, codec::kOpHealthRequest, codec::encode(codec::HealthRequest{}));
  ASSERT_TRUE(reply);
  auto health = codec::decodeHealthResponse(*reply);
  ASSERT_TRUE(health);
  EXPECT_TRUE(health->healthy);
}

TEST_F(LoggingProviderTest, WriteLogReachesTheHostLogAtEachLevel) {
  const std::pair<const char*, stratus_log_level> levels[] = {
      {"error", STRATUS_LOG_ERROR}, {"warn", STRATUS_LOG_WARN},   {"info", STRATUS_LOG_INFO},
      {"debug", STRATUS_LOG_DEBUG}, {"trace", STRATUS_LOG_TRACE}, {"INFO", STRATUS_LOG_INFO}};
  for (const auto& [name, level] : levels) {
    auto reply = write("my-target", name, std::string("hello at ") + name);
    ASSERT_TRUE(reply) << name << ": " << reply.error().toString();
    EXPECT_TRUE(reply->empty());
    auto logs = h_->logs();
    ASSERT_FALSE(logs.empty());
    EXPECT_EQ(logs.back().level, level);
    EXPECT_EQ(logs.back().text, "[" + a_ + " my-target] hello at " + name);
  }
}

TEST_F(LoggingProviderTest, EmptyTargetIsLeftOut) {
  ASSERT_TRUE(write("", "info", "no target"));
  EXPECT_EQ(h_->logs().back().text, "[" + a_ + "] no target");
}

TEST_F(LoggingProviderTest, LongTextIsCut) {
  ASSERT_TRUE(write("t", "info", std::string(100000, 'x')));
  const std::string text = h_->logs().back().text;
  EXPECT_LT(text.size(), 17000u);
  EXPECT_NE(text.find("more bytes cut"), std::string::npos);
}

TEST_F(LoggingProviderTest, BadLevelOperationAndPayloadFail) {
  auto reply = write("t", "loud", "x");
  ASSERT_FALSE(reply);
  EXPECT_NE(reply.error().message.find("'loud'"), std::string::npos) << reply.error().message;

  const size_t before = h_->logs().size();
  reply = h_->call(a_, "Shout", codec::encode(codec::WriteLog{"t", "info", "x"}));
  ASSERT_FALSE(reply);
  EXPECT_NE(reply.error().message.find("Shout"), std::string::npos);

  reply = h_->call(a_, codec::kOpWriteLog, Bytes{0x93, 0x01});
  ASSERT_FALSE(reply);
  EXPECT_NE(reply.error().message.find("WriteLog"), std::string::npos) << reply.error().message;
  EXPECT_EQ(h_->logs().size(), before);
}

}  // namespace
}  // namespace stratus
