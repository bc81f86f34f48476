// Test helpers for the Rust-ABI test providers the build makes with every rustc on the machine
// (tests/providers/CMakeLists.txt: STRATUS_RUST_PROVIDER_DIR, STRATUS_RUST_PROVIDER_VERSIONS).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stratus::testing {

/// The rustc versions the providers were built with, from the comma-separated list the build passes.
inline std::vector<std::string> rustProviderVersions(std::string_view csv) {
  std::vector<std::string> out;
  while (!csv.empty()) {
    const size_t comma = csv.find(',');
    std::string_view v = csv.substr(0, comma);
    if (!v.empty()) out.emplace_back(v);
    csv = comma == std::string_view::npos ? std::string_view() : csv.substr(comma + 1);
  }
  return out;
}

/// A gtest parameter name for a rustc version: "rustc_1_63_0".
inline std::string rustcTestName(const std::string& version) {
  std::string name = "rustc_" + version;
  for (char& c : name) c = (c == '.') ? '_' : c;
  return name;
}

}  // namespace stratus::testing
