// The content-addressed cache of artifacts pulled from registries, with tag resolution, offline fallback and
// least-recently-used eviction.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <unordered_set>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "stratus/common/files.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/oci/oci.h"

namespace stratus::oci {
namespace fs = std::filesystem;

std::string defaultCacheDir() { return stratus::defaultCacheDir("oci"); }

struct ArtifactCache::Impl {
  std::shared_ptr<RegistryClient> client;
  CacheOptions options;
  Mutex evict_mu;

  fs::path blobDir() const { return fs::path(options.dir) / "blobs" / "sha256"; }
  fs::path blobPath(const std::string& digest) const {
    return blobDir() / digest.substr(std::string_view("sha256:").size());
  }
  fs::path refPath(const Reference& ref) const {
    return fs::path(options.dir) / "refs" / ref.registry / ref.repository / ref.tag;
  }

  // The cached blob's bytes when it is there and intact; a damaged one is removed (it will be pulled again).
  std::optional<Bytes> readBlob(const std::string& digest) const {
    const fs::path path = blobPath(digest);
    auto bytes = readFileBytes(path);
    if (!bytes) return std::nullopt;
    if (auto ok = verifyDigest(*bytes, digest, path.string()); !ok) {
      spdlog::warn("oci cache: {}; removed", ok.error().message);
      std::error_code ec;
      fs::remove(path, ec);
      return std::nullopt;
    }
    std::error_code ec;
    fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // recently used
    return std::move(*bytes);
  }

  Expected<void> storeBlob(const std::string& digest, std::span<const uint8_t> bytes) const {
    return writeFileAtomically(blobPath(digest), bytes);
  }

  std::optional<std::string> lastDigest(const Reference& ref) const {
    if (ref.tag.empty()) return std::nullopt;
    auto bytes = readFileBytes(refPath(ref));
    if (!bytes) return std::nullopt;
    std::string digest(bytes->begin(), bytes->end());
    if (!isSha256Digest(digest)) return std::nullopt;
    return digest;
  }

  uint64_t evictExcept(const std::unordered_set<std::string>& keep) {
    MutexLock lock(evict_mu);
    struct Entry {
      fs::path path;
      uint64_t size;
      fs::file_time_type used;
    };
    std::vector<Entry> entries;
    uint64_t total = 0;
    std::error_code ec;
    for (fs::directory_iterator it(blobDir(), ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const uint64_t size = it->file_size(ec);
      total += size;
      if (keep.contains("sha256:" + it->path().filename().string())) continue;
      entries.push_back({it->path(), size, it->last_write_time(ec)});
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
    uint64_t removed = 0;
    for (const auto& e : entries) {
      if (total <= options.max_bytes) break;
      if (fs::remove(e.path, ec)) {
        total -= e.size;
        removed += e.size;
      }
    }
    return removed;
  }
};

ArtifactCache::ArtifactCache(std::shared_ptr<RegistryClient> client, CacheOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->client = std::move(client);
  impl_->options = std::move(options);
  if (impl_->options.dir.empty()) impl_->options.dir = defaultCacheDir();
}
ArtifactCache::~ArtifactCache() = default;

RegistryClient& ArtifactCache::client() { return *impl_->client; }
const std::string& ArtifactCache::dir() const { return impl_->options.dir; }

Expected<FetchedArtifact> ArtifactCache::fetch(const std::string& text) {
  auto ref = Reference::parse(text);
  if (!ref) return fail(ref.takeError());
  RegistryClient& client = *impl_->client;
  if (auto ok = client.checkPolicy(*ref); !ok) return fail(ok.takeError());

  FetchedArtifact out;
  out.reference = *ref;
  out.source = FetchSource::kCache;
  Error registry_error;
  auto digest = client.resolveDigest(*ref);
  if (digest) {
    out.manifest_digest = *digest;
  } else if (digest.error().code == ErrorCode::kUnavailable || digest.error().code == ErrorCode::kDeadlineExceeded) {
    registry_error = digest.takeError();
    auto last = impl_->lastDigest(*ref);
    if (!last) {
      return fail(ErrorCode::kUnavailable, registry_error.message + "; the cache has no copy of " + ref->str());
    }
    out.manifest_digest = *last;
    out.source = FetchSource::kOfflineCache;
  } else {
    return fail(digest.takeError());
  }
  const bool offline = out.source == FetchSource::kOfflineCache;
  auto offlineMiss = [&](const std::string& what) {
    return fail(ErrorCode::kUnavailable,
                registry_error.message + "; the cache lacks the " + what + " of " + ref->str());
  };

  Manifest manifest;
  if (auto cached = impl_->readBlob(out.manifest_digest)) {
    auto parsed = parseManifest(std::string(cached->begin(), cached->end()), out.manifest_digest, ref->str());
    if (!parsed) return fail(parsed.takeError());
    manifest = std::move(*parsed);
  } else {
    if (offline) return offlineMiss("manifest " + out.manifest_digest);
    Reference by_digest = *ref;
    by_digest.digest = out.manifest_digest;
    auto fetched = client.getManifest(by_digest);
    if (!fetched) return fail(fetched.takeError());
    manifest = std::move(*fetched);
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(manifest.bytes.data()),
                                         manifest.bytes.size());
    if (auto ok = impl_->storeBlob(manifest.digest, bytes); !ok) return fail(ok.takeError());
    out.source = FetchSource::kRegistry;
  }

  auto layer = selectArtifactLayer(manifest, ref->str());
  if (!layer) return fail(layer.takeError());
  out.layer_digest = layer->digest;
  std::optional<Bytes> bytes = impl_->readBlob(layer->digest);
  if (!bytes) {
    if (offline) return offlineMiss("layer " + layer->digest);
    auto pulled = client.getBlob(*ref, *layer);
    if (!pulled) return fail(pulled.takeError());
    if (auto ok = impl_->storeBlob(layer->digest, *pulled); !ok) return fail(ok.takeError());
    bytes = std::move(*pulled);
    out.source = FetchSource::kRegistry;
  }
  auto kind = checkLayerContent(*layer, *bytes, ref->str());
  if (!kind) return fail(kind.takeError());
  out.kind = *kind;
  out.path = impl_->blobPath(layer->digest).string();

  if (offline) {
    spdlog::warn("{}: registry unreachable ({}); starting from the cached {}", ref->str(), registry_error.message,
                 out.manifest_digest);
  } else if (ref->digest.empty() && impl_->lastDigest(*ref) != out.manifest_digest) {  // the tag moved, or is new
    const std::string& d = out.manifest_digest;
    if (auto ok = writeFileAtomically(impl_->refPath(*ref), {reinterpret_cast<const uint8_t*>(d.data()), d.size()});
        !ok) {
      return fail(ok.takeError());
    }
  }
  impl_->evictExcept({out.manifest_digest, out.layer_digest});
  return out;
}

uint64_t ArtifactCache::evict() { return impl_->evictExcept({}); }

uint64_t ArtifactCache::size() const {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(impl_->blobDir(), ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

}  // namespace stratus::oci
