// End to end through real parts: an HTTP request → httpserver provider (from its .par.gz) → the counter actor
// (C, built from source) → keyvalue provider (from its .par.gz) → the HTTP response. Plus the faults around it.
#include <gtest/gtest.h>

#include <thread>

#include "stratus/host/host.h"
#include "support/actors.h"
#include "support/http_get.h"
#include "support/server_process.h"

namespace stratus::host {
namespace {

using stratus::testing::bodyOf;
using stratus::testing::httpGet;

const std::string kProviders = STRATUS_PROVIDER_DIR;

class HttpEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto built = HostBuilder()
                     .withProviderHealthInterval(std::chrono::milliseconds(0))
                     .withProviderCacheDir(::testing::TempDir() + "/stratus-e2e-cache")
                     .build();
    ASSERT_TRUE(built) << built.error().toString();
    host_ = std::move(*built);
    auto actor = host_->startActor(stratus::testing::signActor(
        stratus::testing::loadActor("counter"), {.name = "counter", .caps = {"wasmcloud:httpserver", "wasmcloud:keyvalue"}}));
    ASSERT_TRUE(actor) << actor.error().toString();
    actor_ = *actor;
    auto http = host_->startProviderFromArchive(kProviders + "/httpserver.par.gz");
    ASSERT_TRUE(http) << http.error().toString();
    http_ = *http;
    auto kv = host_->startProviderFromArchive(kProviders + "/keyvalue.par.gz");
    ASSERT_TRUE(kv) << kv.error().toString();
    kv_ = *kv;
    port_ = stratus::testing::freeLoopbackPort();
    ASSERT_TRUE(host_->setLink({actor_, http_, "wasmcloud:httpserver", "default",
                                {{"BIND", "127.0.0.1:" + std::to_string(port_)}}}));
  }
  void TearDown() override { host_.reset(); }

  std::unique_ptr<Host> host_;
  std::string actor_, http_, kv_;
  uint16_t port_ = 0;
};

TEST_F(HttpEndToEndTest, CountsRequestsPerPathThroughHttpServerActorAndKeyValue) {
  ASSERT_TRUE(host_->setLink({actor_, kv_, "wasmcloud:keyvalue", "default", {}}));
  std::string first = httpGet(port_, "/hits");
  EXPECT_EQ(first.rfind("HTTP/1.1 200", 0), 0u) << first;
  EXPECT_NE(first.find("application/json"), std::string::npos) << first;
  EXPECT_EQ(bodyOf(first), R"({"counter":1})");
  EXPECT_EQ(bodyOf(httpGet(port_, "/hits")), R"({"counter":2})");
  EXPECT_EQ(bodyOf(httpGet(port_, "/other")), R"({"counter":1})");
}

TEST_F(HttpEndToEndTest, AMissingLinkIsAClearErrorAndTheHostKeepsServing) {
  // No keyvalue link yet: the actor's Add fails and the client sees a 503 naming the missing link.
  std::string unlinked = httpGet(port_, "/hits");
  EXPECT_EQ(unlinked.rfind("HTTP/1.1 503", 0), 0u) << unlinked;
  EXPECT_NE(unlinked.find("no link definition"), std::string::npos) << unlinked;
  EXPECT_NE(unlinked.find("wasmcloud:keyvalue"), std::string::npos) << unlinked;

  ASSERT_TRUE(host_->setLink({actor_, kv_, "wasmcloud:keyvalue", "default", {}}));
  EXPECT_EQ(bodyOf(httpGet(port_, "/hits")), R"({"counter":1})");

  // Removing the httpserver link closes the actor's listener.
  ASSERT_TRUE(host_->removeLink(actor_, "wasmcloud:httpserver", "default"));
  EXPECT_EQ(httpGet(port_, "/hits"), "");
}

TEST_F(HttpEndToEndTest, StoppingTheHostClosesThePort) {
  ASSERT_TRUE(host_->setLink({actor_, kv_, "wasmcloud:keyvalue", "default", {}}));
  EXPECT_EQ(bodyOf(httpGet(port_, "/x")), R"({"counter":1})");
  host_.reset();
  EXPECT_EQ(httpGet(port_, "/x"), "");
}

}  // namespace
}  // namespace stratus::host
