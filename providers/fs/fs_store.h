// The filesystem side of the wasmcloud:blobstore provider: containers are directories directly under a root
// directory, objects are regular files directly in their container (ROOT/<container>/<object>).
//
// Path safety: a container or object name is one path component — never empty, ".", "..", absolute, containing
// '/' or NUL, or longer than 255 bytes — and every file is reached with openat()/mkdirat()/renameat() relative to
// a directory descriptor, with O_NOFOLLOW at each step, so a symbolic link inside ROOT (to anywhere, in or out of
// ROOT) is refused rather than followed. Nothing a name says can reach outside ROOT.
//
// Uploads are written to a hidden temporary file in the container (".stratus-upload-<random>") and renamed onto
// the object's name when the last byte has arrived, so an object is never seen half-written. ListObjects hides
// those files and object names may not start with that prefix.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "stratus/codec/blobstore.h"
#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::providers::fs {

/// Prefix of the temporary files of uploads in progress (reserved: no object may be named so).
inline constexpr std::string_view kUploadPrefix = ".stratus-upload-";
/// Most chunks one upload may have (bounds the bookkeeping an actor can make the provider keep).
inline constexpr size_t kMaxChunksPerUpload = 65536;

/// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

/// Checks a container name (`object` empty) or an object name in `container`. kInvalidArgument for empty, too long,
/// NUL, '/' inside, or a reserved name; kPermissionDenied for ".", ".." and absolute names. The message names the
/// container and object and says why.
Expected<void> checkName(std::string_view container, std::optional<std::string_view> object);

/// One actor's blob store under `root` (an absolute, symlink-free path). Thread-safe: every call opens what it
/// needs; concurrent writers of one object end with one of their versions, whole.
class FsStore {
 public:
  /// Resolves `root` (realpath; created with its parents when missing) and checks it is a directory.
  /// Errors: kInvalidArgument for an empty or relative-to-nothing value, kIo when it cannot be created or resolved.
  static Expected<std::shared_ptr<FsStore>> open(const std::string& root);

  const std::string& root() const { return root_; }

  /// Creates the container; an existing container is fine (idempotent, as 0.18's create_dir_all was).
  Expected<void> createContainer(const std::string& container);
  /// Removes an empty container. kNotFound when missing, kAlreadyExists naming the count when objects remain.
  /// Leftover temporary files of abandoned uploads are deleted first.
  Expected<void> removeContainer(const std::string& container);
  /// The objects (regular files) of the container, sorted by name. kNotFound when the container is missing.
  Expected<std::vector<codec::Blob>> listObjects(const std::string& container);
  /// The object's size; std::nullopt when the container or the object does not exist.
  Expected<std::optional<uint64_t>> objectSize(const std::string& container, const std::string& object);
  /// Deletes the object. kNotFound naming what is missing (the container or the object).
  Expected<void> removeObject(const std::string& container, const std::string& object);
  /// Opens the object for reading (O_NOFOLLOW); fills `size`. kNotFound when missing.
  Expected<Fd> openObject(const std::string& container, const std::string& object, uint64_t& size);

  /// The open container directory, for uploads: kNotFound when missing, kPermissionDenied for a symbolic link.
  Expected<Fd> openContainer(const std::string& container) const;

 private:
  explicit FsStore(std::string root) : root_(std::move(root)) {}
  Expected<Fd> openRoot() const;

  std::string root_;
};

/// One object being uploaded: chunks are appended to a temporary file in arrival order and recorded by sequence
/// number; when `total` bytes have arrived they are put in sequence order (a rewrite only when they arrived out of
/// order) and the file is renamed onto the object. Thread-safe.
class Upload {
 public:
  /// Starts an upload of `container`/`object` of `total` bytes into the open container directory `dir`.
  static Expected<std::shared_ptr<Upload>> start(Fd dir, std::string container, std::string object, uint64_t total);
  ~Upload();

  /// Adds one chunk. kAlreadyExists for a repeated sequence number, kInvalidArgument when the chunk would exceed
  /// the announced total, kResourceExhausted past kMaxChunksPerUpload, kUnavailable after abort(). An empty chunk
  /// is ignored. Returns true when this chunk completed the object (it is in
  /// place when this returns).
  Expected<bool> add(uint64_t sequence_no, std::span<const uint8_t> bytes) STRATUS_EXCLUDES(mu_);
  /// Completes an upload of 0 bytes (nothing to add). Returns true when the object is in place.
  Expected<bool> finishIfEmpty() STRATUS_EXCLUDES(mu_);
  /// Drops the upload and its temporary file (idempotent).
  void abort() STRATUS_EXCLUDES(mu_);
  /// Whether chunks are still accepted (false once completed, failed or aborted).
  bool active() STRATUS_EXCLUDES(mu_);

  const std::string& container() const { return container_; }
  const std::string& object() const { return object_; }

 private:
  struct Piece {
    uint64_t sequence_no;
    uint64_t offset;  // in the temporary file
    uint64_t length;
  };
  Upload(Fd dir, Fd file, std::string temp, std::string container, std::string object, uint64_t total)
      : dir_(std::move(dir)),
        file_(std::move(file)),
        temp_(std::move(temp)),
        container_(std::move(container)),
        object_(std::move(object)),
        total_(total) {}
  Expected<void> finish() STRATUS_REQUIRES(mu_);
  std::string label() const;

  Mutex mu_;
  Fd dir_;
  Fd file_ STRATUS_GUARDED_BY(mu_);
  std::string temp_;  // name of the temporary file in dir_
  std::string container_, object_;
  uint64_t total_;
  uint64_t received_ STRATUS_GUARDED_BY(mu_) = 0;
  std::vector<Piece> pieces_ STRATUS_GUARDED_BY(mu_);  // arrival order
  std::set<uint64_t> seen_ STRATUS_GUARDED_BY(mu_);    // sequence numbers received
  bool done_ STRATUS_GUARDED_BY(mu_) = false;          // completed or aborted
};

}  // namespace stratus::providers::fs
