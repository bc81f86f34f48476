// Engine backends as test parameters: `TEST_P` suites instantiated over engine::availableBackends() print and name
// each case by the backend's name ("interp", "aot").
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "stratus/engine/engine.h"

namespace stratus::engine {
inline void PrintTo(Backend backend, std::ostream* os) { *os << backendName(backend); }
}  // namespace stratus::engine

namespace stratus::testing {
/// The test name suffix of a backend parameter.
inline std::string backendParamName(const ::testing::TestParamInfo<engine::Backend>& info) {
  return std::string(engine::backendName(info.param));
}
}  // namespace stratus::testing
