// The lattice RPC msgpack structs: byte layouts written out by hand from what rmp-serde 0.15.4 `with_struct_map()`
// does with wasmCloud 0.18.2's structs, the forms a decoder must also accept, errors that name the field, and
// interop with an independent encoder/decoder (@msgpack/msgpack on Node).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <tuple>

#include "lattice/wire.h"
#include "support/server_process.h"

namespace stratus::lattice {
namespace {

using codec::Writer;

constexpr std::string_view kActor = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr std::string_view kProvider = "VAG3QITQQ2ODAOWB5TTQSDJ53XK3SHBEIFNK4AYJ5RKAX2UNSCAPHA5M";
constexpr std::string_view kHost = "NCE4GL4XTBKLLXZDNUZGGB4TQ4KZTDXPROFV6SE5R6IBBHPNNHZDAHIF";
constexpr std::string_view kId = "2f6c1f7e-8d1c-4b0e-9a51-3c0f2e7d9b10";

// The strings above as msgpack str8 (d9, then the length: 0x38 = 56, 0x24 = 36), hex from `xxd -p`.
constexpr std::string_view kActorStr =
    "d938 "
    "4d4243464f504d364a573241504a4c584a44335a354f34434e374350594a32423446544b4c4a5552355952354d4954495537484433574435";
constexpr std::string_view kProviderStr =
    "d938 "
    "564147335149545151324f44414f57423554545153444a3533584b335348424549464e4b3441594a35524b415832554e534341504841354d";
constexpr std::string_view kHostStr =
    "d938 "
    "4e434534474c345854424b4c4c585a444e555a474742345451344b5a54445850524f465636534535523649424248504e4e485a4441484946";
constexpr std::string_view kIdStr = "d924 32663663316637652d386431632d346230652d396135312d336330663265376439623130";

// Hex with spaces allowed; pieces are concatenated.
Bytes hex(std::initializer_list<std::string_view> pieces) {
  std::string digits;
  for (std::string_view p : pieces) {
    for (char c : p) {
      if (c != ' ') digits.push_back(c);
    }
  }
  Bytes out;
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

WireInvocation fixture() {
  return {{host::EntityKind::kActor, std::string(kActor), "", ""},
          {host::EntityKind::kCapability, std::string(kProvider), "wasmcloud:keyvalue", "default"},
          "Add",
          Bytes{1, 2, 200},
          std::string(kId),
          "a.b.c",
          std::string(kHost)};
}

// The fixture as a 0.18.2 host writes it.
Bytes fixtureBytes() {
  return hex({"87",                                                                 // map of 7
              "a6 6f726967696e", "81 00", kActorStr,                                // "origin": {0: "MBCF…"}
              "a6 746172676574", "81 01 83",                                        // "target": {1: {3 fields}}
              "a2 6964", kProviderStr,                                              //   "id": "VAG3…"
              "ab 636f6e74726163745f6964 b2 7761736d636c6f75643a6b657976616c7565",  // "contract_id"
              "a9 6c696e6b5f6e616d65 a7 64656661756c74",                            // "link_name": "default"
              "a9 6f7065726174696f6e a3 416464",                                    // "operation": "Add"
              "a3 6d7367 93 01 02 ccc8",                                            // "msg": [1, 2, 200]
              "a2 6964", kIdStr,                                                    // "id": "2f6c…"
              "ae 656e636f6465645f636c61696d73 a5 612e622e63",                      // "encoded_claims": "a.b.c"
              "a7 686f73745f6964", kHostStr});                                      // "host_id": "NCE4…"
}

TEST(WireTest, InvocationBytesMatchRmpSerde) {
  EXPECT_EQ(encodeInvocation(fixture()), fixtureBytes());
  auto decoded = decodeInvocation(fixtureBytes());
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, fixture());
}

TEST(WireTest, InvocationResponseBytesWithAndWithoutError) {
  const Bytes ok_bytes = hex({"83 a3 6d7367 92 07 08", "a5 6572726f72 c0", "ad 696e766f636174696f6e5f6964", kIdStr});
  const WireInvocationResponse ok_response{Bytes{7, 8}, std::nullopt, std::string(kId)};
  EXPECT_EQ(encodeInvocationResponse(ok_response), ok_bytes);
  auto decoded = decodeInvocationResponse(ok_bytes);
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, ok_response);

  const Bytes error_bytes =
      hex({"83 a3 6d7367 90", "a5 6572726f72 a4 626f6f6d", "ad 696e766f636174696f6e5f6964", kIdStr});
  const WireInvocationResponse error_response{{}, "boom", std::string(kId)};
  EXPECT_EQ(encodeInvocationResponse(error_response), error_bytes);
  decoded = decodeInvocationResponse(error_bytes);
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, error_response);

  // `error` absent (a peer that skips None) reads as no error too.
  decoded = decodeInvocationResponse(hex({"82 a3 6d7367 91 05", "ad 696e766f636174696f6e5f6964 a1 78"}));
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, (WireInvocationResponse{Bytes{5}, std::nullopt, "x"}));
}

TEST(WireTest, LinkDefinitionBytesMatchRmpSerde) {
  const Bytes bytes = hex({"85 a8 6163746f725f6964", kActorStr,        // "actor_id"
                           "ab 70726f76696465725f6964", kProviderStr,  // "provider_id"
                           "a9 6c696e6b5f6e616d65 a7 64656661756c74",  // "link_name": "default"
                           "ab 636f6e74726163745f6964 b2 7761736d636c6f75643a6b657976616c7565",  // "contract_id"
                           "a6 76616c756573 81 a4 504f5254 a4 38303830"});  // "values": {"PORT": "8080"}
  host::LinkDefinition link{
      std::string(kActor), std::string(kProvider), "wasmcloud:keyvalue", "default", {{"PORT", "8080"}}};
  EXPECT_EQ(encodeLinkDefinition(link), bytes);
  auto decoded = decodeLinkDefinition(bytes);
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(decoded->actor_id, kActor);
  EXPECT_EQ(decoded->provider_id, kProvider);
  EXPECT_EQ(decoded->contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(decoded->link_name, "default");
  EXPECT_EQ(decoded->values, link.values);
}

// Every field of actor claims, for comparing them.
auto fieldsOf(const claims::ActorClaims& c) {
  const claims::ActorMetadata& m = c.metadata;
  return std::tie(c.issuer, c.subject, c.id, c.issued_at, c.expires, c.not_before, m.name, m.hash, m.tags, m.caps,
                  m.rev, m.ver, m.call_alias, m.provider);
}

TEST(WireTest, ActorClaimsBytesMatchWascap) {
  claims::ActorClaims c;
  c.expires = 1700000000;
  c.id = "J1";
  c.issued_at = 1600000000;
  c.issuer = "A1";
  c.subject = "M1";
  c.metadata.hash = "H";
  c.metadata.caps = {"wasmcloud:keyvalue"};
  c.metadata.rev = 3;
  // exp, jti, iat, iss, sub (no nbf), wascap {hash, caps, rev, prov}: name, tags, ver, call_alias are None.
  const Bytes bytes = hex({"86 a3 657870 ce 6553f100", "a3 6a7469 a2 4a31", "a3 696174 ce 5f5e1000",
                           "a3 697373 a2 4131", "a3 737562 a2 4d31", "a6 776173636170 84", "a4 68617368 a1 48",
                           "a4 63617073 91 b2 7761736d636c6f75643a6b657976616c7565", "a3 726576 03", "a4 70726f76 c2"});
  EXPECT_EQ(encodeActorClaims(c), bytes);
  auto decoded = decodeActorClaims(bytes);
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_TRUE(fieldsOf(*decoded) == fieldsOf(c));

  claims::ActorClaims full = c;
  full.not_before = 5;
  full.metadata = {"echo", "ABCD", {"a", "b"}, {"wasmcloud:httpserver"}, -7, "1.2.3", "echo_alias", true};
  decoded = decodeActorClaims(encodeActorClaims(full));
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_TRUE(fieldsOf(*decoded) == fieldsOf(full));
}

TEST(WireTest, RoundTripsOtherShapes) {
  WireInvocation inv = fixture();
  inv.origin = {host::EntityKind::kCapability, std::string(kProvider), "wasmcloud:httpserver", "web"};
  inv.target = {host::EntityKind::kActor, std::string(kActor), "", ""};
  inv.msg.resize(300);
  for (size_t i = 0; i < inv.msg.size(); ++i) inv.msg[i] = static_cast<uint8_t>(i);
  Bytes bytes = encodeInvocation(inv);
  auto decoded = decodeInvocation(bytes);
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, inv);
  inv.origin = {host::EntityKind::kActor, "system", "", ""};
  inv.msg.clear();
  decoded = decodeInvocation(encodeInvocation(inv));
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, inv);
}

using FieldWriter = std::function<void(Writer&)>;
using FieldList = std::vector<std::pair<std::string, FieldWriter>>;

FieldList fixtureFields() {
  return {{"origin", [](Writer& w) { w.mapHeader(1).uint(0).str(kActor); }},
          {"target",
           [](Writer& w) {
             w.mapHeader(1).uint(1).mapHeader(3).str("id").str(kProvider).str("contract_id");
             w.str("wasmcloud:keyvalue").str("link_name").str("default");
           }},
          {"operation", [](Writer& w) { w.str("Add"); }},
          {"msg", [](Writer& w) { w.arrayHeader(3).uint(1).uint(2).uint(200); }},
          {"id", [](Writer& w) { w.str(kId); }},
          {"encoded_claims", [](Writer& w) { w.str("a.b.c"); }},
          {"host_id", [](Writer& w) { w.str(kHost); }}};
}

Bytes mapOf(const FieldList& fields) {
  Writer w;
  w.mapHeader(static_cast<uint32_t>(fields.size()));
  for (const auto& [name, write] : fields) {
    w.str(name);
    write(w);
  }
  return w.take();
}

// The fixture with one field's value replaced (or, with a null writer, left out).
Bytes fixtureWith(const std::string& field, FieldWriter value) {
  FieldList fields = fixtureFields();
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    if (it->first != field) continue;
    if (value) {
      it->second = std::move(value);
    } else {
      fields.erase(it);
    }
    break;
  }
  return mapOf(fields);
}

TEST(WireTest, DecodesVariantNamesAndBinMsg) {
  EXPECT_EQ(mapOf(fixtureFields()), fixtureBytes());
  Bytes bytes = fixtureWith("origin", [](Writer& w) { w.mapHeader(1).str("Actor").str(kActor); });
  auto decoded = decodeInvocation(bytes);
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, fixture());
  bytes = fixtureWith("target", [](Writer& w) {
    w.mapHeader(1).str("Capability").mapHeader(4).str("link_name").str("default").str("contract_id");
    w.str("wasmcloud:keyvalue").str("future_field").uint(9).str("id").str(kProvider);
  });
  decoded = decodeInvocation(bytes);
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, fixture());
  decoded = decodeInvocation(fixtureWith("msg", [](Writer& w) { w.bin(Bytes{1, 2, 200}); }));
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, fixture());
}

void expectError(const Expected<WireInvocation>& result, std::string_view needle) {
  ASSERT_FALSE(result) << "decoded although it should fail with: " << needle;
  EXPECT_EQ(result.error().code, ErrorCode::kMalformed);
  EXPECT_NE(result.error().message.find(needle), std::string::npos)
      << "message: " << result.error().message << "\nexpected to contain: " << needle;
}

TEST(WireTest, RejectsTruncatedGarbageAndOversizedInput) {
  const Bytes good = fixtureBytes();
  for (size_t n = 0; n < good.size(); ++n) {
    // Cut inside a string or number: "truncated"; cut after a container header: its count exceeds what is left.
    auto cut = decodeInvocation(std::span(good).first(n));
    ASSERT_FALSE(cut) << "decoded the first " << n << " bytes";
    const std::string& m = cut.error().message;
    EXPECT_TRUE(m.starts_with("invocation: msgpack: truncated at offset") ||
                (m.starts_with("invocation: msgpack: container at offset") &&
                 m.ends_with("more than the input or the limit allows")))
        << m;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  expectError(decodeInvocation(trailing), "invocation: msgpack: 1 trailing byte(s)");
  expectError(decodeInvocation(hex({"c1"})), "invocation: msgpack: reserved byte 0xc1");
  expectError(decodeInvocation(hex({"92 01 02"})), "invocation: expected a map of fields, found array");
  expectError(decodeInvocation(hex({"dd ffffffff 00"})), "claims 4294967295 items");
  expectError(decodeInvocation(good, codec::DecodeLimits{64, 10}), "more than the input or the limit allows");
}

TEST(WireTest, ErrorsNameTheField) {
  const auto str = [](std::string s) { return [s](Writer& w) { w.str(s); }; };
  const auto capability = [](Writer& w) {  // contract_id missing
    w.mapHeader(1).uint(1).mapHeader(2).str("id").str(kProvider).str("link_name").str("default");
  };
  const struct {
    std::string field;
    FieldWriter value;  // null: the field is left out
    std::string message;
  } cases[] = {
      {"target", str("x"), "invocation: field 'target': expected a one-entry map {variant: value}, found string"},
      {"target", [](Writer& w) { w.mapHeader(2).uint(0).str(kActor).uint(0).str(kActor); },
       "invocation: field 'target': expected a one-entry map {variant: value}, found a map of 2 entries"},
      {"target", [](Writer& w) { w.mapHeader(1).uint(2).str(kActor); },
       "invocation: field 'target': unknown entity variant 2"},
      {"target", [](Writer& w) { w.mapHeader(1).str("Provider").nil(); },
       "invocation: field 'target': unknown entity variant \"Provider\""},
      {"target", capability, "invocation: field 'target': Capability: field 'contract_id': missing"},
      {"origin", [](Writer& w) { w.mapHeader(1).uint(0).uint(5); },
       "invocation: field 'origin': Actor: expected string, found integer"},
      {"operation", [](Writer& w) { w.uint(7); }, "invocation: field 'operation': expected string, found integer"},
      {"msg", [](Writer& w) { w.arrayHeader(2).uint(1).uint(256); },
       "invocation: field 'msg': item 1 is not a byte value 0..255 (found 256)"},
      {"msg", [](Writer& w) { w.arrayHeader(1).sint(-1); },
       "invocation: field 'msg': item 0 is not a byte value 0..255 (found -1)"},
      {"msg", str("abc"), "invocation: field 'msg': expected an array of byte values or binary, found string"},
      {"id", nullptr, "invocation: field 'id': missing"},
      {"id", [](Writer& w) { w.nil(); }, "invocation: field 'id': expected string, found nil"},
      {"host_id", str("N\xc3\x28"), "invocation: field 'host_id': not valid UTF-8"},
  };
  for (const auto& c : cases) expectError(decodeInvocation(fixtureWith(c.field, c.value)), c.message);
  FieldList twice = fixtureFields();
  twice.emplace_back("operation", str("Other"));
  expectError(decodeInvocation(mapOf(twice)), "invocation: field \"operation\" appears twice");

  auto response = decodeInvocationResponse(hex({"82 a3 6d7367 90 a5 6572726f72 05"}));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().message, "invocation response: field 'error': expected string, found integer");
  response = decodeInvocationResponse(hex({"82 a3 6d7367 90 a5 6572726f72 c0"}));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().message, "invocation response: field 'invocation_id': missing");

  Writer w;
  w.mapHeader(5).str("actor_id").str(kActor).str("provider_id").str(kProvider).str("link_name").str("default");
  w.str("contract_id").str("wasmcloud:keyvalue").str("values").mapHeader(1).str("PORT").uint(8080);
  auto link = decodeLinkDefinition(w.take());
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().message, "link definition: field 'values'['PORT']: expected string, found integer");
}

TEST(WireTest, ClaimsErrorsNameTheField) {
  const auto claimsWith = [](const FieldWriter& wascap, int64_t iat = 1) {
    Writer w;
    w.mapHeader(5).str("jti").str("J").str("iat").sint(iat).str("iss").str("A").str("sub").str("M").str("wascap");
    wascap(w);
    return w.take();
  };
  const auto error = [](const Bytes& bytes) {
    auto c = decodeActorClaims(bytes);
    return c ? std::string("(decoded)") : c.error().message;
  };
  EXPECT_EQ(error(claimsWith([](Writer& w) { w.mapHeader(1).str("hash").str("H"); })), "(decoded)");
  EXPECT_EQ(error(claimsWith([](Writer& w) { w.mapHeader(1).str("hash").str("H"); }, -1)),
            "actor claims: field 'iat': -1 is outside [0, 9223372036854775807]");
  EXPECT_EQ(error(claimsWith([](Writer& w) { w.nil(); })),
            "actor claims: field 'wascap': missing (actor claims need their metadata)");
  EXPECT_EQ(error(claimsWith([](Writer& w) { w.mapHeader(1).str("name").str("x"); })),
            "actor claims: field 'wascap': field 'hash': missing");
  EXPECT_EQ(error(claimsWith([](Writer& w) { w.mapHeader(2).str("hash").str("H").str("rev").uint(1ull << 31); })),
            "actor claims: field 'wascap': field 'rev': 2147483648 is outside [-2147483648, 2147483647]");
  EXPECT_EQ(
      error(claimsWith([](Writer& w) { w.mapHeader(2).str("hash").str("H").str("caps").arrayHeader(1).uint(1); })),
      "actor claims: field 'wascap': field 'caps'[0]: expected string, found integer");
  EXPECT_EQ(error(claimsWith([](Writer& w) { w.mapHeader(2).str("hash").str("H").str("prov").str("yes"); })),
            "actor claims: field 'wascap': field 'prov': expected bool, found string");
}

// ---- interop with @msgpack/msgpack on Node ----

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class NodeInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = testing::findProgram("node");
    if (node_.empty()) GTEST_FAIL() << "node is not installed: run scripts/install-deps.sh --test";
    if (!std::filesystem::exists(modules_ + "/@msgpack/msgpack/package.json")) {
      GTEST_FAIL() << "@msgpack/msgpack is not installed in " << modules_ << ": run scripts/install-deps.sh --test";
    }
  }

  // Runs the interop script; returns its stdout, or fails the test with its stderr.
  std::string run(const std::vector<std::string>& args) {
    const std::string err = dir_ + "/stratus-interop-stderr-" + std::to_string(::getpid()) + ".txt";
    std::string cmd = shellQuote(node_) + " " +
                      shellQuote(std::string(STRATUS_SOURCE_DIR) + "/tests/unit/lattice/msgpack_interop.mjs");
    cmd += " " + shellQuote(modules_);
    for (const auto& a : args) cmd += " " + shellQuote(a);
    cmd += " 2>" + shellQuote(err);
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) {
      ADD_FAILURE() << "cannot run " << cmd;
      return {};
    }
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    const int status = ::pclose(pipe);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::ifstream in(err);
      ADD_FAILURE() << "msgpack_interop.mjs failed (status " << status
                    << "): " << std::string(std::istreambuf_iterator<char>(in), {});
    }
    return out;
  }

  Bytes encodeWithNode(const nlohmann::ordered_json& value) {
    const std::string file = dir_ + "/stratus-interop-" + std::to_string(::getpid()) + ".bin";
    run({"encode", value.dump(), file});
    std::ifstream in(file, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }

  std::string node_;
  std::string modules_ = std::string(STRATUS_SOURCE_DIR) + "/tests/compat/node_modules";
  std::string dir_ = ::testing::TempDir();
};

// The fixture as the interop script's JSON: entities keyed "0" / "1" (integer keys on the wire), msg an array.
nlohmann::ordered_json fixtureJson() {
  nlohmann::ordered_json j;
  j["origin"] = {{"0", kActor}};
  j["target"] = {{"1", {{"id", kProvider}, {"contract_id", "wasmcloud:keyvalue"}, {"link_name", "default"}}}};
  j["operation"] = "Add";
  j["msg"] = {1, 2, 200};
  j["id"] = kId;
  j["encoded_claims"] = "a.b.c";
  j["host_id"] = kHost;
  return j;
}

TEST_F(NodeInteropTest, NodeDecodesOurInvocation) {
  const std::string file = dir_ + "/stratus-invocation-" + std::to_string(::getpid()) + ".bin";
  const Bytes bytes = encodeInvocation(fixture());
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  auto out = nlohmann::ordered_json::parse(run({"decode", file}), nullptr, false);
  ASSERT_TRUE(out.is_object()) << "not JSON";
  EXPECT_EQ(out["value"], fixtureJson()) << out.dump(2);  // field order, entity forms and msg as [1, 2, 200]
  EXPECT_EQ(out["key_types"]["0"], "number");
  EXPECT_EQ(out["key_types"]["1"], "number");
  EXPECT_EQ(out["key_types"]["origin"], "string");
}

TEST_F(NodeInteropTest, WeDecodeWhatNodeEncodes) {
  Bytes bytes = encodeWithNode(fixtureJson());
  EXPECT_EQ(bytes, encodeInvocation(fixture()));  // an independent encoder writes the very same bytes
  auto decoded = decodeInvocation(bytes);
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, fixture());

  nlohmann::ordered_json named = fixtureJson();
  named["origin"] = {{"Actor", kActor}};
  named["target"] = {{"Capability", named["target"]["1"]}};
  named["msg"] = {{"$bin", {1, 2, 200}}};
  decoded = decodeInvocation(encodeWithNode(named));
  ASSERT_TRUE(decoded) << decoded.error().toString();
  EXPECT_EQ(*decoded, fixture());

  nlohmann::ordered_json link_json;
  link_json["actor_id"] = kActor;
  link_json["provider_id"] = kProvider;
  link_json["link_name"] = "default";
  link_json["contract_id"] = "wasmcloud:keyvalue";
  link_json["values"] = {{"BIND", "0.0.0.0"}, {"PORT", "8080"}};
  bytes = encodeWithNode(link_json);
  const host::LinkDefinition link{std::string(kActor),
                                  std::string(kProvider),
                                  "wasmcloud:keyvalue",
                                  "default",
                                  {{"BIND", "0.0.0.0"}, {"PORT", "8080"}}};
  EXPECT_EQ(bytes, encodeLinkDefinition(link));
  auto decoded_link = decodeLinkDefinition(bytes);
  ASSERT_TRUE(decoded_link) << decoded_link.error().toString();
  EXPECT_EQ(decoded_link->values, link.values);
  EXPECT_EQ(decoded_link->provider_id, kProvider);
}

}  // namespace
}  // namespace stratus::lattice
