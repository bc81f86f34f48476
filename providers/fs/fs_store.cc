#include "fs_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

namespace stratus::providers::fs {
namespace {

constexpr size_t kMaxNameBytes = 255;  // NAME_MAX of the common Linux filesystems

std::string quoted(std::string_view name) {
  std::string out = "'";
  out.append(name);
  out.push_back('\'');
  return out;
}

// "container 'c'" or "object 'o' in container 'c'".
std::string label(std::string_view container, std::optional<std::string_view> object) {
  std::string out;
  if (object) {
    out.append("object ").append(quoted(*object)).append(" in ");
  }
  out.append("container ").append(quoted(container));
  return out;
}

std::string errnoText(int err) { return std::strerror(err); }

Unexpected ioError(const std::string& what, int err) {
  std::string msg = what;
  msg.append(": ").append(errnoText(err));
  return fail(ErrorCode::kIo, std::move(msg));
}

Unexpected symlinkRefused(std::string_view container, std::optional<std::string_view> object) {
  std::string msg = label(container, object);
  msg.append(
      " is a symbolic link: refused (the filesystem blobstore never follows links, so nothing outside "
      "ROOT can be reached)");
  return fail(ErrorCode::kPermissionDenied, std::move(msg));
}

Unexpected notFound(std::string_view container, std::optional<std::string_view> object) {
  std::string msg = label(container, object);
  msg.append(" does not exist");
  return fail(ErrorCode::kNotFound, std::move(msg));
}

// The names in the directory `dir` (without "." and ".."); `dir` stays open.
Expected<std::vector<std::string>> entries(int dir, std::string_view container) {
  int copy = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return ioError("cannot read " + label(container, std::nullopt), errno);
  DIR* d = ::fdopendir(copy);
  if (!d) {
    int err = errno;
    ::close(copy);
    return ioError("cannot read " + label(container, std::nullopt), err);
  }
  ::rewinddir(d);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    names.emplace_back(n);
  }
  ::closedir(d);
  return names;
}

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string randomSuffix() {
  uint8_t raw[8] = {};
  if (::getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw)) {
    // Only the uniqueness matters (O_EXCL guards collisions); fall back to the address and time.
    uint64_t v = reinterpret_cast<uintptr_t>(&raw) ^ static_cast<uint64_t>(::time(nullptr)) ^ uint64_t(::getpid());
    std::memcpy(raw, &v, sizeof raw);
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : raw) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

Expected<void> writeAll(int fd, const uint8_t* data, size_t len, uint64_t offset, const std::string& what) {
  while (len > 0) {
    ssize_t n = ::pwrite(fd, data, len, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("cannot write " + what, errno);
    }
    data += n;
    len -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return ok();
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<void> checkName(std::string_view container, std::optional<std::string_view> object) {
  auto check = [&](std::string_view name, bool is_object) -> Expected<void> {
    std::string what = is_object ? label(container, object) : label(container, std::nullopt);
    if (name.empty()) {
      return fail(ErrorCode::kInvalidArgument, is_object
                                                   ? "the object name is empty (" + label(container, std::nullopt) + ")"
                                                   : std::string("the container name is empty"));
    }
    if (name.find('\0') != std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, what + ": the name contains a NUL byte");
    }
    if (name.front() == '/') {
      return fail(ErrorCode::kPermissionDenied,
                  what + ": the name is an absolute path: refused (names are relative to ROOT)");
    }
    if (name == "." || name == "..") {
      return fail(ErrorCode::kPermissionDenied, what + ": the name would leave its directory: refused");
    }
    if (name.find('/') != std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  what + ": the name contains '/': refused (the filesystem blobstore keeps " +
                      (is_object ? "objects directly in their container" : "containers directly in ROOT") + ")");
    }
    if (name.size() > kMaxNameBytes) {
      return fail(ErrorCode::kInvalidArgument,
                  what.substr(0, 80) + "...: the name is longer than " + std::to_string(kMaxNameBytes) + " bytes");
    }
    if (is_object && startsWith(name, kUploadPrefix)) {
      return fail(ErrorCode::kInvalidArgument, what + ": names starting with '" + std::string(kUploadPrefix) +
                                                   "' are reserved for uploads in progress");
    }
    return ok();
  };
  STRATUS_TRY(check(container, false));
  if (object) STRATUS_TRY(check(*object, true));
  return ok();
}

// ---- FsStore ----

Expected<std::shared_ptr<FsStore>> FsStore::open(const std::string& root) {
  if (root.empty()) return fail(ErrorCode::kInvalidArgument, "link value ROOT is missing or empty");
  if (root.find('\0') != std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "link value ROOT contains a NUL byte");
  }
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot create ROOT '" + root + "': " + ec.message());
  char resolved[PATH_MAX];
  if (!::realpath(root.c_str(), resolved)) return ioError("cannot resolve ROOT '" + root + "'", errno);
  struct stat st {};
  if (::stat(resolved, &st) != 0) return ioError("cannot stat ROOT '" + root + "'", errno);
  if (!S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::kInvalidArgument, "ROOT '" + root + "' is not a directory");
  }
  return std::shared_ptr<FsStore>(new FsStore(resolved));
}

Expected<Fd> FsStore::openRoot() const {
  Fd fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ioError("cannot open ROOT '" + root_ + "'", errno);
  return fd;
}

Expected<Fd> FsStore::openContainer(const std::string& container) const {
  STRATUS_TRY(checkName(container, std::nullopt));
  auto root = openRoot();
  if (!root) return fail(root.takeError());
  Fd fd(::openat(root->get(), container.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.valid()) return fd;
  const int err = errno;
  if (err == ENOENT) return notFound(container, std::nullopt);
  struct stat st {};
  if (err == ELOOP ||
      (::fstatat(root->get(), container.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))) {
    return symlinkRefused(container, std::nullopt);
  }
  if (err == ENOTDIR) {
    return fail(ErrorCode::kInvalidArgument, label(container, std::nullopt) + " is not a directory");
  }
  return ioError("cannot open " + label(container, std::nullopt), err);
}

Expected<void> FsStore::createContainer(const std::string& container) {
  STRATUS_TRY(checkName(container, std::nullopt));
  auto root = openRoot();
  if (!root) return fail(root.takeError());
  if (::mkdirat(root->get(), container.c_str(), 0755) == 0) return ok();
  const int err = errno;
  if (err != EEXIST) return ioError("cannot create " + label(container, std::nullopt), err);
  struct stat st {};
  if (::fstatat(root->get(), container.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ioError("cannot create " + label(container, std::nullopt), errno);
  }
  if (S_ISLNK(st.st_mode)) return symlinkRefused(container, std::nullopt);
  if (!S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::kAlreadyExists, label(container, std::nullopt) + " exists and is not a directory");
  }
  return ok();
}

Expected<void> FsStore::removeContainer(const std::string& container) {
  auto dir = openContainer(container);
  if (!dir) return fail(dir.takeError());
  auto names = entries(dir->get(), container);
  if (!names) return fail(names.takeError());
  size_t remaining = 0;
  for (const std::string& n : *names) {
    if (startsWith(n, kUploadPrefix) && ::unlinkat(dir->get(), n.c_str(), 0) == 0) continue;
    ++remaining;
  }
  if (remaining > 0) {
    return fail(ErrorCode::kAlreadyExists, label(container, std::nullopt) + " is not empty (" +
                                               std::to_string(remaining) + " entries): remove its objects first");
  }
  auto root = openRoot();
  if (!root) return fail(root.takeError());
  if (::unlinkat(root->get(), container.c_str(), AT_REMOVEDIR) != 0) {
    const int err = errno;
    if (err == ENOTEMPTY || err == EEXIST) {
      return fail(ErrorCode::kAlreadyExists,
                  label(container, std::nullopt) + " is not empty: remove its objects first");
    }
    if (err == ENOENT) return notFound(container, std::nullopt);
    return ioError("cannot remove " + label(container, std::nullopt), err);
  }
  return ok();
}

Expected<std::vector<codec::Blob>> FsStore::listObjects(const std::string& container) {
  auto dir = openContainer(container);
  if (!dir) return fail(dir.takeError());
  auto names = entries(dir->get(), container);
  if (!names) return fail(names.takeError());
  std::vector<codec::Blob> blobs;
  for (const std::string& n : *names) {
    if (startsWith(n, kUploadPrefix)) continue;
    struct stat st {};
    if (::fstatat(dir->get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    blobs.push_back(codec::Blob{n, codec::Container{container}, static_cast<uint64_t>(st.st_size)});
  }
  std::sort(blobs.begin(), blobs.end(), [](const codec::Blob& a, const codec::Blob& b) { return a.id < b.id; });
  return blobs;
}

Expected<std::optional<uint64_t>> FsStore::objectSize(const std::string& container, const std::string& object) {
  STRATUS_TRY(checkName(container, object));
  auto dir = openContainer(container);
  if (!dir) {
    if (dir.error().code == ErrorCode::kNotFound) return std::optional<uint64_t>();
    return fail(dir.takeError());
  }
  struct stat st {};
  if (::fstatat(dir->get(), object.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::optional<uint64_t>();
    return ioError("cannot stat " + label(container, object), errno);
  }
  if (S_ISLNK(st.st_mode)) return symlinkRefused(container, object);
  if (!S_ISREG(st.st_mode)) return std::optional<uint64_t>();
  return std::optional<uint64_t>(static_cast<uint64_t>(st.st_size));
}

Expected<void> FsStore::removeObject(const std::string& container, const std::string& object) {
  STRATUS_TRY(checkName(container, object));
  auto dir = openContainer(container);
  if (!dir) return fail(dir.takeError());
  struct stat st {};
  if (::fstatat(dir->get(), object.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return notFound(container, object);
    return ioError("cannot stat " + label(container, object), errno);
  }
  if (S_ISLNK(st.st_mode)) return symlinkRefused(container, object);
  if (!S_ISREG(st.st_mode)) return fail(ErrorCode::kNotFound, label(container, object) + " is not an object");
  if (::unlinkat(dir->get(), object.c_str(), 0) != 0) {
    if (errno == ENOENT) return notFound(container, object);
    return ioError("cannot remove " + label(container, object), errno);
  }
  return ok();
}

Expected<Fd> FsStore::openObject(const std::string& container, const std::string& object, uint64_t& size) {
  STRATUS_TRY(checkName(container, object));
  auto dir = openContainer(container);
  if (!dir) return fail(dir.takeError());
  // O_NONBLOCK: a FIFO planted in the container must not hang the call.
  Fd fd(::openat(dir->get(), object.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ENOENT) return notFound(container, object);
    if (err == ELOOP) return symlinkRefused(container, object);
    return ioError("cannot open " + label(container, object), err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ioError("cannot stat " + label(container, object), errno);
  if (!S_ISREG(st.st_mode)) return fail(ErrorCode::kNotFound, label(container, object) + " is not an object");
  size = static_cast<uint64_t>(st.st_size);
  return fd;
}

// ---- Upload ----

Expected<std::shared_ptr<Upload>> Upload::start(Fd dir, std::string container, std::string object, uint64_t total) {
  std::string temp;
  Fd file;
  for (int attempt = 0; attempt < 8 && !file.valid(); ++attempt) {
    temp = std::string(kUploadPrefix) + randomSuffix();
    file = Fd(::openat(dir.get(), temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!file.valid() && errno != EEXIST) {
      return ioError("cannot create a temporary file for " + fs::label(container, std::string_view(object)), errno);
    }
  }
  if (!file.valid()) {
    return fail(ErrorCode::kIo, "cannot create a temporary file for " + fs::label(container, std::string_view(object)));
  }
  return std::shared_ptr<Upload>(
      new Upload(std::move(dir), std::move(file), std::move(temp), std::move(container), std::move(object), total));
}

Upload::~Upload() { abort(); }

std::string Upload::label() const { return fs::label(container_, std::string_view(object_)); }

Expected<bool> Upload::add(uint64_t sequence_no, std::span<const uint8_t> bytes) {
  MutexLock lock(mu_);
  if (done_) {
    return fail(ErrorCode::kUnavailable, "the upload of " + label() + " is no longer in progress");
  }
  if (seen_.count(sequence_no)) {
    return fail(ErrorCode::kAlreadyExists,
                "chunk " + std::to_string(sequence_no) + " of " + label() + " arrived twice");
  }
  if (bytes.empty()) return false;
  if (pieces_.size() >= kMaxChunksPerUpload) {
    return fail(ErrorCode::kResourceExhausted, label() + ": more than " + std::to_string(kMaxChunksPerUpload) +
                                                   " chunks in one upload; send larger chunks");
  }
  if (bytes.size() > total_ - received_) {
    return fail(ErrorCode::kInvalidArgument, "chunk " + std::to_string(sequence_no) + " of " + label() + " (" +
                                                 std::to_string(bytes.size()) + " bytes) would make " +
                                                 std::to_string(received_ + bytes.size()) +
                                                 " bytes, more than its totalBytes " + std::to_string(total_));
  }
  STRATUS_TRY(writeAll(file_.get(), bytes.data(), bytes.size(), received_, label()));
  pieces_.push_back(Piece{sequence_no, received_, bytes.size()});
  seen_.insert(sequence_no);
  received_ += bytes.size();
  if (received_ < total_) return false;
  STRATUS_TRY(finish());
  return true;
}

Expected<bool> Upload::finishIfEmpty() {
  MutexLock lock(mu_);
  if (done_ || total_ != 0) return false;
  STRATUS_TRY(finish());
  return true;
}

Expected<void> Upload::finish() {
  // Whatever happens below, this upload is over; a failure removes the temporary files.
  done_ = true;
  std::string final_temp = temp_;
  Fd final_file = std::move(file_);
  auto cleanup = [&](const std::string& name) { ::unlinkat(dir_.get(), name.c_str(), 0); };
  const bool in_order = std::is_sorted(pieces_.begin(), pieces_.end(),
                                       [](const Piece& a, const Piece& b) { return a.sequence_no < b.sequence_no; });
  if (!in_order) {
    // Chunks arrived out of order: copy them into a second file in sequence order.
    std::vector<Piece> sorted = pieces_;
    std::sort(sorted.begin(), sorted.end(),
              [](const Piece& a, const Piece& b) { return a.sequence_no < b.sequence_no; });
    std::string ordered_temp = std::string(kUploadPrefix) + randomSuffix();
    Fd ordered(::openat(dir_.get(), ordered_temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!ordered.valid()) {
      const int err = errno;
      cleanup(temp_);
      return ioError("cannot create a temporary file for " + label(), err);
    }
    std::vector<uint8_t> buf(1 << 20);
    uint64_t out = 0;
    for (const Piece& p : sorted) {
      for (uint64_t done = 0; done < p.length;) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), p.length - done));
        ssize_t n = ::pread(final_file.get(), buf.data(), want, static_cast<off_t>(p.offset + done));
        if (n <= 0) {
          if (n < 0 && errno == EINTR) continue;
          const int err = n < 0 ? errno : EIO;
          cleanup(temp_);
          cleanup(ordered_temp);
          return ioError("cannot reorder the chunks of " + label(), err);
        }
        auto written = writeAll(ordered.get(), buf.data(), static_cast<size_t>(n), out, label());
        if (!written) {
          cleanup(temp_);
          cleanup(ordered_temp);
          return written;
        }
        done += static_cast<uint64_t>(n);
        out += static_cast<uint64_t>(n);
      }
    }
    cleanup(temp_);
    final_temp = ordered_temp;
    final_file = std::move(ordered);
  }
  if (::fdatasync(final_file.get()) != 0) {
    const int err = errno;
    cleanup(final_temp);
    return ioError("cannot flush " + label(), err);
  }
  if (::renameat(dir_.get(), final_temp.c_str(), dir_.get(), object_.c_str()) != 0) {
    const int err = errno;
    cleanup(final_temp);
    if (err == EISDIR || err == ENOTEMPTY || err == EEXIST) {
      return fail(ErrorCode::kAlreadyExists, label() + ": the name is taken by a directory");
    }
    return ioError("cannot move the upload into place as " + label(), err);
  }
  pieces_.clear();
  seen_.clear();
  return ok();
}

bool Upload::active() {
  MutexLock lock(mu_);
  return !done_;
}

void Upload::abort() {
  MutexLock lock(mu_);
  if (done_) return;
  done_ = true;
  file_ = Fd();
  ::unlinkat(dir_.get(), temp_.c_str(), 0);
}

}  // namespace stratus::providers::fs
