// wasmcloud:blobstore on S3 and S3-compatible servers (MinIO, s3rver, ...), over libcurl with our own SigV4 signer:
// containers are buckets, objects are keys.
//
// Link values (per actor; the names of wasmCloud's 0.18 S3 provider are accepted):
//   ENDPOINT               scheme://host[:port] (default https://s3.<REGION>.amazonaws.com; without a scheme,
//                          https)
//   REGION                 signing region (default us-east-1)
//   AWS_ACCESS_KEY, AWS_SECRET_ACCESS_KEY, AWS_TOKEN   credentials (also AWS_ACCESS_KEY_ID and AWS_SESSION_TOKEN;
//                          when absent, the environment's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
//                          AWS_SESSION_TOKEN). TOKEN_VALID_FOR is accepted and ignored.
//   PATH_STYLE             true: http://host/bucket/key (MinIO, s3rver); false: http://bucket.host/key. Default:
//                          true with an explicit ENDPOINT (rusoto, under 0.18's provider, addressed custom endpoints
//                          so), false for AWS.
//   HTTP_PROXY             a proxy URL for all requests (default none; the environment's proxies are not used)
//   TIMEOUT_MS             per S3 request (default 30000)
//   MAX_OBJECT_BYTES       largest object an upload may announce (default 64 MiB: uploads are assembled in memory)
//   MAX_CHUNK_BYTES        largest upload chunk and download chunkSize (default 16 MiB)
//   MULTIPART_BYTES        objects larger than this go up as a multipart upload (default 16 MiB)
//   PART_BYTES             part size of multipart uploads (default 8 MiB, at least 5 MiB as S3 requires)
//
// Upload: StartUpload(FileChunk: container, id, totalBytes, chunkSize, optionally the first chunk's bytes), then
// UploadChunk per chunk; chunks are held in memory, ordered by sequence number (any start, any arrival order, a
// repeated number refused), and the object is written when totalBytes have arrived — one PutObject, or a
// multipart upload beyond MULTIPART_BYTES — so readers never see a partial object. (0.18 buffered the same way and
// then issued one PutObject.)
// Download: StartDownload checks the object (HeadObject) and answers at once; a provider thread then fetches each
// chunk with a ranged GetObject (If-Match on the ETag, so a changed object stops the download instead of mixing
// versions) and calls the actor's ReceiveChunk, numbered from 0 (0.18's S3 provider counted from 1; its fs
// provider from 0 — both providers here count as the fs one did), in order; one empty chunk for an empty object.
// Semantics match the filesystem provider: errors name the missing bucket or object; GetObjectInfo of a missing
// object answers 0.18's Blob {id: "none", container: {id: "none"}}; RemoveObject of a missing object is an error
// (S3 itself would answer 204); CreateContainer of an existing bucket we can use succeeds.
#include <curl/curl.h>

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/actor_map.h"
#include "common/blob_transfers.h"
#include "common/link_values.h"
#include "s3_client.h"
#include "stratus/codec/blobstore.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/provider.hpp"

namespace stratus::providers::s3 {
namespace {

constexpr uint64_t kDefaultMaxObjectBytes = uint64_t{64} << 20;
constexpr uint64_t kMaxObjectCeiling = uint64_t{5} << 30;  // a single PutObject's limit
constexpr uint64_t kDefaultMaxChunkBytes = uint64_t{16} << 20;
constexpr uint64_t kChunkBytesCeiling = uint64_t{1} << 30;
constexpr uint64_t kDefaultDownloadChunk = uint64_t{1} << 20;
constexpr uint64_t kDefaultMultipartBytes = uint64_t{16} << 20;
constexpr uint64_t kDefaultPartBytes = uint64_t{8} << 20;
constexpr uint64_t kMinPartBytes = uint64_t{5} << 20;
constexpr uint64_t kMaxKeyBytes = 1024;
constexpr size_t kMaxChunksPerUpload = 65536;
constexpr size_t kMaxDownloads = 32;
constexpr std::string_view kWho = "S3 blobstore";

// The first of `names` present in the link values, else the environment variable `env`, else "".
std::string firstValue(const std::map<std::string, std::string>& values, std::initializer_list<const char*> names,
                       const char* env) {
  for (const char* n : names) {
    if (auto it = values.find(n); it != values.end() && !it->second.empty()) return it->second;
  }
  const char* e = env ? std::getenv(env) : nullptr;
  return e ? e : "";
}

Expected<bool> boolValue(const std::map<std::string, std::string>& values, const std::string& name, bool fallback) {
  auto it = values.find(name);
  if (it == values.end()) return fallback;
  std::string v = it->second;
  for (char& c : v) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return fail(ErrorCode::kInvalidArgument,
              "S3 blobstore: link value " + name + "='" + it->second + "' must be true or false");
}

std::string containerLabel(const std::string& container) {
  std::string out = "container '";
  out.append(container).append("'");
  return out;
}

Expected<void> checkContainer(const std::string& container) {
  if (container.empty()) return fail(ErrorCode::kInvalidArgument, "the container name is empty");
  if (!isValidBucketName(container)) {
    return fail(ErrorCode::kInvalidArgument, containerLabel(container) +
                                                 " is not a valid S3 bucket name (3-63 characters: lowercase letters, "
                                                 "digits, '.' and '-', starting and ending with a letter or digit)");
  }
  return ok();
}

Expected<void> checkObject(const std::string& container, const std::string& object) {
  STRATUS_TRY(checkContainer(container));
  if (object.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the object name is empty (" + containerLabel(container) + ")");
  }
  if (object.size() > kMaxKeyBytes) {
    return fail(ErrorCode::kInvalidArgument, "an object name in " + containerLabel(container) +
                                                 " is longer than S3's " + std::to_string(kMaxKeyBytes) + " bytes");
  }
  if (object.find('\0') != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, objectLabel(container, object) + ": the name contains a NUL byte");
  }
  return ok();
}

struct ActorConfig {
  std::shared_ptr<S3Client> client;
  BlobLimits limits;
  uint64_t multipart_bytes = kDefaultMultipartBytes;
  uint64_t part_bytes = kDefaultPartBytes;
};

/// One object being uploaded: its chunks in memory, by sequence number. Thread-safe.
class Upload {
 public:
  Upload(std::string container, std::string object, uint64_t total)
      : container_(std::move(container)), object_(std::move(object)), total_(total) {}

  const std::string& container() const { return container_; }

  /// Adds a chunk; returns the whole object (in sequence order) when this chunk completed it, else std::nullopt.
  /// An empty chunk is ignored. kAlreadyExists for a repeated sequence number, kInvalidArgument past totalBytes.
  Expected<std::optional<Bytes>> add(uint64_t sequence_no, const Bytes& bytes) STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    const std::string what = objectLabel(container_, object_);
    if (done_) return fail(ErrorCode::kUnavailable, "the upload of " + what + " is no longer in progress");
    if (chunks_.count(sequence_no)) {
      return fail(ErrorCode::kAlreadyExists, "chunk " + std::to_string(sequence_no) + " of " + what + " arrived twice");
    }
    if (bytes.empty()) return std::optional<Bytes>();
    if (chunks_.size() >= kMaxChunksPerUpload) {
      return fail(ErrorCode::kResourceExhausted, what + ": more than " + std::to_string(kMaxChunksPerUpload) +
                                                     " chunks in one upload; send larger chunks");
    }
    if (bytes.size() > total_ - received_) {
      return fail(ErrorCode::kInvalidArgument, "chunk " + std::to_string(sequence_no) + " of " + what + " (" +
                                                   std::to_string(bytes.size()) + " bytes) would make " +
                                                   std::to_string(received_ + bytes.size()) +
                                                   " bytes, more than its totalBytes " + std::to_string(total_));
    }
    chunks_.emplace(sequence_no, bytes);
    received_ += bytes.size();
    if (received_ < total_) return std::optional<Bytes>();
    return std::optional<Bytes>(assemble());
  }

  /// The (empty) object when totalBytes is 0, else std::nullopt.
  std::optional<Bytes> finishIfEmpty() STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    if (done_ || total_ != 0) return std::nullopt;
    done_ = true;
    return Bytes{};
  }

  void abort() STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    done_ = true;
    chunks_.clear();
  }

 private:
  Bytes assemble() STRATUS_REQUIRES(mu_) {
    done_ = true;
    Bytes out;
    out.reserve(static_cast<size_t>(total_));
    for (auto& [seq, bytes] : chunks_) out.insert(out.end(), bytes.begin(), bytes.end());
    chunks_.clear();
    return out;
  }

  Mutex mu_;
  std::string container_, object_;
  uint64_t total_;
  uint64_t received_ STRATUS_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, Bytes> chunks_ STRATUS_GUARDED_BY(mu_);
  bool done_ STRATUS_GUARDED_BY(mu_) = false;
};

class S3Provider final : public provider::CapabilityProvider {
 public:
  S3Provider() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  std::string_view capabilityId() const override { return codec::kBlobstoreContract; }
  std::string_view name() const override { return "stratus S3 blobstore (libcurl, SigV4)"; }

  Expected<void> bindActor(std::string_view actor, const std::map<std::string, std::string>& values) override {
    S3Config s3;
    s3.region = firstValue(values, {"REGION"}, nullptr);
    if (s3.region.empty()) s3.region = "us-east-1";
    const std::string endpoint = firstValue(values, {"ENDPOINT"}, nullptr);
    s3.endpoint = endpoint.empty() ? "https://s3." + s3.region + ".amazonaws.com" : endpoint;
    auto path_style = boolValue(values, "PATH_STYLE", !endpoint.empty());
    if (!path_style) return fail(path_style.takeError());
    s3.path_style = *path_style;
    s3.credentials.access_key_id = firstValue(values, {"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID"}, "AWS_ACCESS_KEY_ID");
    s3.credentials.secret_access_key = firstValue(values, {"AWS_SECRET_ACCESS_KEY"}, "AWS_SECRET_ACCESS_KEY");
    s3.credentials.session_token = firstValue(values, {"AWS_TOKEN", "AWS_SESSION_TOKEN"}, "AWS_SESSION_TOKEN");
    if (s3.credentials.access_key_id.empty() || s3.credentials.secret_access_key.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "S3 blobstore: no credentials: set the link values AWS_ACCESS_KEY and AWS_SECRET_ACCESS_KEY (or "
                  "the environment's AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
    }
    if (auto it = values.find("HTTP_PROXY"); it != values.end()) s3.proxy = it->second;
    auto timeout = linkNumber(values, "TIMEOUT_MS", 30'000, 1, 3'600'000, kWho);
    if (!timeout) return fail(timeout.takeError());
    s3.timeout_ms = static_cast<long>(*timeout);

    ActorConfig config;
    auto max_object = linkNumber(values, "MAX_OBJECT_BYTES", kDefaultMaxObjectBytes, 1, kMaxObjectCeiling, kWho);
    if (!max_object) return fail(max_object.takeError());
    auto max_chunk = linkNumber(values, "MAX_CHUNK_BYTES", kDefaultMaxChunkBytes, 1, kChunkBytesCeiling, kWho);
    if (!max_chunk) return fail(max_chunk.takeError());
    auto multipart = linkNumber(values, "MULTIPART_BYTES", kDefaultMultipartBytes, 1, kMaxObjectCeiling, kWho);
    if (!multipart) return fail(multipart.takeError());
    auto part = linkNumber(values, "PART_BYTES", kDefaultPartBytes, kMinPartBytes, kMaxObjectCeiling, kWho);
    if (!part) return fail(part.takeError());
    config.limits = {*max_object, *max_chunk};
    config.multipart_bytes = *multipart;
    config.part_bytes = *part;
    auto client = S3Client::create(std::move(s3));
    if (!client) return fail(client.takeError());
    config.client = std::move(*client);

    std::string line = "S3 blobstore: actor ";
    line.append(actor).append(" uses ").append(config.client->config().endpoint);
    line.append(config.client->config().path_style ? " (path-style, region " : " (virtual-hosted, region ");
    line.append(config.client->config().region).append(")");
    configs_.put(actor, std::make_shared<ActorConfig>(std::move(config)));
    dispatcher().log(STRATUS_LOG_INFO, line);
    return ok();
  }

  Expected<void> removeActor(std::string_view actor) override {
    downloads_.cancel(actor);
    uploads_.abortActor(actor);
    configs_.remove(actor);
    return ok();
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view op, std::span<const uint8_t> msg) override {
    std::shared_ptr<ActorConfig> config = configs_.find(actor);
    if (!config) return fail(notLinked("S3 blobstore " + std::string(op), actor));
    auto r = dispatch(std::string(actor), config, op, msg);
    if (!r) return opError(op, r.takeError());
    return r;
  }

  void stop() override {
    downloads_.stopAll();
    uploads_.abortAll();
    configs_.clear();
  }

 private:
  Expected<Bytes> dispatch(const std::string& actor, const std::shared_ptr<ActorConfig>& config, std::string_view op,
                           std::span<const uint8_t> msg) {
    S3Client& s3 = *config->client;
    if (op == codec::kOpCreateContainer) {
      auto c = codec::decodeContainer(msg);
      if (!c) return fail(c.takeError());
      STRATUS_TRY(checkContainer(c->id));
      STRATUS_TRY(s3.createBucket(c->id));
      return codec::encode(codec::Container{c->id});
    }
    if (op == codec::kOpRemoveContainer) {
      auto c = codec::decodeContainer(msg);
      if (!c) return fail(c.takeError());
      STRATUS_TRY(checkContainer(c->id));
      uploads_.abortIf([&](std::string_view owner, const Upload& u, const std::string&) {
        return owner == actor && u.container() == c->id;
      });
      auto removed = s3.deleteBucket(c->id);
      if (!removed) return fail(explain(removed.takeError(), containerLabel(c->id)));
      return codec::encode(codec::BlobstoreResult{});
    }
    if (op == codec::kOpListObjects) {
      auto c = codec::decodeContainer(msg);
      if (!c) return fail(c.takeError());
      STRATUS_TRY(checkContainer(c->id));
      auto listed = s3.listObjects(c->id);
      if (!listed) return fail(explain(listed.takeError(), containerLabel(c->id)));
      codec::BlobList list;
      for (auto& o : *listed) list.blobs.push_back(codec::Blob{std::move(o.key), codec::Container{c->id}, o.size});
      return codec::encode(list);
    }
    if (op == codec::kOpRemoveObject) {
      auto b = codec::decodeBlob(msg);
      if (!b) return fail(b.takeError());
      STRATUS_TRY(checkObject(b->container.id, b->id));
      auto info = s3.headObject(b->container.id, b->id);
      if (!info) return fail(info.takeError());
      if (!*info) return fail(missing(s3, b->container.id, b->id));
      STRATUS_TRY(s3.deleteObject(b->container.id, b->id));
      return codec::encode(codec::BlobstoreResult{});
    }
    if (op == codec::kOpGetObjectInfo) {
      auto b = codec::decodeBlob(msg);
      if (!b) return fail(b.takeError());
      STRATUS_TRY(checkObject(b->container.id, b->id));
      auto info = s3.headObject(b->container.id, b->id);
      if (!info) return fail(info.takeError());
      if (!*info) return codec::encode(codec::Blob{"none", codec::Container{"none"}, 0});
      return codec::encode(codec::Blob{b->id, codec::Container{b->container.id}, (*info)->size});
    }
    if (op == codec::kOpStartUpload) {
      auto chunk = codec::decodeFileChunk(msg);
      if (!chunk) return fail(chunk.takeError());
      STRATUS_TRY(startUpload(actor, *config, *chunk));
      return codec::encode(codec::BlobstoreResult{});
    }
    if (op == codec::kOpUploadChunk) {
      auto chunk = codec::decodeFileChunk(msg);
      if (!chunk) return fail(chunk.takeError());
      STRATUS_TRY(uploadChunk(actor, *config, *chunk));
      return codec::encode(codec::BlobstoreResult{});
    }
    if (op == codec::kOpStartDownload) {
      auto request = codec::decodeStreamRequest(msg);
      if (!request) return fail(request.takeError());
      STRATUS_TRY(startDownload(actor, config, *request));
      return codec::encode(codec::BlobstoreResult{});
    }
    return fail(ErrorCode::kNotFound,
                "unknown operation; wasmcloud:blobstore has CreateContainer, RemoveContainer, ListObjects, "
                "RemoveObject, GetObjectInfo, StartUpload, UploadChunk and StartDownload");
  }

  // S3's NoSuchBucket says "The specified bucket does not exist"; lead with our container's name.
  static Error explain(Error e, const std::string& what) {
    if (e.code == ErrorCode::kNotFound) {
      e.message = what + " does not exist (" + e.message + ")";
    } else if (e.code == ErrorCode::kAlreadyExists && e.message.find("BucketNotEmpty") != std::string::npos) {
      e.message = what + " is not empty: remove its objects first (" + e.message + ")";
    }
    return e;
  }

  // The error for an object HeadObject did not find: says whether the bucket or the key is missing.
  static Error missing(S3Client& s3, const std::string& container, const std::string& object) {
    auto exists = s3.bucketExists(container);
    if (exists && !*exists) return Error{ErrorCode::kNotFound, containerLabel(container) + " does not exist"};
    return Error{ErrorCode::kNotFound, objectLabel(container, object) + " does not exist"};
  }

  Expected<void> store(const ActorConfig& config, const std::string& container, const std::string& object,
                       const Bytes& body) {
    if (body.size() > config.multipart_bytes) {
      return config.client->putObjectMultipart(container, object, body, config.part_bytes);
    }
    return config.client->putObject(container, object, body);
  }

  Expected<void> startUpload(const std::string& actor, const ActorConfig& config, const codec::FileChunk& chunk) {
    STRATUS_TRY(checkObject(chunk.container.id, chunk.id));
    STRATUS_TRY(config.limits.checkUploadStart(chunk));
    auto exists = config.client->bucketExists(chunk.container.id);
    if (!exists) return fail(exists.takeError());
    if (!*exists) return fail(ErrorCode::kNotFound, containerLabel(chunk.container.id) + " does not exist");

    auto upload = std::make_shared<Upload>(chunk.container.id, chunk.id, chunk.total_bytes);
    STRATUS_TRY(uploads_.add(actor, chunk.container.id, chunk.id, upload));
    std::optional<Bytes> whole;
    if (chunk.chunk_bytes.empty()) {
      whole = upload->finishIfEmpty();
    } else {
      auto added = upload->add(chunk.sequence_no, chunk.chunk_bytes);
      if (!added) {
        uploads_.forget(actor, chunk.container.id, chunk.id, upload);
        return fail(added.takeError());
      }
      whole = std::move(*added);
    }
    if (!whole) return ok();
    uploads_.forget(actor, chunk.container.id, chunk.id, upload);
    return store(config, chunk.container.id, chunk.id, *whole);
  }

  Expected<void> uploadChunk(const std::string& actor, const ActorConfig& config, const codec::FileChunk& chunk) {
    STRATUS_TRY(checkObject(chunk.container.id, chunk.id));
    STRATUS_TRY(config.limits.checkChunk(chunk));
    std::shared_ptr<Upload> upload = uploads_.find(actor, chunk.container.id, chunk.id);
    if (!upload) {
      return fail(ErrorCode::kNotFound, "no upload of " + objectLabel(chunk.container.id, chunk.id) +
                                            " is in progress (StartUpload first; it may have completed already)");
    }
    auto added = upload->add(chunk.sequence_no, chunk.chunk_bytes);
    if (!added) return fail(added.takeError());
    if (!*added) return ok();
    uploads_.forget(actor, chunk.container.id, chunk.id, upload);
    return store(config, chunk.container.id, chunk.id, **added);
  }

  Expected<void> startDownload(const std::string& actor, const std::shared_ptr<ActorConfig>& config,
                               const codec::StreamRequest& request) {
    STRATUS_TRY(checkObject(request.container.id, request.id));
    auto chunk = config->limits.downloadChunk(request, kDefaultDownloadChunk);
    if (!chunk) return fail(chunk.takeError());
    auto info = config->client->headObject(request.container.id, request.id);
    if (!info) return fail(info.takeError());
    if (!*info) return fail(missing(*config->client, request.container.id, request.id));
    const ObjectInfo object = **info;
    std::shared_ptr<S3Client> client = config->client;
    return downloads_.start(actor, [d = dispatcher(), actor, client, object, chunk = *chunk,
                                    request](const std::atomic<bool>& cancelled) {
      deliverChunks(d, kWho, actor, request, object.size, chunk, cancelled, [&](uint64_t offset, uint64_t len) {
        return client->getRange(request.container.id, request.id, offset, offset + len - 1, object.etag);
      });
    });
  }

  ActorMap<ActorConfig> configs_;
  UploadTable<Upload> uploads_;
  DownloadRunner downloads_{kMaxDownloads};
};

}  // namespace
}  // namespace stratus::providers::s3

STRATUS_PROVIDER(stratus::providers::s3::S3Provider)
