#include "stratus/claims/nkeys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "claims/internal.h"

namespace stratus::claims {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// From nkeys 0.1.0 src/lib.rs (generated with the Go nkeys library).
constexpr std::string_view kSpecSeed = "SAAPN4W3EG6KCJGUQTKTJ5GSB5NHK5CHAJL4DBGFUM3HHROI4XUEP4OBK4";
constexpr std::string_view kSpecPublic = "ACODERUVFFAWZQDSS6SBIACUA5O6SXF7HJ3YTYXBALHZP3P7R4BUO4J2";

constexpr KeyType kAllTypes[] = {KeyType::kAccount, KeyType::kCluster, KeyType::kOperator, KeyType::kModule,
                                 KeyType::kServer,  KeyType::kService, KeyType::kUser};

// Replaces the character at `pos` with a different base32 character.
std::string tamper(std::string_view text, size_t pos) {
  std::string out(text);
  out[pos] = out[pos] == 'A' ? 'B' : 'A';
  return out;
}

// Encodes raw bytes the way nkeys does (payload + CRC-16 LE, base32), to build odd keys for error tests.
std::string encodeWithCrc(Bytes payload) {
  const uint16_t crc = crc16(payload);
  payload.push_back(static_cast<uint8_t>(crc & 0xFF));
  payload.push_back(static_cast<uint8_t>(crc >> 8));
  return internal::base32Encode(payload);
}

TEST(NKeys, Crc16Xmodem) {
  const std::string check = "123456789";
  EXPECT_EQ(crc16(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(check.data()), check.size())), 0x31C3);
  EXPECT_EQ(crc16({}), 0);
}

TEST(NKeys, SpecVectorSeedToPublicKey) {
  auto kp = KeyPair::fromSeed(kSpecSeed);
  ASSERT_TRUE(kp) << kp.error().toString();
  EXPECT_EQ(kp->type(), KeyType::kAccount);
  EXPECT_TRUE(kp->hasSeed());
  EXPECT_EQ(kp->publicKey(), kSpecPublic);
  auto seed = kp->seed();
  ASSERT_TRUE(seed);
  EXPECT_EQ(*seed, kSpecSeed);

  auto pub = KeyPair::fromPublicKey(kSpecPublic);
  ASSERT_TRUE(pub) << pub.error().toString();
  EXPECT_EQ(pub->type(), KeyType::kAccount);
  EXPECT_EQ(pub->rawPublicKey(), kp->rawPublicKey());
}

TEST(NKeys, RoundTripEveryType) {
  for (KeyType type : kAllTypes) {
    SCOPED_TRACE(std::string(keyTypeName(type)));
    auto kp = KeyPair::generate(type);
    ASSERT_TRUE(kp);
    EXPECT_EQ(kp->type(), type);
    const std::string pub = kp->publicKey();
    ASSERT_EQ(pub.size(), 56u);
    EXPECT_EQ(pub[0], keyTypePrefix(type));
    auto seed = kp->seed();
    ASSERT_TRUE(seed);
    ASSERT_EQ(seed->size(), 58u);
    EXPECT_EQ((*seed)[0], 'S');
    EXPECT_EQ((*seed)[1], keyTypePrefix(type));

    auto again = KeyPair::fromSeed(*seed);
    ASSERT_TRUE(again) << again.error().toString();
    EXPECT_EQ(again->type(), type);
    EXPECT_EQ(again->publicKey(), pub);

    auto verify_only = KeyPair::fromPublicKey(pub);
    ASSERT_TRUE(verify_only) << verify_only.error().toString();
    EXPECT_EQ(verify_only->type(), type);
    EXPECT_FALSE(verify_only->hasSeed());
    EXPECT_EQ(verify_only->publicKey(), pub);

    const std::string message = "hello, lattice";
    auto sig = kp->sign(message);
    ASSERT_TRUE(sig);
    EXPECT_TRUE(verify_only->verify(message, *sig));
    EXPECT_TRUE(again->verify(message, *sig));
    EXPECT_FALSE(verify_only->verify("hello, lattice!", *sig));
    Signature bad = *sig;
    bad[10] ^= 1;
    EXPECT_FALSE(verify_only->verify(message, bad));
    EXPECT_FALSE(verify_only->verify(message, std::span<const uint8_t>(sig->data(), 63)));
  }
}

TEST(NKeys, DifferentKeysDoNotVerifyEachOther) {
  auto a = KeyPair::generate(KeyType::kAccount);
  auto b = KeyPair::generate(KeyType::kAccount);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->publicKey(), b->publicKey());
  auto sig = a->sign("data");
  ASSERT_TRUE(sig);
  EXPECT_FALSE(b->verify("data", *sig));
}

TEST(NKeys, PublicOnlyKeyCannotSignOrRevealSeed) {
  auto pub = KeyPair::fromPublicKey(kSpecPublic);
  ASSERT_TRUE(pub);
  auto seed = pub->seed();
  ASSERT_FALSE(seed);
  EXPECT_EQ(seed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(seed.error().message, HasSubstr("no seed"));
  auto sig = pub->sign("x");
  ASSERT_FALSE(sig);
  EXPECT_THAT(sig.error().message, HasSubstr("cannot sign"));
}

TEST(NKeys, TamperedCharacterIsAChecksumError) {
  for (size_t pos : {size_t{0}, size_t{5}, size_t{30}, size_t{55}}) {
    SCOPED_TRACE(pos);
    auto pub = KeyPair::fromPublicKey(tamper(kSpecPublic, pos));
    ASSERT_FALSE(pub);
    EXPECT_EQ(pub.error().code, ErrorCode::kMalformed);
    EXPECT_THAT(pub.error().message, HasSubstr("checksum mismatch"));
  }
  for (size_t pos : {size_t{3}, size_t{20}, size_t{57}}) {
    SCOPED_TRACE(pos);
    auto seed = KeyPair::fromSeed(tamper(kSpecSeed, pos));
    ASSERT_FALSE(seed);
    EXPECT_EQ(seed.error().code, ErrorCode::kMalformed);
    EXPECT_THAT(seed.error().message, HasSubstr("checksum mismatch"));
  }
}

TEST(NKeys, WrongLength) {
  auto pub = KeyPair::fromPublicKey(kSpecPublic.substr(0, 55));
  ASSERT_FALSE(pub);
  EXPECT_EQ(pub.error().code, ErrorCode::kMalformed);
  EXPECT_THAT(pub.error().message, HasSubstr("must be 56 characters, got 55"));
  auto seed = KeyPair::fromSeed(std::string(kSpecSeed) + "A");
  ASSERT_FALSE(seed);
  EXPECT_THAT(seed.error().message, HasSubstr("must be 58 characters, got 59"));
  auto empty = KeyPair::fromSeed("");
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message, HasSubstr("got 0"));
}

TEST(NKeys, BadBase32Character) {
  std::string pub(kSpecPublic);
  pub[7] = '1';
  auto r = KeyPair::fromPublicKey(pub);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_THAT(r.error().message, HasSubstr("invalid base32 character '1' at position 7"));
  std::string seed(kSpecSeed);
  seed[10] = 'a';  // lowercase is not in the alphabet
  auto s = KeyPair::fromSeed(seed);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("invalid base32 character 'a' at position 10"));
}

TEST(NKeys, NonCanonicalLastCharacter) {
  // A seed's last character carries 3 data bits and 2 unused bits; only one spelling of the seed is accepted.
  std::string seed(kSpecSeed);
  ASSERT_EQ(seed.back(), '4');
  seed.back() = '5';
  auto r = KeyPair::fromSeed(seed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_THAT(r.error().message, HasSubstr("not canonical base32"));
}

TEST(NKeys, UnknownPrefix) {
  Bytes pub_payload(33, 0x11);
  pub_payload[0] = 1 << 3;  // 'B': not a key type
  auto pub = KeyPair::fromPublicKey(encodeWithCrc(pub_payload));
  ASSERT_FALSE(pub);
  EXPECT_EQ(pub.error().code, ErrorCode::kMalformed);
  EXPECT_THAT(pub.error().message, HasSubstr("unknown key type prefix 'B'"));

  Bytes seed_payload(34, 0x22);
  const uint8_t bogus = 1 << 3;
  seed_payload[0] = static_cast<uint8_t>((18 << 3) | (bogus >> 5));
  seed_payload[1] = static_cast<uint8_t>((bogus & 31) << 3);
  auto seed = KeyPair::fromSeed(encodeWithCrc(seed_payload));
  ASSERT_FALSE(seed);
  EXPECT_THAT(seed.error().message, HasSubstr("unknown key type prefix"));

  Bytes not_seed(34, 0x33);
  not_seed[0] = 12 << 3;  // 'M…' with seed length
  auto ns = KeyPair::fromSeed(encodeWithCrc(not_seed));
  ASSERT_FALSE(ns);
  EXPECT_THAT(ns.error().message, HasSubstr("not a seed"));
}

TEST(NKeys, SeedWhereAPublicKeyIsExpected) {
  auto r = KeyPair::fromPublicKey(kSpecSeed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_THAT(r.error().message, HasSubstr("got a seed"));
}

TEST(NKeys, ErrorsAreDistinct) {
  std::string bad_char(kSpecPublic);
  bad_char[3] = '0';
  Bytes unknown(33, 0);
  unknown[0] = 3 << 3;
  const std::string messages[] = {
      KeyPair::fromPublicKey("ABC").error().message,
      KeyPair::fromPublicKey(bad_char).error().message,
      KeyPair::fromPublicKey(tamper(kSpecPublic, 20)).error().message,
      KeyPair::fromPublicKey(encodeWithCrc(unknown)).error().message,
  };
  for (size_t i = 0; i < std::size(messages); ++i) {
    for (size_t j = i + 1; j < std::size(messages); ++j) EXPECT_NE(messages[i], messages[j]);
  }
}

TEST(NKeys, KeyTypeNames) {
  for (KeyType type : kAllTypes) {
    auto parsed = parseKeyType(keyTypeName(type));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(keyTypeName(KeyType::kModule), "module");
  EXPECT_EQ(keyTypeName(KeyType::kService), "service");
  EXPECT_EQ(*parseKeyType("Account"), KeyType::kAccount);
  EXPECT_EQ(*parseKeyType("actor"), KeyType::kModule);
  EXPECT_EQ(*parseKeyType("provider"), KeyType::kService);
  auto bad = parseKeyType("wizard");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.error().message, StartsWith("unknown key type 'wizard'"));
}

}  // namespace
}  // namespace stratus::claims
