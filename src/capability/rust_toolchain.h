// Which compiler built a provider library: read from the file before anything in it runs. The seeds' Rust
// providers and stratus's C providers share an entry-point name, and a Rust trait object's vtable layout depends on
// the rustc version, so the host reads both facts from the binary (docs/providers.md, "Telling the ABIs apart").
#pragma once

#include <optional>
#include <string>

#include "stratus/common/expected.h"

namespace stratus::capability {

struct RustVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;

  std::string text() const;  ///< "1.63.0"
  friend bool operator==(const RustVersion&, const RustVersion&) = default;
};

/// What a library's bytes say about the compiler that built it.
struct RustTraces {
  /// Any trace of rustc: its version string or the paths of its standard library's sources.
  bool built_by_rustc = false;
  /// The version, when the binary tells it (a version string, a Debian source path, or a known rustup commit).
  std::optional<RustVersion> version;
  /// Where the version came from, or why it is unknown (e.g. "unknown rustc commit 0123456789"), for errors.
  std::string evidence;
};

/// Scans the file at `path` for the marks rustc leaves: "rustc version X.Y.Z" (debug-info producer or .comment),
/// "/usr/src/rustc-X.Y.Z/" (Debian's builds) and "/rustc/<commit>/" (rustup's builds, mapped through the commits
/// of the releases known to stratus). Errors: kIo when the file cannot be read.
Expected<RustTraces> readRustTraces(const std::string& path);

/// The same scan over bytes already in memory.
RustTraces findRustTraces(std::string_view bytes);

}  // namespace stratus::capability
