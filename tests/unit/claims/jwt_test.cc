#include "stratus/claims/jwt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "stratus/claims/claims.h"

namespace stratus::claims {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kIat = 1619827200;  // 2021-05-01T00:00:00Z

std::string str(const Bytes& b) { return std::string(b.begin(), b.end()); }

KeyPair key(KeyType type) {
  auto kp = KeyPair::generate(type);
  EXPECT_TRUE(kp);
  return *kp;
}

ActorClaims sampleActor(const KeyPair& subject) {
  ActorClaims c;
  c.subject = subject.publicKey();
  c.issued_at = kIat;
  c.metadata.name = "Echo";
  c.metadata.hash = "ABCDEF";
  c.metadata.caps = {"wasmcloud:httpserver", "wasmcloud:keyvalue"};
  c.metadata.tags = {"demo"};
  c.metadata.rev = 3;
  c.metadata.ver = "0.3.4";
  c.metadata.call_alias = "echo";
  return c;
}

// Signs arbitrary header and claims text with `signer` (for tokens the encoder would never produce).
std::string rawToken(std::string_view header, std::string_view claims, const KeyPair& signer) {
  std::string input = base64UrlEncode(header) + "." + base64UrlEncode(claims);
  auto sig = signer.sign(input);
  EXPECT_TRUE(sig);
  return input + "." + base64UrlEncode(std::span<const uint8_t>(sig->data(), sig->size()));
}

TEST(Base64Url, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg"},          {"fo", "Zm8"},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64UrlEncode(plain), encoded);
    auto decoded = base64UrlDecode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(str(*decoded), plain);
  }
}

TEST(Base64Url, RejectsBadInput) {
  auto padded = base64UrlDecode("Zg==");
  ASSERT_FALSE(padded);
  EXPECT_THAT(padded.error().message, HasSubstr("padding is not allowed"));
  auto std_alphabet = base64UrlDecode("+/8");
  ASSERT_FALSE(std_alphabet);
  EXPECT_THAT(std_alphabet.error().message, HasSubstr("invalid base64url character '+' at position 0"));
  auto length = base64UrlDecode("Zm9vY");
  ASSERT_FALSE(length);
  EXPECT_THAT(length.error().message, HasSubstr("invalid base64url length 5"));
  auto non_canonical = base64UrlDecode("Zh");
  ASSERT_FALSE(non_canonical);
  EXPECT_THAT(non_canonical.error().message, HasSubstr("non-canonical"));
}

TEST(Jwt, HeaderIsExactlyWascaps) {
  EXPECT_EQ(base64UrlEncode(kJwtHeaderJson), "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0");
  auto issuer = key(KeyType::kAccount);
  auto token = encodeClaims(sampleActor(key(KeyType::kModule)), issuer);
  ASSERT_TRUE(token);
  EXPECT_THAT(*token, StartsWith("eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0."));
  auto parsed = parseToken(*token);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->header_json, kJwtHeaderJson);
}

TEST(Jwt, ClaimsJsonUsesSerdeFieldOrder) {
  ActorClaims c;
  c.expires = 1700000000;
  c.id = "ABCDEFGHIJKLMNOPQRSTUV";
  c.issued_at = 1600000000;
  c.issuer = "AISSUER";
  c.subject = "MSUBJECT";
  c.not_before = 1600000001;
  c.metadata.name = "n";
  c.metadata.hash = "H";
  c.metadata.tags = {"t"};
  c.metadata.caps = {"wasmcloud:keyvalue"};
  c.metadata.rev = 2;
  c.metadata.ver = "1.0";
  c.metadata.call_alias = "a/b";
  EXPECT_EQ(claimsToJson(c),
            R"({"exp":1700000000,"jti":"ABCDEFGHIJKLMNOPQRSTUV","iat":1600000000,"iss":"AISSUER","sub":"MSUBJECT",)"
            R"("nbf":1600000001,"wascap":{"name":"n","hash":"H","tags":["t"],"caps":["wasmcloud:keyvalue"],"rev":2,)"
            R"("ver":"1.0","call_alias":"a/b","prov":false}})");

  ActorClaims minimal;
  minimal.id = "X";
  minimal.issuer = "A";
  minimal.subject = "M";
  minimal.metadata.name = "m";
  EXPECT_EQ(claimsToJson(minimal),
            R"({"jti":"X","iat":0,"iss":"A","sub":"M","wascap":{"name":"m","hash":"","tags":[],"caps":[],)"
            R"("prov":false}})");
}

TEST(Jwt, EncodeSetsIssuerAndTokenId) {
  auto issuer = key(KeyType::kAccount);
  auto token = encodeClaims(sampleActor(key(KeyType::kModule)), issuer);
  ASSERT_TRUE(token);
  auto decoded = decodeClaims<ActorMetadata>(*token);
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(decoded->issuer, issuer.publicKey());
  ASSERT_EQ(decoded->id.size(), 22u);
  for (char ch : decoded->id) EXPECT_TRUE(std::isupper(static_cast<unsigned char>(ch)) || std::isdigit(ch));
  EXPECT_NE(generateTokenId(), generateTokenId());
}

TEST(Jwt, RoundTripAndVerify) {
  auto issuer = key(KeyType::kAccount);
  auto subject = key(KeyType::kModule);
  ActorClaims in = sampleActor(subject);
  in.expires = kIat + 3600;
  in.not_before = kIat - 10;
  auto token = encodeClaims(in, issuer);
  ASSERT_TRUE(token);
  auto out = verifyClaims<ActorMetadata>(*token, kIat);
  ASSERT_TRUE(out) << out.error().toString();
  EXPECT_EQ(out->subject, subject.publicKey());
  EXPECT_EQ(out->issued_at, kIat);
  EXPECT_EQ(out->expires, kIat + 3600);
  EXPECT_EQ(out->not_before, kIat - 10);
  EXPECT_EQ(out->metadata.name, "Echo");
  EXPECT_EQ(out->metadata.hash, "ABCDEF");
  EXPECT_EQ(out->metadata.caps, in.metadata.caps);
  EXPECT_EQ(out->metadata.tags, in.metadata.tags);
  EXPECT_EQ(out->metadata.rev, 3);
  EXPECT_EQ(out->metadata.ver, "0.3.4");
  EXPECT_EQ(out->metadata.call_alias, "echo");
  EXPECT_FALSE(out->metadata.provider);
}

TEST(Jwt, ExpiredAndNotYetValid) {
  auto issuer = key(KeyType::kAccount);
  ActorClaims c = sampleActor(key(KeyType::kModule));
  c.expires = kIat;
  auto token = encodeClaims(c, issuer);
  ASSERT_TRUE(token);
  EXPECT_TRUE(verifyClaims<ActorMetadata>(*token, kIat));  // exp == now is still valid
  auto expired = verifyClaims<ActorMetadata>(*token, kIat + 1);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kInvalidClaims);
  EXPECT_THAT(expired.error().message, StartsWith("claims expired at 2021-05-01T00:00:00Z"));

  c.expires.reset();
  c.not_before = kIat + 60;
  token = encodeClaims(c, issuer);
  ASSERT_TRUE(token);
  auto early = verifyClaims<ActorMetadata>(*token, kIat);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kInvalidClaims);
  EXPECT_THAT(early.error().message, StartsWith("claims are not valid until 2021-05-01T00:01:00Z"));
  EXPECT_TRUE(verifyClaims<ActorMetadata>(*token, kIat + 60));
}

TEST(Jwt, WrongSignerIsRejected) {
  auto issuer = key(KeyType::kAccount);
  auto forger = key(KeyType::kAccount);
  ActorClaims c = sampleActor(key(KeyType::kModule));
  c.id = "ID";
  c.issuer = issuer.publicKey();
  const std::string forged = rawToken(kJwtHeaderJson, claimsToJson(c), forger);
  auto r = verifyClaims<ActorMetadata>(forged, kIat);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidClaims);
  EXPECT_EQ(r.error().message, "signature does not verify against issuer " + issuer.publicKey() +
                                   " (the token was altered or signed by another key)");
  // Decoding without verification still works (for inspection).
  EXPECT_TRUE(decodeClaims<ActorMetadata>(forged));
}

TEST(Jwt, TamperedClaimsSegmentIsRejected) {
  auto issuer = key(KeyType::kAccount);
  auto token = encodeClaims(sampleActor(key(KeyType::kModule)), issuer);
  ASSERT_TRUE(token);
  auto parsed = parseToken(*token);
  ASSERT_TRUE(parsed);
  std::string claims = parsed->claims_json;
  claims.replace(claims.find("\"Echo\""), 6, "\"Evil\"");
  const size_t dot1 = token->find('.');
  const size_t dot2 = token->find('.', dot1 + 1);
  const std::string tampered = token->substr(0, dot1 + 1) + base64UrlEncode(claims) + token->substr(dot2);
  auto r = verifyClaims<ActorMetadata>(tampered, kIat);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, StartsWith("signature does not verify against issuer"));
}

TEST(Jwt, HeaderChecks) {
  auto issuer = key(KeyType::kAccount);
  ActorClaims c = sampleActor(key(KeyType::kModule));
  c.id = "ID";
  c.issuer = issuer.publicKey();
  const std::string claims = claimsToJson(c);

  auto alg = verifyClaims<ActorMetadata>(rawToken(R"({"typ":"jwt","alg":"HS256"})", claims, issuer), kIat);
  ASSERT_FALSE(alg);
  EXPECT_EQ(alg.error().code, ErrorCode::kInvalidClaims);
  EXPECT_EQ(alg.error().message, "unsupported token algorithm \"HS256\", expected \"Ed25519\"");

  auto typ = verifyClaims<ActorMetadata>(rawToken(R"({"typ":"JWT","alg":"Ed25519"})", claims, issuer), kIat);
  ASSERT_FALSE(typ);
  EXPECT_EQ(typ.error().message, "unsupported token type \"JWT\", expected \"jwt\"");

  auto none = verifyClaims<ActorMetadata>(rawToken(R"({"alg":"Ed25519"})", claims, issuer), kIat);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "unsupported token type (none), expected \"jwt\"");

  // Key order and whitespace in the header do not matter, only the values.
  EXPECT_TRUE(verifyClaims<ActorMetadata>(rawToken(R"({ "alg": "Ed25519", "typ": "jwt" })", claims, issuer), kIat));
}

TEST(Jwt, IssuerAndSubjectChecks) {
  auto issuer = key(KeyType::kAccount);
  ActorClaims c = sampleActor(key(KeyType::kModule));
  c.id = "ID";

  c.issuer = "";
  auto no_iss = verifyClaims<ActorMetadata>(rawToken(kJwtHeaderJson, claimsToJson(c), issuer), kIat);
  ASSERT_FALSE(no_iss);
  EXPECT_EQ(no_iss.error().code, ErrorCode::kInvalidClaims);
  EXPECT_THAT(no_iss.error().message, HasSubstr("no issuer"));

  c.issuer = issuer.publicKey();
  c.subject = "";
  auto no_sub = verifyClaims<ActorMetadata>(rawToken(kJwtHeaderJson, claimsToJson(c), issuer), kIat);
  ASSERT_FALSE(no_sub);
  EXPECT_THAT(no_sub.error().message, HasSubstr("no subject"));

  c.subject = "MSOMETHING";
  c.issuer = "not-a-key";
  auto bad_iss = verifyClaims<ActorMetadata>(rawToken(kJwtHeaderJson, claimsToJson(c), issuer), kIat);
  ASSERT_FALSE(bad_iss);
  EXPECT_EQ(bad_iss.error().code, ErrorCode::kMalformed);
  EXPECT_THAT(bad_iss.error().message, StartsWith("claims issuer 'not-a-key' is not a valid public key"));
}

TEST(Jwt, MalformedTokens) {
  auto issuer = key(KeyType::kAccount);
  const std::string header = base64UrlEncode(kJwtHeaderJson);
  struct Case {
    std::string token;
    std::string message;
  } cases[] = {
      {"abc.def", "token must have 3 dot-separated segments, found 2"},
      {"a.b.c.d", "token must have 3 dot-separated segments, found 4"},
      {"", "token must have 3 dot-separated segments, found 1"},
      {header + ".e30=.AAAA", "token claims segment: invalid base64url character '='"},
      {base64UrlEncode("nope") + ".e30." + std::string(86, 'A'), "token header is not valid JSON"},
      {base64UrlEncode("[1]") + ".e30." + std::string(86, 'A'), "token header is not a JSON object"},
      {header + ".e30.AAAA", "token signature must be 64 bytes, got 3"},
      {header + "." + base64UrlEncode(R"({"iat":-5})") + "." + std::string(86, 'A'),
       "claims field 'iat' must be a non-negative integer"},
      {header + "." + base64UrlEncode(R"({"exp":"soon"})") + "." + std::string(86, 'A'),
       "claims field 'exp' must be a non-negative integer"},
      {header + "." + base64UrlEncode(R"({"iss":42})") + "." + std::string(86, 'A'),
       "claims field 'iss' must be a string"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.token);
    auto r = decodeClaims<ActorMetadata>(tc.token);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
    EXPECT_THAT(r.error().message, StartsWith(tc.message));
  }
  // Typed metadata errors name the field.
  auto rev = decodeClaims<ActorMetadata>(
      rawToken(kJwtHeaderJson, R"({"iss":"A","sub":"M","wascap":{"hash":"H","rev":"three"}})", issuer));
  ASSERT_FALSE(rev);
  EXPECT_EQ(rev.error().message, "claims field 'wascap.rev' must be a 32-bit integer");
  auto big_rev = decodeClaims<ActorMetadata>(
      rawToken(kJwtHeaderJson, R"({"iss":"A","sub":"M","wascap":{"hash":"H","rev":4294967296}})", issuer));
  ASSERT_FALSE(big_rev);
  auto caps = decodeClaims<ActorMetadata>(
      rawToken(kJwtHeaderJson, R"({"iss":"A","sub":"M","wascap":{"caps":"wasmcloud:keyvalue"}})", issuer));
  ASSERT_FALSE(caps);
  EXPECT_EQ(caps.error().message, "claims field 'wascap.caps' must be a list of strings");
  auto no_meta = decodeClaims<ActorMetadata>(rawToken(kJwtHeaderJson, R"({"iss":"A","sub":"M"})", issuer));
  ASSERT_FALSE(no_meta);
  EXPECT_EQ(no_meta.error().code, ErrorCode::kInvalidClaims);
  EXPECT_THAT(no_meta.error().message, StartsWith("claims have no 'wascap' metadata"));
}

TEST(Jwt, DecodingToleratesSparseAndUnknownFields) {
  auto issuer = key(KeyType::kAccount);
  const std::string claims =
      R"({"jti":"x","iat":5,"iss":")" + issuer.publicKey() +
      R"(","sub":"MXYZ","future":{"a":1},"wascap":{"hash":"H","extra":[1,2],"ver":null},"wascap_revision":3})";
  auto r = verifyClaims<ActorMetadata>(rawToken(kJwtHeaderJson, claims, issuer), kIat);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->metadata.name, "");
  EXPECT_EQ(r->metadata.hash, "H");
  EXPECT_TRUE(r->metadata.caps.empty());
  EXPECT_TRUE(r->metadata.tags.empty());
  EXPECT_FALSE(r->metadata.rev);
  EXPECT_FALSE(r->metadata.ver);
  EXPECT_FALSE(r->metadata.call_alias);
  EXPECT_FALSE(r->metadata.provider);
  EXPECT_FALSE(r->expires);
  EXPECT_FALSE(r->not_before);
}

TEST(Jwt, ProviderAndAccountClaimsRoundTrip) {
  auto account = key(KeyType::kAccount);
  ProviderClaims p;
  p.subject = key(KeyType::kService).publicKey();
  p.issued_at = kIat;
  p.metadata.name = "Redis";
  p.metadata.capid = "wasmcloud:keyvalue";
  p.metadata.vendor = "wasmCloud";
  p.metadata.rev = 1;
  p.metadata.target_hashes = {{"x86_64-linux", "AA"}, {"aarch64-linux", "BB"}};
  auto pt = encodeClaims(p, account);
  ASSERT_TRUE(pt);
  auto pd = verifyClaims<ProviderMetadata>(*pt, kIat);
  ASSERT_TRUE(pd) << pd.error().toString();
  EXPECT_EQ(pd->metadata.capid, "wasmcloud:keyvalue");
  EXPECT_EQ(pd->metadata.vendor, "wasmCloud");
  EXPECT_EQ(pd->metadata.rev, 1);
  EXPECT_FALSE(pd->metadata.ver);
  EXPECT_EQ(pd->metadata.target_hashes, p.metadata.target_hashes);

  auto op = key(KeyType::kOperator);
  AccountClaims a;
  a.subject = account.publicKey();
  a.metadata.name = "acme";
  a.metadata.valid_signers = {key(KeyType::kAccount).publicKey()};
  auto at = encodeClaims(a, op);
  ASSERT_TRUE(at);
  auto ad = verifyClaims<AccountMetadata>(*at, kIat);
  ASSERT_TRUE(ad) << ad.error().toString();
  EXPECT_EQ(ad->issuer, op.publicKey());
  EXPECT_EQ(ad->metadata.name, "acme");
  EXPECT_EQ(ad->metadata.valid_signers, a.metadata.valid_signers);
}

TEST(Jwt, EncodeNeedsASeed) {
  auto pub = KeyPair::fromPublicKey(key(KeyType::kAccount).publicKey());
  ASSERT_TRUE(pub);
  auto r = encodeClaims(sampleActor(key(KeyType::kModule)), *pub);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(Jwt, FormatUnixTime) {
  EXPECT_EQ(formatUnixTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(formatUnixTime(kIat), "2021-05-01T00:00:00Z");
  EXPECT_EQ(formatUnixTime(1644843743), "2022-02-14T13:02:23Z");
}

TEST(CallAlias, NormalizesLikeWascap) {
  EXPECT_EQ(normalizeCallAlias(" My-Actor.v1 "), "my_actor_v1");
  EXPECT_EQ(normalizeCallAlias("wasmcloud/Echo Server"), "wasmcloud/echo_server");
  EXPECT_EQ(normalizeCallAlias("\xC3\x9Cn\xC3\xAF" "code Name"), "ncode_name");  // "Ünïcode Name"
  EXPECT_EQ(normalizeCallAlias("\xC2\xA0 abc"), "abc");             // NBSP is whitespace: trimmed first
  EXPECT_EQ(normalizeCallAlias("\xC3\xA9 abc"), "_abc");            // "é abc": é survives the trim, then drops
  EXPECT_EQ(normalizeCallAlias("\xE2\x84\xAA" "EY"), "key");        // KELVIN SIGN lowercases to 'k'
  EXPECT_EQ(normalizeCallAlias("\xC4\xB0" "D"), "id");              // 'İ' lowercases to "i\u0307"
  EXPECT_EQ(normalizeCallAlias("a\tb"), "a\tb");
  EXPECT_EQ(normalizeCallAlias("\xFF" "bad utf8"), "bad_utf8");
  EXPECT_EQ(normalizeCallAlias(""), "");
}

}  // namespace
}  // namespace stratus::claims
