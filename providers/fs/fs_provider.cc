// wasmcloud:blobstore on the local filesystem (as wasmCloud's fs provider 0.3/0.4 did): ROOT/<container>/<object>.
//
// Link values (per actor):
//   ROOT              the directory holding the containers (required; created when missing). Actors linked with the
//                     same ROOT share its containers, as in 0.18 (which kept one ROOT for all actors: the last
//                     BindActor won; here each actor keeps its own).
//   MAX_OBJECT_BYTES  the largest object an upload may announce in totalBytes (default 1 GiB)
//   MAX_CHUNK_BYTES   the largest upload chunk and download chunkSize (default 16 MiB; chunks cross wasm memory)
//
// Names are checked and never followed through symbolic links (see fs_store.h): "..", absolute names, '/', NUL,
// empty names and links inside ROOT are refused with an error naming the container and object. 0.18 instead
// rewrote such names ("../x" became "x", "a/b" became "a_b"); refusing is stricter and says so.
//
// Upload: StartUpload(FileChunk: container, id, totalBytes, chunkSize, and optionally the first chunk's bytes),
// then UploadChunk for each chunk. Sequence numbers order the chunks: they may start at 0 (as wasmCloud's fs
// provider counted) or 1 (as its S3 provider counted) and arrive in any order; a repeated number is refused. The
// object appears, whole, when totalBytes have arrived. A new StartUpload of the same object restarts it.
// Download: StartDownload(StreamRequest) checks the object and answers at once; a provider thread then calls the
// actor's ReceiveChunk with FileChunks numbered from 0, in order (one empty chunk for an empty object), and stops
// early when the actor returns an error. chunkSize 0 means 1 MiB.
// GetObjectInfo of a missing object answers 0.18's placeholder Blob {id: "none", container: {id: "none"}}; the
// other operations fail with an error naming the missing container or object. Replies of the `void` operations
// are BlobstoreResult {success: true} (failures are errors, never success: false).
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/actor_map.h"
#include "common/blob_transfers.h"
#include "common/link_values.h"
#include "fs_store.h"
#include "stratus/codec/blobstore.h"
#include "stratus/provider.hpp"

namespace stratus::providers::fs {
namespace {

constexpr uint64_t kDefaultMaxObjectBytes = uint64_t{1} << 30;
constexpr uint64_t kDefaultMaxChunkBytes = uint64_t{16} << 20;
constexpr uint64_t kChunkBytesCeiling = uint64_t{1} << 30;
constexpr uint64_t kDefaultDownloadChunk = uint64_t{1} << 20;
constexpr size_t kMaxDownloads = 32;
constexpr std::string_view kWho = "filesystem blobstore";

struct ActorConfig {
  std::shared_ptr<FsStore> store;
  BlobLimits limits;
};

class FsProvider final : public provider::CapabilityProvider {
 public:
  std::string_view capabilityId() const override { return codec::kBlobstoreContract; }
  std::string_view name() const override { return "stratus filesystem blobstore"; }

  Expected<void> bindActor(std::string_view actor, const std::map<std::string, std::string>& values) override {
    auto root = values.find("ROOT");
    if (root == values.end() || root->second.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "filesystem blobstore: link value ROOT (the directory holding the containers) is required");
    }
    ActorConfig config;
    auto max_object = linkNumber(values, "MAX_OBJECT_BYTES", kDefaultMaxObjectBytes, 1, UINT64_MAX, kWho);
    if (!max_object) return fail(max_object.takeError());
    auto max_chunk = linkNumber(values, "MAX_CHUNK_BYTES", kDefaultMaxChunkBytes, 1, kChunkBytesCeiling, kWho);
    if (!max_chunk) return fail(max_chunk.takeError());
    auto store = FsStore::open(root->second);
    if (!store) return opError("filesystem blobstore", store.takeError());
    config.store = std::move(*store);
    config.limits = {*max_object, *max_chunk};
    std::string line = "filesystem blobstore: actor ";
    line.append(actor).append(" stores under ").append(config.store->root());
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
    if (!config) return fail(notLinked("filesystem blobstore " + std::string(op), actor));
    auto r = dispatch(std::string(actor), *config, op, msg);
    if (!r) return opError(op, r.takeError());
    return r;
  }

  void stop() override {
    downloads_.stopAll();
    uploads_.abortAll();
    configs_.clear();
  }

 private:
  Expected<Bytes> dispatch(const std::string& actor, const ActorConfig& config, std::string_view op,
                           std::span<const uint8_t> msg) {
    FsStore& store = *config.store;
    if (op == codec::kOpCreateContainer) {
      auto c = codec::decodeContainer(msg);
      if (!c) return fail(c.takeError());
      STRATUS_TRY(store.createContainer(c->id));
      return codec::encode(codec::Container{c->id});
    }
    if (op == codec::kOpRemoveContainer) {
      auto c = codec::decodeContainer(msg);
      if (!c) return fail(c.takeError());
      STRATUS_TRY(checkName(c->id, std::nullopt));
      const std::string root = store.root();
      // Every actor's uploads into the container (actors linked to the same ROOT share it).
      uploads_.abortIf([&](std::string_view, const Upload& u, const std::string& upload_root) {
        return upload_root == root && u.container() == c->id;
      });
      STRATUS_TRY(store.removeContainer(c->id));
      return codec::encode(codec::BlobstoreResult{});
    }
    if (op == codec::kOpListObjects) {
      auto c = codec::decodeContainer(msg);
      if (!c) return fail(c.takeError());
      auto blobs = store.listObjects(c->id);
      if (!blobs) return fail(blobs.takeError());
      return codec::encode(codec::BlobList{std::move(*blobs)});
    }
    if (op == codec::kOpRemoveObject) {
      auto b = codec::decodeBlob(msg);
      if (!b) return fail(b.takeError());
      STRATUS_TRY(store.removeObject(b->container.id, b->id));
      return codec::encode(codec::BlobstoreResult{});
    }
    if (op == codec::kOpGetObjectInfo) {
      auto b = codec::decodeBlob(msg);
      if (!b) return fail(b.takeError());
      auto size = store.objectSize(b->container.id, b->id);
      if (!size) return fail(size.takeError());
      if (!*size) return codec::encode(codec::Blob{"none", codec::Container{"none"}, 0});
      return codec::encode(codec::Blob{b->id, codec::Container{b->container.id}, **size});
    }
    if (op == codec::kOpStartUpload) {
      auto chunk = codec::decodeFileChunk(msg);
      if (!chunk) return fail(chunk.takeError());
      STRATUS_TRY(startUpload(actor, config, *chunk));
      return codec::encode(codec::BlobstoreResult{});
    }
    if (op == codec::kOpUploadChunk) {
      auto chunk = codec::decodeFileChunk(msg);
      if (!chunk) return fail(chunk.takeError());
      STRATUS_TRY(uploadChunk(actor, config, *chunk));
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

  Expected<void> startUpload(const std::string& actor, const ActorConfig& config, const codec::FileChunk& chunk) {
    STRATUS_TRY(checkName(chunk.container.id, chunk.id));
    STRATUS_TRY(config.limits.checkUploadStart(chunk));
    auto dir = config.store->openContainer(chunk.container.id);
    if (!dir) return fail(dir.takeError());
    auto started = Upload::start(std::move(*dir), chunk.container.id, chunk.id, chunk.total_bytes);
    if (!started) return fail(started.takeError());
    std::shared_ptr<Upload> upload = *started;
    if (auto added = uploads_.add(actor, chunk.container.id, chunk.id, upload, config.store->root()); !added) {
      upload->abort();
      return added;
    }
    auto done = chunk.chunk_bytes.empty() ? upload->finishIfEmpty() : upload->add(chunk.sequence_no, chunk.chunk_bytes);
    // A refused first chunk ends the upload before it began.
    if (!done || *done) uploads_.forget(actor, chunk.container.id, chunk.id, upload);
    if (!done) {
      upload->abort();
      return fail(done.takeError());
    }
    return ok();
  }

  Expected<void> uploadChunk(const std::string& actor, const ActorConfig& config, const codec::FileChunk& chunk) {
    STRATUS_TRY(checkName(chunk.container.id, chunk.id));
    STRATUS_TRY(config.limits.checkChunk(chunk));
    std::shared_ptr<Upload> upload = uploads_.find(actor, chunk.container.id, chunk.id);
    if (!upload) {
      return fail(ErrorCode::kNotFound, "no upload of " + objectLabel(chunk.container.id, chunk.id) +
                                            " is in progress (StartUpload first; it may have completed already)");
    }
    auto done = upload->add(chunk.sequence_no, chunk.chunk_bytes);
    // A refused chunk leaves the upload going; a completed one, or a failed write or rename, has ended it.
    if ((done && *done) || (!done && !upload->active())) {
      uploads_.forget(actor, chunk.container.id, chunk.id, upload);
    }
    if (!done) return fail(done.takeError());
    return ok();
  }

  Expected<void> startDownload(const std::string& actor, const ActorConfig& config,
                               const codec::StreamRequest& request) {
    auto chunk = config.limits.downloadChunk(request, kDefaultDownloadChunk);
    if (!chunk) return fail(chunk.takeError());
    uint64_t size = 0;
    auto fd = config.store->openObject(request.container.id, request.id, size);
    if (!fd) return fail(fd.takeError());
    auto file = std::make_shared<Fd>(std::move(*fd));
    return downloads_.start(actor, [d = dispatcher(), actor, file, size, chunk = *chunk,
                                    request](const std::atomic<bool>& cancelled) {
      deliverChunks(d, kWho, actor, request, size, chunk, cancelled, [&](uint64_t offset, uint64_t len) {
        return readAt(*file, offset, len);
      });
    });
  }

  // `len` bytes of the file at `offset`; an error when it has fewer (it shrank) or cannot be read.
  static Expected<Bytes> readAt(const Fd& file, uint64_t offset, uint64_t len) {
    Bytes bytes(static_cast<size_t>(len));
    size_t got = 0;
    while (got < bytes.size()) {
      ssize_t n = ::pread(file.get(), bytes.data() + got, bytes.size() - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return fail(ErrorCode::kIo,
                    "the file shrank or could not be read at byte " + std::to_string(offset + got));
      }
      got += static_cast<size_t>(n);
    }
    return bytes;
  }

  ActorMap<ActorConfig> configs_;
  UploadTable<Upload> uploads_;
  DownloadRunner downloads_{kMaxDownloads};
};

}  // namespace
}  // namespace stratus::providers::fs

STRATUS_PROVIDER(stratus::providers::fs::FsProvider)
