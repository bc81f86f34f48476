#include "stratus/codec/messaging.h"

#include "codec/decode_util.h"

namespace stratus::codec {
namespace {

Expected<void> requireSubject(const StructReader& r, const std::string& subject) {
  if (subject.empty()) return fail(ErrorCode::kMalformed, r.context() + ".subject is missing or empty");
  return ok();
}

}  // namespace

Bytes encode(const PublishArgs& v) {
  Writer w;
  w.mapHeader(3).str("subject").str(v.subject).str("replyTo").str(v.reply_to).str("body").bin(v.body);
  return w.take();
}

Bytes encode(const PublishResponse& v) {
  Writer w;
  w.mapHeader(1).str("published").boolean(v.published);
  return w.take();
}

Bytes encode(const RequestArgs& v) {
  Writer w;
  w.mapHeader(3).str("subject").str(v.subject).str("body").bin(v.body).str("timeout").sint(v.timeout_ms);
  return w.take();
}

Bytes encode(const BrokerMessage& v) {
  Writer w;
  w.mapHeader(3).str("subject").str(v.subject).str("replyTo").str(v.reply_to).str("body").bin(v.body);
  return w.take();
}

Expected<PublishArgs> decodePublishArgs(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<PublishArgs>(bytes, "messaging Publish",
                                           [](const StructReader& r, PublishArgs& out) -> Expected<void> {
                                             STRATUS_FIELD(out.subject, r.str("subject"));
                                             STRATUS_FIELD(out.reply_to, r.str("replyTo"));
                                             STRATUS_FIELD(out.body, r.bytes("body"));
                                             return requireSubject(r, out.subject);
                                           });
}

Expected<PublishResponse> decodePublishResponse(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<PublishResponse>(bytes, "PublishResponse",
                                               [](const StructReader& r, PublishResponse& out) -> Expected<void> {
                                                 STRATUS_FIELD(out.published, r.boolean("published"));
                                                 return ok();
                                               });
}

Expected<RequestArgs> decodeRequestArgs(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<RequestArgs>(bytes, "messaging Request",
                                           [](const StructReader& r, RequestArgs& out) -> Expected<void> {
                                             STRATUS_FIELD(out.subject, r.str("subject"));
                                             STRATUS_FIELD(out.body, r.bytes("body"));
                                             STRATUS_FIELD(out.timeout_ms, r.int64("timeout"));
                                             return requireSubject(r, out.subject);
                                           });
}

Expected<BrokerMessage> decodeBrokerMessage(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<BrokerMessage>(bytes, "BrokerMessage",
                                             [](const StructReader& r, BrokerMessage& out) -> Expected<void> {
                                               STRATUS_FIELD(out.subject, r.str("subject"));
                                               STRATUS_FIELD(out.reply_to, r.str("replyTo"));
                                               STRATUS_FIELD(out.body, r.bytes("body"));
                                               return ok();
                                             });
}

}  // namespace stratus::codec
