// Wording shared by the two wasmcloud:keyvalue providers (in memory and Redis), whose errors must read the same:
// the conformance suite runs one set of expectations against both. Header-only.
#pragma once

#include <string>
#include <string_view>

#include "stratus/codec/keyvalue.h"

namespace stratus::providers {

/// `s` in single quotes; keys and values may be large, so at most 64 bytes of them, then "...' (N bytes)".
inline std::string quoteValue(std::string_view s) {
  constexpr size_t kMax = 64;
  // Appended piecewise: GCC 12 -O3 warns falsely (-Wrestrict) on "'" + std::string(...).
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() <= kMax) return out += '\'';
  out += "...' (";
  out += std::to_string(s.size());
  out += " bytes)";
  return out;
}

/// "<Op> on key '<key>'", the subject of keyvalue error messages.
inline std::string keyOperation(codec::KeyValueOp op, std::string_view key) {
  std::string out(codec::keyValueOpName(op));
  out += " on key ";
  out += quoteValue(key);
  return out;
}

}  // namespace stratus::providers
