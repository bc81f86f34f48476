// The artifact cache against a real registry: tags resolved on each fetch, blobs pulled once, offline starts from
// the cache, damaged cache files pulled again, least-recently-used eviction.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "oci/digest.h"
#include "stratus/common/files.h"
#include "stratus/oci/oci.h"
#include "support/actors.h"
#include "support/oci_registry.h"

namespace stratus::oci {
namespace {

using stratus::testing::OciRegistry;

struct CacheFixture : ::testing::Test {
  void SetUp() override {
    auto started = OciRegistry::start("oci-cache-" + std::string(
                                                        ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    ASSERT_TRUE(started) << started.error().toString();
    registry = std::move(*started);
    ClientOptions options;
    options.allowed_insecure = {registry->host()};
    options.auth.credentials_file = stratus::testing::noCredentials(registry->dir());  // never the user's own credentials
    client = std::make_shared<RegistryClient>(options);
    cache_dir = (registry->dir() / "cache").string();
  }

  std::string push(const std::string& rest, const Bytes& bytes) {
    const std::string text = registry->host() + "/" + rest;
    auto pushed = client->pushArtifact(*Reference::parse(text), bytes);
    EXPECT_TRUE(pushed) << pushed.error().toString();
    return text;
  }

  static Bytes actor(const std::string& name) {
    return stratus::testing::signActor(stratus::testing::loadActor("test_actor"), {.name = name});
  }

  std::unique_ptr<OciRegistry> registry;
  std::shared_ptr<RegistryClient> client;
  std::string cache_dir;
};

TEST_F(CacheFixture, PullsOnceThenServesFromTheCacheAndFollowsAMovedTag) {
  const Bytes v1 = actor("v1");
  const std::string ref = push("cache/echo:1", v1);
  ArtifactCache cache(client, {.dir = cache_dir});
  auto first = cache.fetch(ref);
  ASSERT_TRUE(first) << first.error().toString();
  EXPECT_EQ(first->source, FetchSource::kRegistry);
  EXPECT_EQ(first->kind, ArtifactKind::kActor);
  EXPECT_EQ(*readFileBytes(first->path), v1);
  EXPECT_EQ(first->layer_digest, sha256Digest(v1));

  auto second = cache.fetch(ref);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->source, FetchSource::kCache);
  EXPECT_EQ(second->path, first->path);

  const Bytes v2 = actor("v2");
  push("cache/echo:1", v2);  // the tag now names other content
  auto moved = cache.fetch(ref);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->source, FetchSource::kRegistry);
  EXPECT_NE(moved->manifest_digest, first->manifest_digest);
  EXPECT_EQ(*readFileBytes(moved->path), v2);
}

TEST_F(CacheFixture, StartsFromTheCacheWhenTheRegistryIsDown) {
  const Bytes v1 = actor("offline");
  const std::string ref = push("cache/offline:1", v1);
  const std::string never = push("cache/never:1", actor("never"));
  ArtifactCache cache(client, {.dir = cache_dir});
  auto online = cache.fetch(ref);
  ASSERT_TRUE(online);

  registry->process().stop();
  auto offline = cache.fetch(ref);
  ASSERT_TRUE(offline) << offline.error().toString();
  EXPECT_EQ(offline->source, FetchSource::kOfflineCache);
  EXPECT_EQ(offline->manifest_digest, online->manifest_digest);
  EXPECT_EQ(*readFileBytes(offline->path), v1);
  // By digest nothing needs the registry.
  auto pinned = cache.fetch(registry->host() + "/cache/offline@" + online->manifest_digest);
  ASSERT_TRUE(pinned) << pinned.error().toString();
  EXPECT_EQ(pinned->source, FetchSource::kCache);

  auto missing = cache.fetch(never);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(missing.error().message.find("the cache has no copy of " + never), std::string::npos)
      << missing.error().message;
  ASSERT_TRUE(registry->process().restart());
  EXPECT_TRUE(cache.fetch(never));
}

TEST_F(CacheFixture, ATlsOrPolicyFailureNeverFallsBackToTheCache) {
  const std::string ref = push("cache/tls:1", actor("tls"));
  ASSERT_TRUE(ArtifactCache(client, {.dir = cache_dir}).fetch(ref));
  // The same cache through a client that speaks HTTPS to this plain-HTTP registry: reached, but not trusted.
  ClientOptions strict;
  strict.auth.credentials_file = stratus::testing::noCredentials(registry->dir());
  ArtifactCache over_tls(std::make_shared<RegistryClient>(strict), {.dir = cache_dir});
  auto refused = over_tls.fetch(ref);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("TLS failed"), std::string::npos) << refused.error().message;
}

TEST_F(CacheFixture, ADamagedCacheFileIsPulledAgain) {
  const Bytes v1 = actor("damaged");
  const std::string ref = push("cache/damaged:1", v1);
  ArtifactCache cache(client, {.dir = cache_dir});
  auto first = cache.fetch(ref);
  ASSERT_TRUE(first);
  std::ofstream(first->path, std::ios::binary | std::ios::trunc) << "tampered";
  auto again = cache.fetch(ref);
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_EQ(again->source, FetchSource::kRegistry);
  EXPECT_EQ(*readFileBytes(again->path), v1);

  // Damaged while the registry is down: refused, never served.
  std::ofstream(first->path, std::ios::binary | std::ios::trunc) << "tampered";
  registry->process().stop();
  auto offline = cache.fetch(ref);
  ASSERT_FALSE(offline);
  EXPECT_EQ(offline.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(offline.error().message.find("the cache lacks the layer " + first->layer_digest), std::string::npos)
      << offline.error().message;
}

TEST_F(CacheFixture, EvictsTheLeastRecentlyUsedBlobsBeyondItsBound) {
  const Bytes a = actor("a"), b = actor("b"), c = actor("c");
  const std::string ra = push("lru/a:1", a), rb = push("lru/b:1", b), rc = push("lru/c:1", c);
  // Room for about two artifacts (layer + manifest each).
  ArtifactCache cache(client, {.dir = cache_dir, .max_bytes = a.size() + b.size() + 2000});
  auto fa = cache.fetch(ra);
  ASSERT_TRUE(fa);
  std::filesystem::last_write_time(fa->path, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  auto fb = cache.fetch(rb);
  ASSERT_TRUE(fb);
  auto fc = cache.fetch(rc);
  ASSERT_TRUE(fc);
  EXPECT_FALSE(std::filesystem::exists(fa->path));  // the oldest layer went
  EXPECT_TRUE(std::filesystem::exists(fb->path));
  EXPECT_TRUE(std::filesystem::exists(fc->path));
  EXPECT_LE(cache.size(), a.size() + b.size() + 2000);
  auto again = cache.fetch(ra);  // and comes back from the registry
  ASSERT_TRUE(again);
  EXPECT_EQ(again->source, FetchSource::kRegistry);
}

}  // namespace
}  // namespace stratus::oci
