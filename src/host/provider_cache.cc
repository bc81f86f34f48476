#include "host/provider_cache.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace stratus::host {

namespace fs = std::filesystem;

std::string defaultProviderCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/stratus/providers";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/stratus/providers";
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/stratus-cache/providers";
}

namespace {

bool sameContents(const fs::path& path, std::span<const uint8_t> bytes) {
  std::error_code ec;
  if (fs::file_size(path, ec) != bytes.size() || ec) return false;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> existing((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return existing.size() == bytes.size() && std::memcmp(existing.data(), bytes.data(), bytes.size()) == 0;
}

}  // namespace

Expected<std::string> cacheProviderLibrary(const std::string& dir, const std::string& public_key, int32_t revision,
                                           const std::string& target, std::span<const uint8_t> library) {
  const fs::path folder = fs::path(dir) / public_key / std::to_string(revision);
  const fs::path path = folder / (target + ".so");
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot create provider cache directory " + folder.string() + ": " + ec.message());
  if (sameContents(path, library)) return path.string();

  const fs::path tmp = folder / (target + ".so.tmp" + std::to_string(::getpid()) + "." +
                                 std::to_string(std::random_device{}()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(library.data()), static_cast<std::streamsize>(library.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      return fail(ErrorCode::kIo, "cannot write provider library " + tmp.string() + ": " + std::strerror(errno));
    }
  }
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_exec, ec);
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return fail(ErrorCode::kIo, "cannot move provider library into place at " + path.string() + ": " + ec.message());
  }
  return path.string();
}

}  // namespace stratus::host
