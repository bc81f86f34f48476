// Test helper: assembles WebAssembly text into a binary module with libwabt, so engine tests can state their
// modules inline.
#pragma once

#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::testing {

/// Assembles `wat` (one module in the text format); aborts the test binary on a syntax error.
Bytes wat2wasm(std::string_view wat);

}  // namespace stratus::testing
