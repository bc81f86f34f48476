// Real tokens made by wascap / wasmCloud tooling (tests/data/wascap_tokens.txt): they must decode, their
// signatures must verify, and re-encoding their claims must reproduce the signed JSON byte for byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "stratus/claims/claims.h"

namespace stratus::claims {
namespace {

using ::testing::HasSubstr;

struct RealToken {
  std::string label;
  std::string kind;
  std::string jwt;
};

std::vector<RealToken> loadTokens() {
  std::ifstream in(std::string(STRATUS_SOURCE_DIR) + "/tests/data/wascap_tokens.txt");
  EXPECT_TRUE(in.good()) << "cannot open tests/data/wascap_tokens.txt";
  std::vector<RealToken> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    RealToken t;
    fields >> t.label >> t.kind >> t.jwt;
    out.push_back(t);
  }
  return out;
}

const RealToken& find(const std::vector<RealToken>& tokens, const std::string& label) {
  for (const auto& t : tokens) {
    if (t.label == label) return t;
  }
  ADD_FAILURE() << "no token labelled " << label;
  static const RealToken none;
  return none;
}

// Flips one character in the middle of the signature segment.
std::string tamperSignature(std::string jwt) {
  const size_t pos = jwt.rfind('.') + 20;
  jwt[pos] = jwt[pos] == 'A' ? 'B' : 'A';
  return jwt;
}

TEST(RealTokens, AllDecodeAndVerify) {
  const auto tokens = loadTokens();
  ASSERT_EQ(tokens.size(), 6u);
  for (const auto& t : tokens) {
    SCOPED_TRACE(t.label);
    auto token = parseToken(t.jwt);
    ASSERT_TRUE(token) << token.error().toString();
    EXPECT_EQ(token->header_json, kJwtHeaderJson);
    auto sig = verifyTokenSignature(*token);
    EXPECT_TRUE(sig) << sig.error().toString();
    // None of them expires or has a not-before time, so any `now` after issue is fine.
    EXPECT_TRUE(validateToken(*token, token->registered.issued_at + 1));
    EXPECT_FALSE(token->registered.expires);
    EXPECT_FALSE(token->registered.not_before);

    auto tampered = parseToken(tamperSignature(t.jwt));
    ASSERT_TRUE(tampered);
    auto bad = verifyTokenSignature(*tampered);
    ASSERT_FALSE(bad);
    EXPECT_THAT(bad.error().message, HasSubstr("signature does not verify against issuer " + token->registered.issuer));
  }
}

// Decodes with the typed view for its kind and re-encodes: the JSON must equal what was signed.
TEST(RealTokens, ReEncodingReproducesTheSignedJson) {
  for (const auto& t : loadTokens()) {
    SCOPED_TRACE(t.label);
    auto token = parseToken(t.jwt);
    ASSERT_TRUE(token);
    if (t.kind == "actor") {
      auto c = verifyClaims<ActorMetadata>(t.jwt, token->registered.issued_at);
      ASSERT_TRUE(c) << c.error().toString();
      EXPECT_EQ(claimsToJson(*c), token->claims_json);
    } else if (t.kind == "provider") {
      auto c = verifyClaims<ProviderMetadata>(t.jwt, token->registered.issued_at);
      ASSERT_TRUE(c) << c.error().toString();
      EXPECT_EQ(claimsToJson(*c), token->claims_json);
    } else if (t.kind == "account") {
      auto c = verifyClaims<AccountMetadata>(t.jwt, token->registered.issued_at);
      ASSERT_TRUE(c) << c.error().toString();
      EXPECT_EQ(claimsToJson(*c), token->claims_json);
    } else {
      ASSERT_EQ(t.kind, "legacy");
      auto c = decodeClaims<ActorMetadata>(t.jwt);
      ASSERT_FALSE(c);
      EXPECT_EQ(c.error().code, ErrorCode::kInvalidClaims);
      EXPECT_THAT(c.error().message, HasSubstr("no 'wascap' metadata"));
    }
  }
}

TEST(RealTokens, EchoActorFields) {
  const auto tokens = loadTokens();
  auto c = verifyClaims<ActorMetadata>(find(tokens, "echo").jwt, 1644843743);
  ASSERT_TRUE(c) << c.error().toString();
  EXPECT_EQ(c->issuer, "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW");
  EXPECT_EQ(c->subject, "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5");
  EXPECT_EQ(c->id, "SjB5fm974Sju9WMgTUchsb");
  EXPECT_EQ(c->issued_at, 1644843743);
  EXPECT_EQ(c->metadata.name, "Echo");
  EXPECT_EQ(c->metadata.hash, "4CEC673A7DCCEA6A4165BB195832C7936471CF7AB4501F837F8D679F4400BC97");
  EXPECT_TRUE(c->metadata.tags.empty());
  EXPECT_EQ(c->metadata.caps, std::vector<std::string>{"wasmcloud:httpserver"});
  EXPECT_EQ(c->metadata.rev, 4);
  EXPECT_EQ(c->metadata.ver, "0.3.4");
  EXPECT_FALSE(c->metadata.call_alias);
  EXPECT_FALSE(c->metadata.provider);
  auto issuer = KeyPair::fromPublicKey(c->issuer);
  ASSERT_TRUE(issuer);
  EXPECT_EQ(issuer->type(), KeyType::kAccount);
}

TEST(RealTokens, ProviderFields) {
  const auto tokens = loadTokens();
  auto kv = decodeClaims<ProviderMetadata>(find(tokens, "nats_kvcache").jwt);
  ASSERT_TRUE(kv) << kv.error().toString();
  EXPECT_EQ(kv->subject, "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2");
  EXPECT_EQ(kv->metadata.name, "NATS Replicated In-Memory Key-Value Store");
  EXPECT_EQ(kv->metadata.capid, "wasmcloud:keyvalue");
  EXPECT_EQ(kv->metadata.vendor, "wasmCloud");
  EXPECT_EQ(kv->metadata.rev, 1);
  EXPECT_EQ(kv->metadata.ver, "0.1.0");
  EXPECT_TRUE(kv->metadata.target_hashes.empty());

  auto extras = decodeClaims<ProviderMetadata>(find(tokens, "extras").jwt);
  ASSERT_TRUE(extras) << extras.error().toString();
  EXPECT_EQ(extras->subject, "VDHPKGFKDI34Y4RN4PWWZHRYZ6373HYRSNNEM4UTDLLOGO5B37TSVREP");
  EXPECT_EQ(extras->metadata.capid, "wasmcloud:extras");
  EXPECT_FALSE(extras->metadata.rev);
  EXPECT_FALSE(extras->metadata.ver);
  auto subject = KeyPair::fromPublicKey(extras->subject);
  ASSERT_TRUE(subject);
  EXPECT_EQ(subject->type(), KeyType::kService);
}

TEST(RealTokens, OperatorSignedAccount) {
  const auto tokens = loadTokens();
  auto a = verifyClaims<AccountMetadata>(find(tokens, "wascc_official").jwt, 1584992003);
  ASSERT_TRUE(a) << a.error().toString();
  EXPECT_EQ(a->issuer, "OAWETPB4Q67MOOFMP5YNXYBQ3PM3K2VXYDUVKUG2AOLRR5E74J3CIXAJ");
  EXPECT_EQ(a->subject, "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW");
  EXPECT_EQ(a->metadata.name, "waSCC Official");
  EXPECT_TRUE(a->metadata.valid_signers.empty());
  // The same account signed the echo actor and both providers above.
  auto echo = decodeClaims<ActorMetadata>(find(tokens, "echo").jwt);
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->issuer, a->subject);
}

TEST(RealTokens, AgeIsCheckedAgainstNowOnly) {
  const auto tokens = loadTokens();
  // Old tokens without exp stay valid; a `now` long after issue is no problem.
  EXPECT_TRUE(verifyClaims<ActorMetadata>(find(tokens, "gantry_catalog").jwt, 4102444800));  // 2100-01-01
}

}  // namespace
}  // namespace stratus::claims
