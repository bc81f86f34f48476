#include "stratus/claims/wasm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace stratus::claims {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kNow = 1700000000;

const Bytes kHeader = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
// Type section: one function type () -> ().
const Bytes kTypeSection = {0x01, 0x04, 0x01, 0x60, 0x00, 0x00};
// SHA-256 HEXUPPER of kHeader + kTypeSection (computed independently with Python's hashlib).
constexpr std::string_view kTinyModuleHash = "968E98ACD3E2898569441C1769845BC3AD79616458FFCD1CCE35FADB48FF7381";

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void leb(Bytes* out, uint32_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    out->push_back(v ? (b | 0x80) : b);
  } while (v);
}

Bytes customSection(std::string_view name, std::string_view payload) {
  Bytes content;
  leb(&content, static_cast<uint32_t>(name.size()));
  content.insert(content.end(), name.begin(), name.end());
  content.insert(content.end(), payload.begin(), payload.end());
  Bytes out = {0x00};
  leb(&out, static_cast<uint32_t>(content.size()));
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes tinyModule() { return cat({kHeader, kTypeSection}); }

KeyPair key(KeyType type) {
  auto kp = KeyPair::generate(type);
  EXPECT_TRUE(kp);
  return *kp;
}

ActorClaims actorClaims(const KeyPair& subject) {
  ActorClaims c;
  c.subject = subject.publicKey();
  c.issued_at = kNow - 100;
  c.metadata.name = "tiny";
  c.metadata.caps = {"wasmcloud:httpserver"};
  c.metadata.rev = 1;
  c.metadata.ver = "0.1.0";
  return c;
}

struct Signed {
  Bytes wasm;
  KeyPair issuer;
};

Signed signTiny(ActorClaims claims, Bytes module = tinyModule()) {
  KeyPair issuer = key(KeyType::kAccount);
  auto out = embedClaims(module, std::move(claims), issuer);
  EXPECT_TRUE(out) << out.error().toString();
  return {*out, issuer};
}

// Replaces the module's jwt section with one holding `token`.
Bytes withToken(const Bytes& wasm, std::string_view token) {
  auto sections = parseSections(wasm);
  EXPECT_TRUE(sections);
  Bytes out(wasm.begin(), wasm.begin() + static_cast<ptrdiff_t>(sections->back().offset));
  Bytes jwt = customSection("jwt", token);
  out.insert(out.end(), jwt.begin(), jwt.end());
  return out;
}

TEST(WasmSections, ParsesFraming) {
  Bytes m = cat({kHeader, kTypeSection, customSection("name", "xyz"), customSection("jwt", "a.b.c")});
  auto sections = parseSections(m);
  ASSERT_TRUE(sections) << sections.error().toString();
  ASSERT_EQ(sections->size(), 3u);
  EXPECT_EQ((*sections)[0].id, 1);
  EXPECT_EQ((*sections)[0].offset, 8u);
  EXPECT_EQ((*sections)[0].payload_offset, 10u);
  EXPECT_EQ((*sections)[0].payload_size, 4u);
  EXPECT_EQ((*sections)[1].id, 0);
  EXPECT_EQ((*sections)[1].name, "name");
  EXPECT_EQ((*sections)[2].name, "jwt");
  EXPECT_EQ((*sections)[2].end(), m.size());
  auto header_only = parseSections(kHeader);
  ASSERT_TRUE(header_only);
  EXPECT_TRUE(header_only->empty());
}

TEST(WasmSections, RejectsBrokenFraming) {
  struct Case {
    Bytes wasm;
    std::string message;
  } cases[] = {
      {{0x00, 0x61, 0x73}, "not a wasm module: 3 bytes is shorter than the 8-byte header"},
      {{0x7F, 0x45, 0x4C, 0x46, 0x01, 0x00, 0x00, 0x00}, "not a wasm module: bad magic number at offset 0"},
      {{0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00}, "unsupported wasm binary version 2 at offset 4"},
      {cat({kHeader, {0x01}}), "truncated LEB128 (size of section id 1) at offset 9"},
      {cat({kHeader, {0x01, 0x80, 0x80}}), "truncated LEB128 (size of section id 1) at offset 9"},
      {cat({kHeader, {0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}}),
       "LEB128 (size of section id 1) at offset 9 is longer than 5 bytes or exceeds 32 bits"},
      {cat({kHeader, {0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}}),
       "LEB128 (size of section id 1) at offset 9 is longer than 5 bytes or exceeds 32 bits"},
      {cat({kHeader, {0x01, 0x05, 0x01, 0x60}}), "section id 1 at offset 8 declares 5 bytes but only 2 remain"},
      {cat({kHeader, kTypeSection, {0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}}),
       "section id 10 at offset 14 declares 4294967295 bytes but only 0 remain"},
      {cat({kHeader, {0x00, 0x02, 0x05, 'j'}}), "custom section at offset 8: name length 5 runs past the section end"},
      {cat({kHeader, {0x00, 0x00}}), "truncated LEB128 (custom section name length) at offset 10"},
      {cat({kHeader, {0x00, 0x02, 0x01, 0xFF}}), "custom section at offset 8: name is not valid UTF-8"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.message);
    auto r = parseSections(tc.wasm);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
    EXPECT_THAT(r.error().message, StartsWith(tc.message));
    // Every entry point reports the framing error rather than something vaguer.
    auto t = extractToken(tc.wasm);
    ASSERT_FALSE(t);
    EXPECT_THAT(t.error().message, StartsWith(tc.message));
    auto h = moduleHash(tc.wasm);
    ASSERT_FALSE(h);
    auto v = verifyActor(tc.wasm, kNow);
    ASSERT_FALSE(v);
    EXPECT_THAT(v.error().message, StartsWith(tc.message));
  }
}

TEST(WasmClaims, NoJwtSection) {
  auto r = extractToken(tinyModule());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidClaims);
  EXPECT_EQ(r.error().message, "module has no embedded claims (no 'jwt' custom section)");
  auto v = verifyActor(cat({tinyModule(), customSection("jwtx", "a.b.c")}), kNow);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "module has no embedded claims (no 'jwt' custom section)");
}

TEST(WasmClaims, ModuleHashExcisesEveryJwtSection) {
  EXPECT_EQ(*moduleHash(tinyModule()), kTinyModuleHash);
  EXPECT_EQ(*moduleHash(cat({tinyModule(), customSection("jwt", "x.y.z")})), kTinyModuleHash);
  EXPECT_EQ(*moduleHash(cat({kHeader, customSection("jwt", "1"), kTypeSection, customSection("jwt", "2")})),
            kTinyModuleHash);
  // Other custom sections are part of the hash.
  EXPECT_NE(*moduleHash(cat({tinyModule(), customSection("name", "")})), kTinyModuleHash);
}

TEST(WasmClaims, EmbedThenVerify) {
  KeyPair subject = key(KeyType::kModule);
  Signed s = signTiny(actorClaims(subject));
  auto sections = parseSections(s.wasm);
  ASSERT_TRUE(sections);
  ASSERT_EQ(sections->size(), 2u);
  EXPECT_EQ(sections->back().name, "jwt");  // appended last
  EXPECT_EQ(*moduleHash(s.wasm), kTinyModuleHash);

  auto v = verifyActor(s.wasm, kNow);
  ASSERT_TRUE(v) << v.error().toString();
  EXPECT_EQ(v->issuer, s.issuer.publicKey());
  EXPECT_EQ(v->subject, subject.publicKey());
  EXPECT_EQ(v->metadata.hash, kTinyModuleHash);
  EXPECT_EQ(v->metadata.name, "tiny");
  EXPECT_EQ(v->metadata.caps, std::vector<std::string>{"wasmcloud:httpserver"});

  auto d = decodeActor(s.wasm);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, v->id);
}

TEST(WasmClaims, ReEmbeddingReplacesExistingSections) {
  KeyPair subject = key(KeyType::kModule);
  Bytes messy = cat({kHeader, customSection("jwt", "old.old.old"), kTypeSection, customSection("jwt", "x")});
  Signed s = signTiny(actorClaims(subject), messy);
  auto sections = parseSections(s.wasm);
  ASSERT_TRUE(sections);
  ASSERT_EQ(sections->size(), 2u);
  EXPECT_EQ((*sections)[0].id, 1);
  EXPECT_EQ((*sections)[1].name, "jwt");
  auto v = verifyActor(s.wasm, kNow);
  ASSERT_TRUE(v) << v.error().toString();

  ActorClaims again = actorClaims(subject);
  again.metadata.rev = 2;
  auto resigned = embedClaims(s.wasm, again, s.issuer);
  ASSERT_TRUE(resigned);
  auto v2 = verifyActor(*resigned, kNow);
  ASSERT_TRUE(v2) << v2.error().toString();
  EXPECT_EQ(v2->metadata.rev, 2);
  EXPECT_EQ(parseSections(*resigned)->size(), 2u);
}

TEST(WasmClaims, DuplicateJwtSectionsAreRejected) {
  Signed s = signTiny(actorClaims(key(KeyType::kModule)));
  Bytes doubled = cat({s.wasm, customSection("jwt", "a.b.c")});
  auto r = verifyActor(doubled, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidClaims);
  EXPECT_EQ(r.error().message, "module has 2 'jwt' custom sections; exactly one is allowed");
}

TEST(WasmClaims, TamperedModuleByteIsAHashMismatch) {
  Signed s = signTiny(actorClaims(key(KeyType::kModule)));
  Bytes tampered = s.wasm;
  tampered[11] = 0x7F;  // the function type's form byte, inside the type section
  auto actual = moduleHash(tampered);
  ASSERT_TRUE(actual);
  auto r = verifyActor(tampered, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidClaims);
  EXPECT_EQ(r.error().message,
            "module hash mismatch: claims say " + std::string(kTinyModuleHash) + ", module is " + *actual);
}

TEST(WasmClaims, TamperedClaimsSegmentFailsTheSignature) {
  Signed s = signTiny(actorClaims(key(KeyType::kModule)));
  auto token = extractToken(s.wasm);
  ASSERT_TRUE(token);
  auto parsed = parseToken(*token);
  ASSERT_TRUE(parsed);
  std::string claims = parsed->claims_json;
  const std::string from = R"("caps":["wasmcloud:httpserver"])";
  claims.replace(claims.find(from), from.size(), R"("caps":["wasmcloud:httpserver","wasmcloud:blobstore"])");
  const size_t dot1 = token->find('.');
  const size_t dot2 = token->find('.', dot1 + 1);
  const std::string forged = token->substr(0, dot1 + 1) + base64UrlEncode(claims) + token->substr(dot2);
  auto r = verifyActor(withToken(s.wasm, forged), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidClaims);
  EXPECT_THAT(r.error().message, StartsWith("signature does not verify against issuer " + s.issuer.publicKey()));
  // Inspection still decodes what it can.
  auto d = decodeActor(withToken(s.wasm, forged));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->metadata.caps.size(), 2u);
}

TEST(WasmClaims, SignatureByADifferentKeyIsRejected) {
  Signed s = signTiny(actorClaims(key(KeyType::kModule)));
  auto token = extractToken(s.wasm);
  ASSERT_TRUE(token);
  auto parsed = parseToken(*token);
  ASSERT_TRUE(parsed);
  KeyPair forger = key(KeyType::kAccount);
  auto sig = forger.sign(parsed->signing_input);
  ASSERT_TRUE(sig);
  const std::string forged =
      parsed->signing_input + "." + base64UrlEncode(std::span<const uint8_t>(sig->data(), sig->size()));
  auto r = verifyActor(withToken(s.wasm, forged), kNow);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, StartsWith("signature does not verify against issuer " + s.issuer.publicKey()));

  // Re-signing the whole module with the forger's key yields valid claims *from the forger*: whom to trust is the
  // host's issuer policy, not the signature check.
  auto resigned = embedClaims(s.wasm, actorClaims(key(KeyType::kModule)), forger);
  ASSERT_TRUE(resigned);
  auto v = verifyActor(*resigned, kNow);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->issuer, forger.publicKey());
}

TEST(WasmClaims, MalformedTokenInSection) {
  auto r = verifyActor(cat({tinyModule(), customSection("jwt", "not-a-token")}), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(r.error().message, "token must have 3 dot-separated segments, found 1");

  auto bin = verifyActor(cat({tinyModule(), customSection("jwt", std::string("a.b\0.c", 6))}), kNow);
  ASSERT_FALSE(bin);
  EXPECT_EQ(bin.error().code, ErrorCode::kMalformed);
  EXPECT_THAT(bin.error().message, HasSubstr("non-printable or non-ASCII byte 0x00"));

  auto empty = extractToken(cat({tinyModule(), customSection("jwt", "")}));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "the 'jwt' custom section is empty");
}

TEST(WasmClaims, ExpiredAndNotYetValid) {
  ActorClaims c = actorClaims(key(KeyType::kModule));
  c.expires = kNow - 1;
  auto expired = verifyActor(signTiny(c).wasm, kNow);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kInvalidClaims);
  EXPECT_THAT(expired.error().message, StartsWith("claims expired at 2023-11-14T22:13:19Z"));

  ActorClaims n = actorClaims(key(KeyType::kModule));
  n.not_before = kNow + 3600;
  Signed early = signTiny(n);
  auto r = verifyActor(early.wasm, kNow);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, StartsWith("claims are not valid until 2023-11-14T23:13:20Z"));
  EXPECT_TRUE(verifyActor(early.wasm, kNow + 3600));
}

TEST(WasmClaims, ErrorClassesAreDistinct) {
  Signed s = signTiny(actorClaims(key(KeyType::kModule)));
  Bytes tampered = s.wasm;
  tampered[11] = 0x7F;
  ActorClaims c = actorClaims(key(KeyType::kModule));
  c.expires = kNow - 1;
  ActorClaims n = actorClaims(key(KeyType::kModule));
  n.not_before = kNow + 1;
  auto token = extractToken(s.wasm);
  ASSERT_TRUE(token);
  std::string bad_sig = *token;
  bad_sig[bad_sig.size() - 5] = bad_sig[bad_sig.size() - 5] == 'A' ? 'B' : 'A';
  const std::string messages[] = {
      verifyActor(tinyModule(), kNow).error().message,
      verifyActor(cat({tinyModule(), customSection("jwt", "x.y")}), kNow).error().message,
      verifyActor(withToken(s.wasm, bad_sig), kNow).error().message,
      verifyActor(tampered, kNow).error().message,
      verifyActor(signTiny(c).wasm, kNow).error().message,
      verifyActor(signTiny(n).wasm, kNow).error().message,
  };
  for (size_t i = 0; i < std::size(messages); ++i) {
    for (size_t j = i + 1; j < std::size(messages); ++j) {
      EXPECT_NE(messages[i].substr(0, 20), messages[j].substr(0, 20)) << messages[i] << " vs " << messages[j];
    }
  }
}

}  // namespace
}  // namespace stratus::claims
