#include "stratus/common/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

namespace stratus {

namespace fs = std::filesystem;

std::string defaultCacheDir(std::string_view component) {
  std::string base;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    base = std::string(xdg) + "/stratus/";
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    base = std::string(home) + "/.cache/stratus/";
  } else {
    const char* tmp = std::getenv("TMPDIR");
    base = std::string(tmp && *tmp ? tmp : "/tmp") + "/stratus-cache/";
  }
  return base + std::string(component);
}

Expected<Bytes> readFileBytes(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                "cannot read " + path.string() + ": " + std::strerror(err));
  }
  Bytes bytes;
  uint8_t buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return fail(ErrorCode::kIo, "cannot read " + path.string() + ": " + std::strerror(err));
    }
    bytes.insert(bytes.end(), buf, buf + n);
  }
  ::close(fd);
  return bytes;
}

int writeAll(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

Expected<void> writeFileAtomically(const fs::path& path, std::span<const uint8_t> bytes, fs::perms permissions) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return fail(ErrorCode::kIo, "cannot create directory " + path.parent_path().string() + ": " + ec.message());
  fs::path tmp = path;
  tmp += ".tmp" + std::to_string(::getpid()) + "." + std::to_string(std::random_device{}());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::kIo, "cannot write " + tmp.string() + ": " + std::strerror(errno));
  if (const int err = writeAll(fd, bytes); err != 0) {
    ::close(fd);
    fs::remove(tmp, ec);
    return fail(ErrorCode::kIo, "cannot write " + tmp.string() + ": " + std::strerror(err));
  }
  if (::close(fd) != 0) {
    const int err = errno;
    fs::remove(tmp, ec);
    return fail(ErrorCode::kIo, "cannot write " + tmp.string() + ": " + std::strerror(err));
  }
  fs::permissions(tmp, permissions, ec);
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return fail(ErrorCode::kIo, "cannot move " + tmp.string() + " into place at " + path.string() + ": " + ec.message());
  }
  return ok();
}

}  // namespace stratus
