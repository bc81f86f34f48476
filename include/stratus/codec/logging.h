// wasmcloud:logging messages.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::codec {

inline constexpr std::string_view kLoggingContract = "wasmcloud:logging";
inline constexpr std::string_view kOpWriteLog = "WriteLog";

/// WriteLog {target, level, text}; level is one of error, warn, info, debug, trace. The reply has no payload.
struct WriteLog {
  std::string target;
  std::string level;
  std::string text;
};

Bytes encode(const WriteLog& v);
Expected<WriteLog> decodeWriteLog(std::span<const uint8_t> bytes);

}  // namespace stratus::codec
