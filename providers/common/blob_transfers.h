// What the blobstore providers (fs, s3) share around their storage: the size limits of a link, the table of uploads
// in progress, and the delivery of a download as ReceiveChunk calls. Header-only.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/download_runner.h"
#include "stratus/codec/blobstore.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/provider.hpp"

namespace stratus::providers {

/// A link's MAX_OBJECT_BYTES and MAX_CHUNK_BYTES.
struct BlobLimits {
  uint64_t max_object_bytes = 0;
  uint64_t max_chunk_bytes = 0;

  /// kResourceExhausted when the chunk's bytes exceed MAX_CHUNK_BYTES.
  Expected<void> checkChunk(const codec::FileChunk& chunk) const {
    if (chunk.chunk_bytes.size() > max_chunk_bytes) {
      return fail(ErrorCode::kResourceExhausted,
                  "chunk " + std::to_string(chunk.sequence_no) + " of " + objectLabel(chunk.container.id, chunk.id) +
                      " has " + std::to_string(chunk.chunk_bytes.size()) + " bytes, more than MAX_CHUNK_BYTES " +
                      std::to_string(max_chunk_bytes));
    }
    return ok();
  }

  /// The first chunk of an upload: its totalBytes, chunkSize and bytes within the limits, else kResourceExhausted.
  Expected<void> checkUploadStart(const codec::FileChunk& chunk) const {
    const std::string what = objectLabel(chunk.container.id, chunk.id);
    if (chunk.total_bytes > max_object_bytes) {
      return fail(ErrorCode::kResourceExhausted, what + ": totalBytes " + std::to_string(chunk.total_bytes) +
                                                     " is more than MAX_OBJECT_BYTES " +
                                                     std::to_string(max_object_bytes));
    }
    if (chunk.chunk_size > max_chunk_bytes) {
      return fail(ErrorCode::kResourceExhausted, what + ": chunkSize " + std::to_string(chunk.chunk_size) +
                                                     " is more than MAX_CHUNK_BYTES " + std::to_string(max_chunk_bytes));
    }
    return checkChunk(chunk);
  }

  /// The chunk size of a download: as requested, or `fallback` (capped by MAX_CHUNK_BYTES) when the request says 0;
  /// kResourceExhausted beyond MAX_CHUNK_BYTES.
  Expected<uint64_t> downloadChunk(const codec::StreamRequest& request, uint64_t fallback) const {
    const uint64_t chunk = request.chunk_size == 0 ? std::min(fallback, max_chunk_bytes) : request.chunk_size;
    if (chunk > max_chunk_bytes) {
      return fail(ErrorCode::kResourceExhausted, objectLabel(request.container.id, request.id) + ": chunkSize " +
                                                     std::to_string(chunk) + " is more than MAX_CHUNK_BYTES " +
                                                     std::to_string(max_chunk_bytes));
    }
    return chunk;
  }
};

/// The uploads in progress, by actor, container and object, at most kMaxPerActor per actor. `U` has abort(), which
/// the table calls on uploads it drops. Each upload may carry a `scope` string for abortIf (the fs provider's ROOT).
/// Thread-safe.
template <typename U>
class UploadTable {
 public:
  static constexpr size_t kMaxPerActor = 64;

  /// Registers `upload`, replacing (and aborting) one of the same object by the same actor. kResourceExhausted
  /// when the actor has kMaxPerActor others in progress (then nothing is registered).
  Expected<void> add(std::string_view actor, const std::string& container, const std::string& object,
                     std::shared_ptr<U> upload, std::string scope = {}) STRATUS_EXCLUDES(mu_) {
    const std::string k = key(actor, container, object);
    std::shared_ptr<U> replaced;
    size_t mine = 0;
    {
      MutexLock lock(mu_);
      if (auto it = entries_.find(k); it != entries_.end()) {
        replaced = std::move(it->second.upload);
        entries_.erase(it);
      }
      const std::string prefix = actorPrefix(actor);
      for (auto it = entries_.lower_bound(prefix); it != entries_.end() && it->first.starts_with(prefix); ++it) {
        ++mine;
      }
      if (mine < kMaxPerActor) entries_.emplace(k, Entry{std::move(upload), std::move(scope)});
    }
    if (replaced) replaced->abort();
    if (mine >= kMaxPerActor) {
      return fail(ErrorCode::kResourceExhausted, objectLabel(container, object) + ": this actor has " +
                                                     std::to_string(mine) + " uploads in progress already (the limit)");
    }
    return ok();
  }

  /// The actor's upload of the object, or null.
  std::shared_ptr<U> find(std::string_view actor, const std::string& container, const std::string& object) const
      STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    auto it = entries_.find(key(actor, container, object));
    return it == entries_.end() ? nullptr : it->second.upload;
  }

  /// Drops `upload` from the table if it is still the one registered for the object (without aborting it).
  void forget(std::string_view actor, const std::string& container, const std::string& object,
              const std::shared_ptr<U>& upload) STRATUS_EXCLUDES(mu_) {
    MutexLock lock(mu_);
    if (auto it = entries_.find(key(actor, container, object)); it != entries_.end() && it->second.upload == upload) {
      entries_.erase(it);
    }
  }

  /// Aborts and drops every upload for which `pred(actor, upload, scope)` holds.
  template <typename Pred>
  void abortIf(Pred&& pred) STRATUS_EXCLUDES(mu_) {
    std::vector<std::shared_ptr<U>> dropped;
    {
      MutexLock lock(mu_);
      for (auto it = entries_.begin(); it != entries_.end();) {
        const std::string_view actor = std::string_view(it->first).substr(0, it->first.find('\n'));
        if (pred(actor, *it->second.upload, it->second.scope)) {
          dropped.push_back(std::move(it->second.upload));
          it = entries_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& u : dropped) u->abort();
  }

  /// Aborts and drops the actor's uploads.
  void abortActor(std::string_view actor) {
    abortIf([actor](std::string_view a, const U&, const std::string&) { return a == actor; });
  }

  /// Aborts and drops every upload.
  void abortAll() {
    abortIf([](std::string_view, const U&, const std::string&) { return true; });
  }

 private:
  struct Entry {
    std::shared_ptr<U> upload;
    std::string scope;
  };
  static std::string actorPrefix(std::string_view actor) {
    std::string p(actor);
    p.push_back('\n');
    return p;
  }
  static std::string key(std::string_view actor, const std::string& container, const std::string& object) {
    std::string k = actorPrefix(actor);
    k.append(container).push_back('\n');
    k.append(object);
    return k;
  }

  mutable Mutex mu_;
  std::map<std::string, Entry> entries_ STRATUS_GUARDED_BY(mu_);  // key actor\ncontainer\nobject
};

/// Reads `len` (> 0) bytes of the object at `offset`; an error message names why it could not.
using ChunkReader = std::function<Expected<Bytes>(uint64_t offset, uint64_t len)>;

/// Delivers an object of `size` bytes to `actor` as ReceiveChunk calls of `chunk` bytes (one empty chunk for an
/// empty object), each read by `read`, until done or `cancelled`. A failed read or call ends the download with an
/// error line "<who>: download of <object> for actor <actor> stopped: <why>". Runs on a DownloadRunner thread.
inline void deliverChunks(const provider::Dispatcher& d, std::string_view who, const std::string& actor,
                          const codec::StreamRequest& request, uint64_t size, uint64_t chunk,
                          const std::atomic<bool>& cancelled, const ChunkReader& read) {
  const auto stopped = [&](const std::string& why) {
    std::string line(who);
    line.append(": download of ").append(objectLabel(request.container.id, request.id));
    line.append(" for actor ").append(actor).append(" stopped: ").append(why);
    d.log(STRATUS_LOG_ERROR, line);
  };
  uint64_t offset = 0;
  uint64_t seq = 0;
  do {
    if (cancelled) return;
    codec::FileChunk fc;
    fc.sequence_no = seq;
    fc.container = request.container;
    fc.id = request.id;
    fc.total_bytes = size;
    fc.chunk_size = chunk;
    fc.context = request.context;
    const uint64_t len = std::min(chunk, size - offset);
    if (len > 0) {
      auto bytes = read(offset, len);
      if (!bytes) return stopped(bytes.error().message);
      fc.chunk_bytes = std::move(*bytes);
    }
    auto r = d.call(actor, codec::kOpReceiveChunk, codec::encode(fc));
    if (!r) return stopped("ReceiveChunk " + std::to_string(seq) + " failed: " + r.error().message);
    offset += len;
    ++seq;
  } while (offset < size);
}

}  // namespace stratus::providers
