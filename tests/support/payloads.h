// Test helpers for building and reading waPC payloads.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::testing {

inline Bytes bytesOf(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string textOf(const Bytes& b) { return std::string(b.begin(), b.end()); }

/// The msgpack payload of the test actor's `HostCall` op: {binding, namespace, operation, payload: bin}.
inline Bytes hostCallPayload(std::string_view binding, std::string_view ns, std::string_view op,
                             const Bytes& payload) {
  nlohmann::json j = {{"binding", binding},
                      {"namespace", ns},
                      {"operation", op},
                      {"payload", nlohmann::json::binary(payload)}};
  return nlohmann::json::to_msgpack(j);
}

}  // namespace stratus::testing
