// wasmcloud:telnet messages.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::codec {

inline constexpr std::string_view kTelnetContract = "wasmcloud:telnet";
inline constexpr std::string_view kOpSendText = "SendText";              ///< actor → provider
inline constexpr std::string_view kOpSessionStarted = "SessionStarted";  ///< provider → actor
inline constexpr std::string_view kOpReceiveText = "ReceiveText";        ///< provider → actor

/// SessionStarted {session}, ReceiveText and SendText {session, text} (text empty for SessionStarted).
struct TelnetText {
  std::string session;
  std::string text;
};

/// Reply of every telnet operation: {success, error?}.
struct TelnetResult {
  bool success = true;
  std::optional<std::string> error;
};

/// Encodes {session} when `with_text` is false (SessionStarted), else {session, text}.
Bytes encode(const TelnetText& v, bool with_text);
Bytes encode(const TelnetResult& v);
Expected<TelnetText> decodeTelnetText(std::span<const uint8_t> bytes);
Expected<TelnetResult> decodeTelnetResult(std::span<const uint8_t> bytes);

}  // namespace stratus::codec
