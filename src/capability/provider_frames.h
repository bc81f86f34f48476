// The protocol between a host and a provider running in a child process (docs/providers.md, "Isolation"): frames
// over a stream socket, each `u32 length | u8 type | u64 id | fields`, every field `u32 length | bytes`, all
// little-endian. Calls and dispatches carry ids so that many run at once in both directions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::capability::frames {

enum class Type : uint8_t {
  // child -> host
  kReady = 1,       ///< [capability id, name, abi description]: the provider is loaded
  kLoadFailed = 2,  ///< [message]: it is not; the child exits
  kReply = 3,       ///< id of a kCall / kConfigure; [status, bytes or error message] (see writeReply)
  kDispatch = 4,    ///< new id; [actor, operation, msg]: the provider calls an actor
  kLog = 5,         ///< [level as one byte, text]
  // host -> child
  kCall = 10,           ///< new id; [actor, operation, msg]
  kConfigure = 11,      ///< new id; []: call configure_dispatch (dispatches then arrive as kDispatch)
  kDispatchReply = 12,  ///< id of a kDispatch; [status, bytes or error message] (see writeReply)
  kStop = 13,           ///< new id; []: stop the provider, reply, exit
};

struct Frame {
  Type type = Type::kReply;
  uint64_t id = 0;
  std::vector<std::string> fields;
};

/// The largest frame either side accepts (a payload of a provider call is bounded well below).
inline constexpr uint32_t kMaxFrameBytes = 1u << 30;

/// Writes one frame to `fd` (blocking, all or an error). Not thread-safe per fd: callers serialize writers.
/// Errors: kUnavailable when the peer is gone (EPIPE, ECONNRESET), kIo otherwise.
Expected<void> write(int fd, Type type, uint64_t id, std::initializer_list<std::string_view> fields);

/// Reads one frame from `fd` (blocking). Errors: kUnavailable at end of stream (the peer exited), kMalformed for a
/// frame that breaks the format (naming what), kIo otherwise.
Expected<Frame> read(int fd);

/// Writes a reply (kReply, kDispatchReply) carrying `result`: status "ok" and the bytes, or the ErrorCode's number
/// and the message, so that an error keeps its code across the socket.
Expected<void> writeReply(int fd, Type type, uint64_t id, const Expected<Bytes>& result);
/// The result a reply carries. kMalformed for a reply that breaks the format.
Expected<Bytes> replyOf(const Frame& frame);
inline std::span<const uint8_t> bytesOf(const std::string& field) {
  return {reinterpret_cast<const uint8_t*>(field.data()), field.size()};
}
inline std::string_view view(std::span<const uint8_t> b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace stratus::capability::frames
