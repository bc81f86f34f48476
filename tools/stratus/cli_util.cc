#include "cli_util.h"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>

#include "stratus/common/strings.h"

namespace stratus::cli {

Expected<Bytes> readFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return fail(ErrorCode::kIo, "cannot open " + path + ": " + std::strerror(errno));
  Bytes out;
  uint8_t buf[64 * 1024];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) return fail(ErrorCode::kIo, "cannot read " + path + ": " + std::strerror(err));
  return out;
}

Expected<void> writeFile(const std::string& path, const Bytes& bytes) {
  std::random_device rd;
  const std::string tmp = path + ".tmp" + std::to_string(rd() % 1000000);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return fail(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
  const bool wrote = bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  int err = errno;
  const bool closed = std::fclose(f) == 0;
  if (!closed && wrote) err = errno;
  if (!wrote || !closed) {
    std::remove(tmp.c_str());
    return fail(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    std::remove(tmp.c_str());
    return fail(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(err));
  }
  return ok();
}

std::string valueOrFile(const std::string& arg) {
  if (arg.empty()) return arg;
  auto content = readFile(arg);
  if (!content) return arg;
  return std::string(trim(std::string_view(reinterpret_cast<const char*>(content->data()), content->size())));
}

Expected<std::chrono::seconds> parseDuration(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return fail(ErrorCode::kInvalidArgument, "invalid duration '" + std::string(text) + "': " + why +
                                                 " (expected a number and a unit s, m, h or d, e.g. 30s, 10m, 2h, "
                                                 "7d, 1h30m)");
  };
  if (text.empty()) return bad("empty");
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return bad("expected a digit at position " + std::to_string(i));
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      const int digit = text[i] - '0';
      if (n > (kMax - digit) / 10) return bad("too large");
      n = n * 10 + digit;
      ++i;
    }
    if (i == text.size()) return bad("missing unit after " + std::to_string(n));
    int64_t unit;
    switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: return bad(std::string("unknown unit '") + text[i] + "'");
    }
    ++i;
    if (n > kMax / unit || total > kMax - n * unit) return bad("too large");
    total += n * unit;
  }
  return std::chrono::seconds(total);
}

void failCommand(const std::string& message, int exit_code) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  throw CLI::RuntimeError(exit_code);
}

}  // namespace stratus::cli
