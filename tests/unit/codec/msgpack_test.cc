// The msgpack encoder/decoder and the contract structs: byte layouts as rmp-serde writes them, tolerance for the
// forms real actors send, and clear errors on bad input.
#include <gtest/gtest.h>

#include "stratus/codec/core.h"
#include "stratus/codec/extras.h"
#include "stratus/codec/http.h"
#include "stratus/codec/keyvalue.h"
#include "stratus/codec/msgpack.h"
#include "stratus/codec/telnet.h"

namespace stratus::codec {
namespace {

Bytes hex(std::string_view h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(MsgpackTest, WriterUsesTheSmallestEncodings) {
  Writer w;
  w.uint(0).uint(127).uint(128).uint(256).uint(65536).uint(1ull << 32);
  EXPECT_EQ(w.take(), hex("007fcc80cd0100ce00010000cf0000000100000000"));
  w.sint(-1).sint(-32).sint(-33).sint(-129).sint(-32769).sint(INT64_MIN).sint(5);
  EXPECT_EQ(w.take(), hex("ffe0d0dfd1ff7fd2ffff7fffd3800000000000000005"));
  w.str("").str(std::string(31, 'a')).str(std::string(32, 'a'));
  Bytes b = w.take();
  EXPECT_EQ(b[0], 0xa0);
  EXPECT_EQ(b[1], 0xbf);
  EXPECT_EQ(b[33], 0xd9);
  EXPECT_EQ(b[34], 32);
  w.bin(Bytes{1, 2}).boolean(true).boolean(false).nil().mapHeader(16).arrayHeader(15);
  EXPECT_EQ(w.take(), hex("c4020102c3c2c0de00109f"));
}

TEST(MsgpackTest, DecodesEveryTypeAndRoundTrips) {
  Writer w;
  w.mapHeader(7).str("n").sint(-5).str("u").uint(300).str("f").f64(1.5).str("s").str("text");
  w.str("b").bin(Bytes{0, 255}).str("a").arrayHeader(2).boolean(true).nil().str("m").mapHeader(1).str("k").str("v");
  auto v = decode(w.bytes());
  ASSERT_TRUE(v) << v.error().toString();
  EXPECT_EQ(*v->find("n")->asInt("n"), -5);
  EXPECT_EQ(*v->find("u")->asUInt("u"), 300u);
  EXPECT_EQ(*v->find("f")->asFloat("f"), 1.5);
  EXPECT_EQ(*v->find("s")->asString("s"), "text");
  EXPECT_EQ(*v->find("b")->asBytes("b"), (Bytes{0, 255}));
  EXPECT_EQ(v->find("a")->items().size(), 2u);
  EXPECT_EQ(v->find("m")->asStringMap("m")->at("k"), "v");
  EXPECT_EQ(v->find("missing"), nullptr);
}

TEST(MsgpackTest, BytesAcceptSerdesArrayOfIntegers) {
  // serde serializes Vec<u8> without serde_bytes as an array of integers.
  auto v = decode(hex("93010203"));
  ASSERT_TRUE(v);
  EXPECT_EQ(*v->asBytes("body"), (Bytes{1, 2, 3}));
  auto bad = decode(hex("92cd0100ff"));
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->asBytes("body"));
}

TEST(MsgpackTest, AnArrayOfByteValuesIsKeptPackedYetReadsAsItems) {
  // Positive fixints and uint8s: a byte per item, however long the array.
  auto packed = decode(hex("94007fccffcc80"));
  ASSERT_TRUE(packed);
  EXPECT_EQ(packed->type(), Value::Type::kArray);
  EXPECT_TRUE(packed->isByteArray());
  EXPECT_EQ(*packed->asBytes("msg"), (Bytes{0x00, 0x7f, 0xff, 0x80}));
  ASSERT_EQ(packed->items().size(), 4u);
  EXPECT_EQ(*packed->items()[2].asUInt("item"), 255u);
  EXPECT_FALSE(packed->asString("msg"));  // still an array, not a string

  // Anything else in it (a negative fixint, a uint16, a string) and it is an ordinary array.
  for (const char* mixed : {"9301ff02", "9201cd0100", "9201a161"}) {
    auto v = decode(hex(mixed));
    ASSERT_TRUE(v) << mixed;
    EXPECT_FALSE(v->isByteArray()) << mixed;
    EXPECT_EQ(v->items().size(), std::string_view(mixed).substr(0, 2) == "93" ? 3u : 2u) << mixed;
  }
  // Truncated inside the bytes: an error, as before.
  EXPECT_FALSE(decode(hex("930102")));
  EXPECT_FALSE(decode(hex("9201cc")));
}

TEST(MsgpackTest, RejectsTruncatedTrailingDeepAndLyingInput) {
  auto truncated = decode(hex("a5616263"));
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("truncated at offset 1"), std::string::npos) << truncated.error().message;
  auto trailing = decode(hex("0102"));
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message.find("trailing"), std::string::npos);
  auto reserved = decode(hex("c1"));
  ASSERT_FALSE(reserved);
  EXPECT_NE(reserved.error().message.find("0xc1"), std::string::npos);
  Bytes deep(100, 0x91);
  deep.push_back(0x00);
  auto too_deep = decode(deep);
  ASSERT_FALSE(too_deep);
  EXPECT_NE(too_deep.error().message.find("nesting"), std::string::npos);
  // An array header claiming 4 billion items in a 5-byte input must fail fast, not allocate.
  auto lying = decode(hex("ddffffffff"));
  ASSERT_FALSE(lying);
  EXPECT_NE(lying.error().message.find("claims"), std::string::npos);
  EXPECT_FALSE(decode(Bytes{}));
}

TEST(CoreCodecTest, CapabilityConfigurationRoundTripsAndNamesBadFields) {
  CapabilityConfiguration c{"MACTOR", {{"PORT", "8080"}}};
  auto back = decodeCapabilityConfiguration(encode(c));
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(back->module, "MACTOR");
  EXPECT_EQ(back->values.at("PORT"), "8080");
  Writer w;
  w.mapHeader(2).str("module").uint(5).str("values").mapHeader(0);
  auto bad = decodeCapabilityConfiguration(w.bytes());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("CapabilityConfiguration.module"), std::string::npos) << bad.error().message;
  EXPECT_EQ(encode(HealthResponse{true, ""}), hex("82a76865616c746879c3a76d657373616765a0"));
}

TEST(HttpCodecTest, RequestAndResponseUseWasmCloudFieldNames) {
  HttpRequest req{"GET", "/a", "x=1", {{"accept", "*/*"}}, Bytes{'b'}};
  auto v = decode(encode(req));
  ASSERT_TRUE(v);
  ASSERT_EQ(v->entries().size(), 5u);
  const char* order[] = {"method", "path", "queryString", "header", "body"};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(*v->entries()[i].first.asString("k"), order[i]);
  EXPECT_EQ(v->find("body")->type(), Value::Type::kBin);

  Writer w;  // as a Rust actor sends it: statusCode as a small uint, body as bin
  w.mapHeader(4).str("statusCode").uint(404).str("status").str("Not Found").str("header").mapHeader(0);
  w.str("body").bin(Bytes{'n', 'o'});
  auto resp = decodeHttpResponse(w.bytes());
  ASSERT_TRUE(resp) << resp.error().toString();
  EXPECT_EQ(resp->status_code, 404u);
  EXPECT_EQ(resp->status, "Not Found");
  Writer bad;
  bad.mapHeader(1).str("statusCode").uint(70000);
  EXPECT_FALSE(decodeHttpResponse(bad.bytes()));
}

TEST(KeyValueCodecTest, EachOpCarriesItsOwnFields) {
  KeyValueRequest add{.op = KeyValueOp::kAdd, .key = "k", .amount = -3};
  auto back = decodeKeyValueRequest(KeyValueOp::kAdd, encode(add));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->amount, -3);
  KeyValueRequest set{.op = KeyValueOp::kSet, .key = "k", .value = "v", .expires = 60};
  back = decodeKeyValueRequest(KeyValueOp::kSet, encode(set));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->value, "v");
  EXPECT_EQ(back->expires, 60);
  KeyValueRequest uni{.op = KeyValueOp::kSetUnion, .keys = {"a", "b"}};
  back = decodeKeyValueRequest(KeyValueOp::kSetUnion, encode(uni));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->keys, (std::vector<std::string>{"a", "b"}));

  Writer big;
  big.mapHeader(2).str("key").str("k").str("value").sint(int64_t{1} << 40);
  auto out_of_range = decodeKeyValueRequest(KeyValueOp::kAdd, big.bytes());
  ASSERT_FALSE(out_of_range);
  EXPECT_NE(out_of_range.error().message.find("keyvalue Add.value"), std::string::npos);
  Writer nokey;
  nokey.mapHeader(0);
  EXPECT_FALSE(decodeKeyValueRequest(KeyValueOp::kGet, nokey.bytes()));
  EXPECT_FALSE(keyValueOpFromName("Frobnicate"));
  EXPECT_EQ(*keyValueOpFromName("ListItemDelete"), KeyValueOp::kListItemDelete);
  EXPECT_EQ(encodeListResponse(2), hex("81a86e6577436f756e7402"));
  EXPECT_EQ(encodeSetOperationResponse(1), hex("81a96e65775f636f756e7401"));
}

TEST(ExtrasCodecTest, ResultKeysKeepWasmCloudsMixedCasing) {
  GeneratorResult r{std::nullopt, 7, 3};
  auto v = decode(encode(r));
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->find("guid")->isNil());
  EXPECT_EQ(*v->find("sequenceNumber")->asUInt("s"), 7u);
  EXPECT_EQ(*v->find("random_number")->asUInt("r"), 3u);
}

TEST(TelnetCodecTest, SessionStartedHasOnlyTheSession) {
  auto v = decode(encode(TelnetText{"s1", "ignored"}, false));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->entries().size(), 1u);
  auto result = decodeTelnetResult(encode(TelnetResult{false, "gone"}));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->error, "gone");
}

}  // namespace
}  // namespace stratus::codec
