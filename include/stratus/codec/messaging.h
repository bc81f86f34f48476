// wasmcloud:messaging messages (0.18 era).
//
// Field names and casing follow wasmCloud/actor-interfaces messaging/messaging.widl:
//   Publish(subject: string, replyTo: string, body: bytes): PublishResponse
//   Request(subject: string, body: bytes, timeout: i64): BrokerMessage
//   HandleMessage{message: BrokerMessage}: void
//   type PublishResponse { published: bool }
//   type BrokerMessage { subject: string, replyTo: string, body: bytes }
// and its generated Rust (messaging/rust/src/generated.rs): PublishArgs {subject, replyTo, body}, RequestArgs
// {subject, body, timeout}, every `body` a `serde_bytes` bin, every struct serialized with rmp-serde
// `with_struct_map()`. `HandleMessage{message: …}` is a unary operation: its payload is the BrokerMessage itself,
// not a map wrapping it, and the actor answers `()` (msgpack nil). waSCC called the actor operation
// `DeliverMessage`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::codec {

inline constexpr std::string_view kMessagingContract = "wasmcloud:messaging";
/// Actor → provider: publish a message.
inline constexpr std::string_view kOpPublish = "Publish";
/// Actor → provider: send a request and wait for one reply. (Same wire name as httpclient's kOpPerformRequest.)
inline constexpr std::string_view kOpMessagingRequest = "Request";
/// Provider → actor: a message arrived on one of the actor's subscriptions.
inline constexpr std::string_view kOpHandleMessage = "HandleMessage";

/// Arguments of Publish: {subject, replyTo, body}. `reply_to` is empty when no reply is expected.
struct PublishArgs {
  std::string subject;
  std::string reply_to;  ///< `replyTo`
  Bytes body;
};

/// Reply of Publish: {published}.
struct PublishResponse {
  bool published = false;
};

/// Arguments of Request: {subject, body, timeout}.
struct RequestArgs {
  std::string subject;
  Bytes body;
  int64_t timeout_ms = 0;  ///< `timeout`, milliseconds
};

/// A message: the payload of HandleMessage and the reply of Request. {subject, replyTo, body}.
struct BrokerMessage {
  std::string subject;
  std::string reply_to;  ///< `replyTo`; empty when the sender expects no reply
  Bytes body;
};

Bytes encode(const PublishArgs& v);
Bytes encode(const PublishResponse& v);
Bytes encode(const RequestArgs& v);
Bytes encode(const BrokerMessage& v);

/// Decoders for untrusted bytes. Absent or nil fields take their defaults (`replyTo` ""), `body` may also be a str
/// or an array of integers 0..255. Errors: kMalformed naming the struct and field (wrong type, not a map, bad
/// msgpack); for PublishArgs and RequestArgs also a missing or empty `subject`.
Expected<PublishArgs> decodePublishArgs(std::span<const uint8_t> bytes);
Expected<PublishResponse> decodePublishResponse(std::span<const uint8_t> bytes);
Expected<RequestArgs> decodeRequestArgs(std::span<const uint8_t> bytes);
Expected<BrokerMessage> decodeBrokerMessage(std::span<const uint8_t> bytes);

}  // namespace stratus::codec
