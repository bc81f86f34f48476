// The aot engine's on-disk compile cache: entries written and found again, and every kind of damaged or stale
// entry recognised (then removed, so the engine rebuilds it).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>

#include "engine/aot/disk_cache.h"
#include "engine/aot/toolchain.h"
#include "stratus/common/files.h"
#include "stratus/engine/aot.h"
#include "support/wat.h"

namespace stratus::engine {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "stratus-aot-cache-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

aot::CacheIdentity identity() {
  return {std::string(64, 'a'), "9.9.9", 7, "cc (Test 1.0)"};
}

Bytes library() {
  Bytes b(4096);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 31);
  return b;
}

class DiskCacheTest : public ::testing::Test {
 protected:
  TempDir dir_;
  aot::DiskCache cache_{dir_.path()};

  fs::path stored() {
    auto path = cache_.store(identity(), "test module", library());
    EXPECT_TRUE(path) << path.error().toString();
    return path ? fs::path(*path) : fs::path();
  }

  void rewrite(const fs::path& path, const std::function<void(Bytes&)>& edit) {
    auto bytes = readFileBytes(path);
    ASSERT_TRUE(bytes);
    edit(*bytes);
    ASSERT_TRUE(writeFileAtomically(path, *bytes));
  }

  // The entry is refused with a problem containing `why`, and removed.
  void expectRejected(const std::string& why, const aot::CacheIdentity& id = identity()) {
    aot::CacheLookup found = cache_.load(id);
    EXPECT_FALSE(found.library);
    EXPECT_NE(found.problem.find(why), std::string::npos) << found.problem;
    EXPECT_NE(found.problem.find(cache_.entryPath(id.key).string()), std::string::npos) << found.problem;
    EXPECT_FALSE(fs::exists(cache_.entryPath(id.key)));
  }
};

TEST_F(DiskCacheTest, MissingEntryIsNoProblem) {
  aot::CacheLookup found = cache_.load(identity());
  EXPECT_FALSE(found.library);
  EXPECT_EQ(found.problem, "");
}

TEST_F(DiskCacheTest, StoredEntryLoadsBack) {
  const fs::path path = stored();
  EXPECT_EQ(path, cache_.entryPath(identity().key));
  EXPECT_EQ(path.parent_path().filename(), "aa");
  aot::CacheLookup found = cache_.load(identity());
  ASSERT_TRUE(found.library) << found.problem;
  EXPECT_EQ(*found.library, library());
}

TEST_F(DiskCacheTest, FlippedLibraryByteIsCorrupt) {
  const fs::path path = stored();
  rewrite(path, [](Bytes& b) { b[b.size() - 100] ^= 0x40; });
  expectRejected("SHA-256 does not match");
}

TEST_F(DiskCacheTest, TruncatedEntryIsCorrupt) {
  const fs::path path = stored();
  rewrite(path, [](Bytes& b) { b.resize(b.size() - 1000); });
  expectRejected("truncated");
}

TEST_F(DiskCacheTest, GarbageIsNotAnEntry) {
  const fs::path path = stored();
  rewrite(path, [](Bytes& b) { b.assign(300, 'x'); });
  expectRejected("no header");
  stored();
  rewrite(path, [](Bytes& b) { b[0] = 'S'; });
  expectRejected("not a stratus aot cache entry");
}

TEST_F(DiskCacheTest, EntryOfAnotherStratusVersionIsStale) {
  stored();
  auto newer = identity();
  newer.stratus_version = "10.0.0";
  expectRejected("stale: built by stratus 9.9.9, this is 10.0.0", newer);
}

TEST_F(DiskCacheTest, EntryOfAnotherCompilerOrAbiIsStale) {
  stored();
  auto other = identity();
  other.compiler = "cc (Test 2.0)";
  expectRejected("stale: built by compiler 'cc (Test 1.0)'", other);
  stored();
  other = identity();
  other.abi_version = 8;
  expectRejected("stale: built for engine ABI 7", other);
}

TEST_F(DiskCacheTest, EntryUnderTheWrongNameIsRefused) {
  const fs::path path = stored();
  auto other = identity();
  other.key = std::string(64, 'b');
  fs::create_directories(cache_.entryPath(other.key).parent_path());
  fs::copy_file(path, cache_.entryPath(other.key));
  expectRejected("belongs to key " + identity().key, other);
}

aot::CacheIdentity identityWithKey(char c) {
  auto id = identity();
  id.key = std::string(64, c);
  return id;
}

void setAge(const fs::path& path, std::chrono::hours age) {
  fs::last_write_time(path, fs::file_time_type::clock::now() - age);
}

TEST_F(DiskCacheTest, StoreKeepsTheCacheWithinItsLimitDroppingTheLeastRecentlyUsed) {
  // Every entry has the same size: room for two of them.
  auto first = cache_.store(identityWithKey('a'), "m", library());
  ASSERT_TRUE(first);
  const uint64_t entry_bytes = fs::file_size(*first);
  aot::DiskCache limited(dir_.path(), 2 * entry_bytes + entry_bytes / 2);
  ASSERT_TRUE(limited.store(identityWithKey('b'), "m", library()));
  setAge(limited.entryPath(identityWithKey('a').key), std::chrono::hours(3));
  setAge(limited.entryPath(identityWithKey('b').key), std::chrono::hours(2));
  // Loading marks 'a' as used now, so 'b' is now the least recently used.
  ASSERT_TRUE(limited.load(identityWithKey('a')).library);
  ASSERT_TRUE(limited.store(identityWithKey('c'), "m", library()));
  EXPECT_TRUE(fs::exists(limited.entryPath(identityWithKey('a').key)));
  EXPECT_FALSE(fs::exists(limited.entryPath(identityWithKey('b').key)));
  EXPECT_TRUE(fs::exists(limited.entryPath(identityWithKey('c').key)));
  const aot::CacheUsage usage = limited.prune(0);
  EXPECT_EQ(usage.entries, 2u);
  EXPECT_EQ(usage.bytes, 2 * entry_bytes);
  EXPECT_EQ(usage.removed, 0u);
}

TEST_F(DiskCacheTest, PruneNeverRemovesTheEntryJustStoredAndClearsAbandonedTemporaryFiles) {
  const fs::path kept = stored();
  // A limit below one entry: everything else goes, the entry being kept stays.
  ASSERT_TRUE(cache_.store(identityWithKey('b'), "m", library()));
  const fs::path old_tmp = kept.string() + ".tmp123.456";
  const fs::path fresh_tmp = kept.string() + ".tmp789.1";
  ASSERT_TRUE(writeFileAtomically(old_tmp, library()));
  ASSERT_TRUE(writeFileAtomically(fresh_tmp, library()));
  setAge(old_tmp, std::chrono::hours(2));
  const aot::CacheUsage usage = cache_.prune(1, identity().key);
  EXPECT_TRUE(fs::exists(kept));
  EXPECT_FALSE(fs::exists(cache_.entryPath(identityWithKey('b').key)));
  EXPECT_FALSE(fs::exists(old_tmp));
  EXPECT_TRUE(fs::exists(fresh_tmp));  // may belong to a writer at work
  EXPECT_EQ(usage.entries, 1u);
  EXPECT_EQ(usage.removed, 2u);
  EXPECT_EQ(usage.bytes, fs::file_size(kept));
}

// The engine: code goes to the cache on compile and is found there without the compiler.
class AotCacheEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!aot::defaultCompilerAvailable()) GTEST_SKIP() << "no C compiler: the aot engine is not offered";
  }

  // A module no other test (or earlier run) compiled: its code is in no cache yet.
  static Bytes freshModule() {
    std::random_device rd;
    const uint32_t tag = rd();
    return stratus::testing::wat2wasm("(module (func (export \"tag\") (result i32) i32.const " +
                                      std::to_string(tag) + "))");
  }

  TempDir dir_;
};

TEST_F(AotCacheEngineTest, CompileStoresAnEntryThatCompileIfCachedFinds) {
  auto engine = createAotEngine({.cache_dir = dir_.path()});
  ASSERT_TRUE(engine) << engine.error().toString();
  EXPECT_EQ((*engine)->cacheDir(), dir_.path());
  const Bytes wasm = freshModule();

  auto before = (*engine)->compileIfCached(wasm, {.name = "fresh.wasm"});
  ASSERT_TRUE(before) << before.error().toString();
  EXPECT_EQ(*before, nullptr) << "nothing compiled yet, the compiler must not run";

  auto path = (*engine)->cacheEntryPath(wasm);
  ASSERT_TRUE(path) << path.error().toString();
  EXPECT_EQ(path->rfind(dir_.path(), 0), 0u) << *path;
  EXPECT_FALSE(fs::exists(*path));

  auto module = (*engine)->compile(wasm, {.name = "fresh.wasm"});
  ASSERT_TRUE(module) << module.error().toString();
  EXPECT_TRUE(fs::exists(*path));

  auto after = (*engine)->compileIfCached(wasm, {.name = "fresh.wasm"});
  ASSERT_TRUE(after) << after.error().toString();
  ASSERT_NE(*after, nullptr);
  auto instance = (*after)->instantiate({}, {}, nullptr);
  ASSERT_TRUE(instance) << instance.error().toString();
  Value result;
  ASSERT_TRUE((*instance)->call("tag", {}, std::span<Value>(&result, 1)));
}

TEST_F(AotCacheEngineTest, KeyCoversTheOptimisationFlags) {
  auto o2 = createAotEngine({.cache_dir = dir_.path()});
  auto o1 = createAotEngine({.optimization = "-O1", .cache_dir = dir_.path()});
  ASSERT_TRUE(o2 && o1);
  const Bytes wasm = freshModule();
  EXPECT_NE(*(*o2)->cacheEntryPath(wasm), *(*o1)->cacheEntryPath(wasm));
}

TEST_F(AotCacheEngineTest, DiskCacheCanBeTurnedOff) {
  auto engine = createAotEngine({.disk_cache = false, .cache_dir = dir_.path()});
  ASSERT_TRUE(engine) << engine.error().toString();
  EXPECT_EQ((*engine)->cacheDir(), "");
  const Bytes wasm = freshModule();
  EXPECT_EQ(*(*engine)->cacheEntryPath(wasm), "");
  ASSERT_TRUE((*engine)->compile(wasm, {.name = "fresh.wasm"}));
  EXPECT_TRUE(fs::is_empty(dir_.path()));
}

TEST_F(AotCacheEngineTest, InvalidModuleIsAnErrorNotAMiss) {
  auto engine = createAotEngine({.cache_dir = dir_.path()});
  ASSERT_TRUE(engine);
  const Bytes garbage = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05};
  auto found = (*engine)->compileIfCached(garbage, {.name = "bad.wasm"});
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().code, ErrorCode::kMalformed);
  EXPECT_NE(found.error().message.find("bad.wasm"), std::string::npos);
}

}  // namespace
}  // namespace stratus::engine
