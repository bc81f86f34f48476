#include "capability/rust_toolchain.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstring>

namespace stratus::capability {
namespace {

// The rustup releases whose source paths may be the only version mark in their binaries (no producer string when
// built without debug info), by the commit prefix `rustc --version` prints ("rustc 1.48.0 (7eac88abb 2020-11-16)").
struct KnownCommit {
  std::string_view prefix;
  RustVersion version;
};
constexpr std::array kKnownCommits{
    KnownCommit{"18bf6b4f0", {1, 47, 0}},
    KnownCommit{"7eac88abb", {1, 48, 0}},
    KnownCommit{"4b91a6ea7", {1, 63, 0}},
    KnownCommit{"59807616e", {1, 95, 0}},
};

// Parses "X.Y.Z" at the start of `s`.
std::optional<RustVersion> parseVersion(std::string_view s) {
  RustVersion v;
  int* parts[] = {&v.major, &v.minor, &v.patch};
  size_t i = 0;
  for (int k = 0; k < 3; ++k) {
    if (k > 0) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
    size_t start = i;
    int n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < 6) n = n * 10 + (s[i++] - '0');
    if (i == start) return std::nullopt;
    *parts[k] = n;
  }
  return v;
}

// Calls `fn(rest)` for every occurrence of `needle`, with the bytes after it, until fn returns true.
template <typename Fn>
bool forEach(std::string_view bytes, std::string_view needle, Fn fn) {
  for (size_t at = bytes.find(needle); at != std::string_view::npos; at = bytes.find(needle, at + 1)) {
    if (fn(bytes.substr(at + needle.size()))) return true;
  }
  return false;
}

bool isHex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

}  // namespace

std::string RustVersion::text() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

RustTraces findRustTraces(std::string_view bytes) {
  RustTraces t;
  auto found = [&](std::optional<RustVersion> v, std::string how) {
    if (!v) return false;
    t.built_by_rustc = true;
    t.version = v;
    t.evidence = std::move(how);
    return true;
  };
  if (forEach(bytes, "rustc version ",
              [&](std::string_view rest) { return found(parseVersion(rest), "the string 'rustc version'"); }) ||
      forEach(bytes, "/usr/src/rustc-",
              [&](std::string_view rest) { return found(parseVersion(rest), "Debian's rustc source paths"); })) {
    return t;
  }
  std::string unknown;
  forEach(bytes, "/rustc/", [&](std::string_view rest) {
    std::string_view commit = rest.substr(0, 40);
    if (commit.size() != 40 || !isHex(commit) || rest.substr(40, 1) != "/") return false;
    t.built_by_rustc = true;
    for (const auto& known : kKnownCommits) {
      if (commit.starts_with(known.prefix)) return found(known.version, "the rustup commit " + std::string(commit));
    }
    unknown = std::string(commit);
    return false;
  });
  if (!t.version) {
    t.evidence = t.built_by_rustc ? "its standard library paths name rustc commit " + unknown +
                                        ", which is not a release known to stratus"
                                  : "no trace of rustc";
  }
  return t;
}

Expected<RustTraces> readRustTraces(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::kIo, "cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return fail(ErrorCode::kIo, "cannot read " + path + ": empty or unreadable");
  }
  void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return fail(ErrorCode::kIo, "cannot map " + path + ": " + std::strerror(errno));
  RustTraces t = findRustTraces(std::string_view(static_cast<const char*>(map), static_cast<size_t>(st.st_size)));
  ::munmap(map, static_cast<size_t>(st.st_size));
  return t;
}

}  // namespace stratus::capability
