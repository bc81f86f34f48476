// Invocation antiforgery as wasmCloud 0.18 does it (dispatch.rs `Invocation::new` / `validate_antiforgery`): the
// claims a host signs, every check a receiving host makes and the message of each refusal, plus the cluster-issuer
// policy. Forged tokens are crafted with claims::signToken, not with the code under test.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lattice/antiforgery.h"
#include "lattice/wire.h"
#include "stratus/claims/jwt.h"

namespace stratus::lattice {
namespace {

using nlohmann::ordered_json;

constexpr int64_t kNow = 1700000000;
constexpr std::string_view kActor = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr std::string_view kProvider = "VAG3QITQQ2ODAOWB5TTQSDJ53XK3SHBEIFNK4AYJ5RKAX2UNSCAPHA5M";

claims::KeyPair generate(claims::KeyType type) {
  auto key = claims::KeyPair::generate(type);
  EXPECT_TRUE(key);
  return std::move(*key);
}

void expectRefused(const Expected<void>& result, ErrorCode code, std::string_view needle) {
  ASSERT_FALSE(result) << "accepted although it should be refused with: " << needle;
  EXPECT_EQ(result.error().code, code) << result.error().toString();
  EXPECT_NE(result.error().message.find(needle), std::string::npos)
      << "message: " << result.error().message << "\nexpected to contain: " << needle;
}

class AntiforgeryTest : public ::testing::Test {
 protected:
  WireInvocation unsigned_() const {
    return {{host::EntityKind::kActor, std::string(kActor), "", ""},
            {host::EntityKind::kCapability, std::string(kProvider), "wasmcloud:keyvalue", "default"},
            "Add",
            Bytes{1, 2, 3},
            "0b1c7a4e-5d2f-4f8e-9c3a-6e5d4c3b2a19",
            "",
            host_.publicKey()};
  }
  WireInvocation signed_(const claims::KeyPair& signer) const {
    WireInvocation inv = unsigned_();
    auto signed_ok = signInvocation(inv, signer, kNow);
    EXPECT_TRUE(signed_ok) << signed_ok.error().toString();
    return inv;
  }
  // The claims of an invocation's token, to craft variants of it.
  static ordered_json claimsOf(const WireInvocation& inv) {
    auto token = claims::parseToken(inv.encoded_claims);
    EXPECT_TRUE(token);
    return ordered_json::parse(token->claims_json);
  }
  static std::string sign(const ordered_json& claims_json, const claims::KeyPair& signer) {
    auto token = claims::signToken(claims_json.dump(), signer);
    EXPECT_TRUE(token);
    return *token;
  }

  claims::KeyPair host_ = generate(claims::KeyType::kServer);
};

TEST(EntityUrlTest, AsDispatchRsBuildsThem) {
  EXPECT_EQ(entityUrl({host::EntityKind::kActor, std::string(kActor), "", ""}), "wasmbus://" + std::string(kActor));
  EXPECT_EQ(entityUrl({host::EntityKind::kActor, "system", "", ""}), "wasmbus://system");
  EXPECT_EQ(entityUrl({host::EntityKind::kCapability, "Vxxx", "wasmcloud:keyvalue", "default"}),
            "wasmbus://wasmcloud/keyvalue/default/Vxxx");
  // ':' -> '/' and ' ' -> '_' in the contract id, ' ' -> '_' in the link name, both lowercased; the key kept as is.
  EXPECT_EQ(entityUrl({host::EntityKind::kCapability, "VKey", "Acme:Key Value", "My Link"}),
            "wasmbus://acme/key_value/my_link/VKey");
}

TEST(EntityUrlTest, HashMatchesDispatchRsTestVector) {
  // dispatch.rs's own test: Actor("testing") -> Capability{Vxxx, wascc:messaging, default}, OP_TESTING, [1,2,3,4];
  // its target URL is "wasmbus://wascc/messaging/default/Vxxx/OP_TESTING". The hash was computed with
  //   printf 'wasmbus://testingwasmbus://wascc/messaging/default/Vxxx/OP_TESTING\x01\x02\x03\x04' | sha256sum
  const WireInvocation inv{{host::EntityKind::kActor, "testing", "", ""},
                           {host::EntityKind::kCapability, "Vxxx", "wascc:messaging", "default"},
                           "OP_TESTING",
                           Bytes{1, 2, 3, 4},
                           "id",
                           "",
                           ""};
  EXPECT_EQ(invocationHash(inv), "C90C682FB8B31BB0B535F84FEF9C863383DF5CDC741CF3B44FD9DC11F0F2AB38");
}

TEST_F(AntiforgeryTest, SignsWhatWascapWritesForAnInvocation) {
  const WireInvocation inv = signed_(host_);
  EXPECT_EQ(inv.host_id, host_.publicKey());  // untouched
  auto token = claims::parseToken(inv.encoded_claims);
  ASSERT_TRUE(token) << token.error().toString();
  EXPECT_EQ(token->header_json, claims::kJwtHeaderJson);
  const ordered_json c = ordered_json::parse(token->claims_json);
  std::vector<std::string> keys;
  for (const auto& [k, v] : c.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"jti", "iat", "iss", "sub", "wascap"}));  // no exp, no nbf
  EXPECT_EQ(c["jti"].get<std::string>().size(), 22u);
  EXPECT_EQ(c["iat"], kNow);
  EXPECT_EQ(c["iss"], host_.publicKey());
  EXPECT_EQ(c["sub"], inv.id);
  EXPECT_EQ(c["wascap"].dump(), R"({"target_url":"wasmbus://wasmcloud/keyvalue/default/)" + std::string(kProvider) +
                                    R"(/Add","origin_url":"wasmbus://)" + std::string(kActor) + R"(","hash":")" +
                                    invocationHash(inv) + R"("})");
}

TEST_F(AntiforgeryTest, AcceptsAValidInvocationAlsoAfterTheWire) {
  const WireInvocation inv = signed_(host_);
  auto valid = validateInvocation(inv, kNow, {});
  EXPECT_TRUE(valid) << valid.error().toString();
  auto decoded = decodeInvocation(encodeInvocation(inv));
  ASSERT_TRUE(decoded) << decoded.error().toString();
  valid = validateInvocation(*decoded, kNow + 3600, {});
  EXPECT_TRUE(valid) << valid.error().toString();
}

TEST_F(AntiforgeryTest, RefusesTamperedMsgOperationAndTarget) {
  constexpr std::string_view kHashMismatch = "invocation hash does not match signed claims hash";
  WireInvocation inv = signed_(host_);
  inv.msg.push_back(4);
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kPermissionDenied, kHashMismatch);
  inv = signed_(host_);
  inv.operation = "Del";
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kPermissionDenied, kHashMismatch);
  inv = signed_(host_);  // replayed to another target
  inv.target = {host::EntityKind::kActor, "MDIFFERENTACTOR", "", ""};
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kPermissionDenied, kHashMismatch);
  inv = signed_(host_);
  inv.target.link_name = "other";
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kPermissionDenied, kHashMismatch);
}

TEST_F(AntiforgeryTest, RefusesWrongSubjectAndIssuer) {
  WireInvocation inv = signed_(host_);
  inv.id = "another-id";
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kPermissionDenied,
                "subject of invocation claims token does not match invocation ID");
  inv = signed_(host_);
  inv.host_id = generate(claims::KeyType::kServer).publicKey();
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kPermissionDenied,
                "invocation claims issuer does not match invocation host");
}

TEST_F(AntiforgeryTest, RefusesExpiredAndNotYetValidTokens) {
  WireInvocation inv = signed_(host_);
  ordered_json c = claimsOf(inv);
  c["exp"] = kNow - 10;
  inv.encoded_claims = sign(c, host_);
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kInvalidClaims, "invocation claims token expired");
  c["exp"] = kNow;  // wascap: expired only once exp < now
  inv.encoded_claims = sign(c, host_);
  EXPECT_TRUE(validateInvocation(inv, kNow, {}));

  c.erase("exp");
  c["nbf"] = kNow + 60;
  inv.encoded_claims = sign(c, host_);
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kInvalidClaims,
                "attempt to use invocation before claims token allows");
  c["nbf"] = kNow;
  inv.encoded_claims = sign(c, host_);
  EXPECT_TRUE(validateInvocation(inv, kNow, {}));
}

TEST_F(AntiforgeryTest, RefusesBadSignaturesAndGarbage) {
  const claims::KeyPair other = generate(claims::KeyType::kServer);
  WireInvocation inv = signed_(host_);
  ordered_json c = claimsOf(inv);
  c["iss"] = other.publicKey();  // claims to come from `other`, signed by host_
  inv.encoded_claims = sign(c, host_);
  inv.host_id = other.publicKey();
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kInvalidClaims, "invocation claims signature invalid");
  c["exp"] = kNow - 10;  // forged and expired: the signature is checked first
  inv.encoded_claims = sign(c, host_);
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kInvalidClaims, "invocation claims signature invalid");

  inv = signed_(host_);  // one character of the claims segment changed
  const size_t dot = inv.encoded_claims.find('.');
  inv.encoded_claims[dot + 5] = inv.encoded_claims[dot + 5] == 'A' ? 'B' : 'A';
  ASSERT_FALSE(validateInvocation(inv, kNow, {}));

  for (const char* garbage : {"", "garbage", "a.b.c", "e30.e30.e30"}) {
    inv.encoded_claims = garbage;
    expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kInvalidClaims, "invocation claims are unreadable");
  }
}

TEST_F(AntiforgeryTest, RefusesUrlsThatDifferFromTheInvocation) {
  // The hash matches (it is computed over the invocation) but the signed URLs name something else.
  WireInvocation inv = signed_(host_);
  ordered_json c = claimsOf(inv);
  c["wascap"]["target_url"] = "wasmbus://elsewhere/Add";
  inv.encoded_claims = sign(c, host_);
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kPermissionDenied,
                "invocation claims and invocation target URL do not match");
  c = claimsOf(signed_(host_));
  c["sub"] = inv.id;
  c["wascap"]["origin_url"] = "wasmbus://system";
  inv.encoded_claims = sign(c, host_);
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kPermissionDenied,
                "invocation claims and invocation origin URL do not match");
  c.erase("wascap");
  inv.encoded_claims = sign(c, host_);
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kInvalidClaims, "no 'wascap' metadata");
}

TEST_F(AntiforgeryTest, ClusterIssuerPolicy) {
  const claims::KeyPair cluster = generate(claims::KeyType::kCluster);
  const AntiforgeryPolicy policy{{generate(claims::KeyType::kCluster).publicKey(), cluster.publicKey()}};
  WireInvocation inv = signed_(cluster);  // host_id stays the sending host's key, not the signer's
  ASSERT_NE(inv.host_id, cluster.publicKey());
  auto valid = validateInvocation(inv, kNow, policy);
  EXPECT_TRUE(valid) << valid.error().toString();
  expectRefused(validateInvocation(inv, kNow, {}), ErrorCode::kPermissionDenied,
                "invocation claims issuer does not match invocation host");

  inv = signed_(host_);  // 0.18-valid (iss == host_id), but the host key is not a cluster issuer
  expectRefused(validateInvocation(inv, kNow, policy), ErrorCode::kPermissionDenied,
                "is not one of the lattice's cluster issuers");
  inv = signed_(generate(claims::KeyType::kCluster));
  expectRefused(validateInvocation(inv, kNow, policy), ErrorCode::kPermissionDenied,
                "is not one of the lattice's cluster issuers");
}

TEST_F(AntiforgeryTest, SigningNeedsASeedAnIdAndUtf8) {
  WireInvocation inv = unsigned_();
  auto public_only = claims::KeyPair::fromPublicKey(host_.publicKey());
  ASSERT_TRUE(public_only);
  auto r = signInvocation(inv, *public_only, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  inv.id.clear();
  r = signInvocation(inv, host_, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  inv = unsigned_();
  inv.operation = "Bad\xff";
  r = signInvocation(inv, host_, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "cannot sign an invocation whose operation is not valid UTF-8");
  EXPECT_TRUE(inv.encoded_claims.empty());
}

}  // namespace
}  // namespace stratus::lattice
