// wasmcloud:messaging structs: the bytes rmp-serde writes for actor-interfaces' generated PublishArgs, RequestArgs,
// PublishResponse and BrokerMessage (with_struct_map, serde_bytes bodies), tolerance for what actors send, errors.
#include <gtest/gtest.h>

#include "stratus/codec/messaging.h"
#include "stratus/codec/msgpack.h"

namespace stratus::codec {
namespace {

Bytes hex(std::string_view h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Keys as fixstr: the marker and the ASCII bytes.
constexpr std::string_view kSubject = "a77375626a656374";  // "subject"
constexpr std::string_view kReplyTo = "a77265706c79546f";  // "replyTo"
constexpr std::string_view kBody = "a4626f6479";           // "body"
constexpr std::string_view kTimeout = "a774696d656f7574";  // "timeout"

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out.append(p);
  return out;
}

TEST(MessagingCodecTest, PublishArgsBytesAsRmpSerdeWritesThem) {
  // {subject: "a.b", replyTo: "", body: bin [1, 2]}
  const Bytes expected = hex(cat({"83", kSubject, "a3612e62", kReplyTo, "a0", kBody, "c4020102"}));
  EXPECT_EQ(encode(PublishArgs{"a.b", "", Bytes{1, 2}}), expected);
  auto back = decodePublishArgs(expected);
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(back->subject, "a.b");
  EXPECT_EQ(back->reply_to, "");
  EXPECT_EQ(back->body, (Bytes{1, 2}));

  auto with_reply = decodePublishArgs(encode(PublishArgs{"s", "_INBOX.x", Bytes{'h', 'i'}}));
  ASSERT_TRUE(with_reply);
  EXPECT_EQ(with_reply->reply_to, "_INBOX.x");
}

TEST(MessagingCodecTest, RequestArgsCarryTheTimeoutAsTheSmallestInteger) {
  // {subject: "q", body: bin [], timeout: 1500} — rmp writes a non-negative i64 as uint16 here.
  const Bytes expected = hex(cat({"83", kSubject, "a171", kBody, "c400", kTimeout, "cd05dc"}));
  EXPECT_EQ(encode(RequestArgs{"q", {}, 1500}), expected);
  auto back = decodeRequestArgs(expected);
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(back->subject, "q");
  EXPECT_TRUE(back->body.empty());
  EXPECT_EQ(back->timeout_ms, 1500);

  auto negative = decodeRequestArgs(encode(RequestArgs{"q", {}, -5}));
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->timeout_ms, -5);
}

TEST(MessagingCodecTest, PublishResponseAndBrokerMessage) {
  EXPECT_EQ(encode(PublishResponse{true}), hex("81a97075626c6973686564c3"));
  auto published = decodePublishResponse(hex("81a97075626c6973686564c2"));
  ASSERT_TRUE(published);
  EXPECT_FALSE(published->published);

  // {subject: "s", replyTo: "r", body: bin "x"}: the payload of HandleMessage and the reply of Request.
  const Bytes expected = hex(cat({"83", kSubject, "a173", kReplyTo, "a172", kBody, "c40178"}));
  EXPECT_EQ(encode(BrokerMessage{"s", "r", Bytes{'x'}}), expected);
  auto msg = decodeBrokerMessage(expected);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->subject, "s");
  EXPECT_EQ(msg->reply_to, "r");
  EXPECT_EQ(msg->body, Bytes{'x'});
}

TEST(MessagingCodecTest, ToleratesWhatOtherEncodersSend) {
  // replyTo nil or absent, body as an array of integers (serde Vec<u8> without serde_bytes) or as a str.
  Writer w;
  w.mapHeader(3).str("subject").str("s").str("replyTo").nil().str("body").arrayHeader(2).uint(7).uint(255);
  auto a = decodePublishArgs(w.bytes());
  ASSERT_TRUE(a) << a.error().toString();
  EXPECT_EQ(a->reply_to, "");
  EXPECT_EQ(a->body, (Bytes{7, 255}));

  Writer s;
  s.mapHeader(2).str("body").str("text").str("subject").str("s");  // any key order
  auto m = decodeBrokerMessage(s.bytes());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->body, (Bytes{'t', 'e', 'x', 't'}));

  Writer r;  // no timeout: 0, which the provider turns into its default
  r.mapHeader(2).str("subject").str("s").str("body").bin(Bytes{});
  auto req = decodeRequestArgs(r.bytes());
  ASSERT_TRUE(req);
  EXPECT_EQ(req->timeout_ms, 0);
}

TEST(MessagingCodecTest, BadInputNamesTheStructAndField) {
  auto not_map = decodePublishArgs(hex("93010203"));
  ASSERT_FALSE(not_map);
  EXPECT_NE(not_map.error().message.find("messaging Publish"), std::string::npos) << not_map.error().message;

  Writer no_subject;
  no_subject.mapHeader(1).str("body").bin(Bytes{1});
  auto missing = decodePublishArgs(no_subject.bytes());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("messaging Publish.subject"), std::string::npos) << missing.error().message;
  auto missing_req = decodeRequestArgs(no_subject.bytes());
  ASSERT_FALSE(missing_req);
  EXPECT_NE(missing_req.error().message.find("messaging Request.subject"), std::string::npos);

  Writer bad_timeout;
  bad_timeout.mapHeader(2).str("subject").str("s").str("timeout").str("soon");
  auto t = decodeRequestArgs(bad_timeout.bytes());
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("timeout"), std::string::npos) << t.error().message;
  EXPECT_EQ(t.error().code, ErrorCode::kMalformed);

  Writer bad_body;
  bad_body.mapHeader(2).str("subject").str("s").str("body").boolean(true);
  auto b = decodeBrokerMessage(bad_body.bytes());
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("BrokerMessage.body"), std::string::npos) << b.error().message;

  EXPECT_FALSE(decodeBrokerMessage(hex("c1")));                  // reserved byte
  EXPECT_FALSE(decodePublishResponse(hex("81a97075626c6973")));  // truncated
}

}  // namespace
}  // namespace stratus::codec
