// Host manifests: parsing YAML and JSON, environment substitution, errors that name the entry, applying.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "stratus/host/manifest.h"
#include "support/actors.h"

namespace stratus::host {
namespace {

EnvLookup fakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

constexpr const char* kYaml = R"(
labels:
  region: ${REGION:eu}
actors:
  - ./echo_s.wasm
capabilities:
  - image_ref: ./httpserver.par.gz
  - image_ref: ./kv.par.gz
    link_name: cache
links:
  - actor: ${ECHO_ACTOR:MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5}
    contract_id: "wasmcloud:httpserver"
    provider_id: VAG3QITQQ2ODAOWB5TTQSDJ53XK3SHBEIFNK4AYJ5RKAX2UNSCAPHA5M
    values:
      PORT: 8080
      TRACE: true
)";

TEST(ManifestTest, SubstitutesVariablesWithDefaultsAndLeavesTheRest) {
  auto env = fakeEnv({{"A", "1"}, {"EMPTY", ""}});
  EXPECT_EQ(substituteEnv("${A}-${B:two}-${C}-$A-${EMPTY:x}", env), "1-two-${C}-$A-");
  EXPECT_EQ(substituteEnv("${unterminated", env), "${unterminated");
  EXPECT_EQ(substituteEnv("${B:}", env), "");
}

TEST(ManifestTest, ParsesTheWasmCloudLayout) {
  auto m = parseManifest(kYaml, "test.yaml", fakeEnv({{"REGION", "us"}}));
  ASSERT_TRUE(m) << m.error().toString();
  EXPECT_EQ(m->labels.at("region"), "us");
  ASSERT_EQ(m->actors.size(), 1u);
  EXPECT_EQ(m->actors[0].image_ref, "./echo_s.wasm");
  EXPECT_EQ(m->actors[0].engine, std::nullopt);
  ASSERT_EQ(m->capabilities.size(), 2u);
  EXPECT_EQ(m->capabilities[0].link_name, "default");
  EXPECT_EQ(m->capabilities[1].link_name, "cache");
  ASSERT_EQ(m->links.size(), 1u);
  const auto& l = m->links[0];
  EXPECT_EQ(l.actor_id, "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5");
  EXPECT_EQ(l.contract_id, "wasmcloud:httpserver");
  EXPECT_EQ(l.link_name, "default");
  EXPECT_EQ(l.values.at("PORT"), "8080");
  EXPECT_EQ(l.values.at("TRACE"), "true");
}

TEST(ManifestTest, ParsesJson) {
  auto m = parseManifest(R"({"actors": ["a.wasm"], "links": [{"actor": "M1", "contract_id": "c", "provider_id": "V1",
                             "link_name": "x", "values": {"K": "v"}}]})",
                         "m.json", fakeEnv({}));
  ASSERT_TRUE(m) << m.error().toString();
  EXPECT_EQ(m->links.at(0).link_name, "x");
  EXPECT_EQ(m->links.at(0).values.at("K"), "v");
}

TEST(ManifestTest, ErrorsNameTheFileTheEntryAndTheProblem) {
  auto syntax = parseManifest("actors: [a.wasm\nlinks: {", "broken.yaml", fakeEnv({}));
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().code, ErrorCode::kMalformed);
  EXPECT_NE(syntax.error().message.find("broken.yaml:"), std::string::npos) << syntax.error().message;

  auto missing = parseManifest("links:\n  - actor: M1\n    contract_id: c\n", "m.yaml", fakeEnv({}));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("links[0]: provider_id is missing"), std::string::npos)
      << missing.error().message;

  auto typo = parseManifest("capabilities:\n  - image_ref: x.par.gz\n    linkname: y\n", "m.yaml", fakeEnv({}));
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("capabilities[0]: unknown field 'linkname'"), std::string::npos)
      << typo.error().message;

  auto wrong_type = parseManifest("actors: {a: b}\n", "m.yaml", fakeEnv({}));
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().message.find("actors: expected a list"), std::string::npos);

  auto values = parseManifest("links:\n  - {actor: M, contract_id: c, provider_id: V, values: [1]}\n", "m.yaml",
                              fakeEnv({}));
  ASSERT_FALSE(values);
  EXPECT_NE(values.error().message.find("links[0].values"), std::string::npos) << values.error().message;
  EXPECT_FALSE(loadManifest("/nonexistent/manifest.yaml"));

  auto engine = parseManifest("actors:\n  - {image_ref: a.wasm, engine: jit}\n", "m.yaml", fakeEnv({}));
  ASSERT_FALSE(engine);
  EXPECT_NE(engine.error().message.find("actors[0].engine: unknown engine 'jit' (use interp, aot, auto)"),
            std::string::npos)
      << engine.error().message;
  auto no_ref = parseManifest("actors:\n  - {engine: aot}\n", "m.yaml", fakeEnv({}));
  ASSERT_FALSE(no_ref);
  EXPECT_NE(no_ref.error().message.find("actors[0]: image_ref is missing"), std::string::npos)
      << no_ref.error().message;
}

TEST(ManifestTest, ActorEntriesMayChooseTheirEngine) {
  auto m = parseManifest("actors:\n  - plain_s.wasm\n  - {image_ref: fast_s.wasm, engine: aot}\n"
                         "  - image_ref: auto_s.wasm\n    engine: auto\n",
                         "m.yaml", fakeEnv({}));
  ASSERT_TRUE(m) << m.error().toString();
  ASSERT_EQ(m->actors.size(), 3u);
  EXPECT_EQ(m->actors[0].image_ref, "plain_s.wasm");
  EXPECT_EQ(m->actors[0].engine, std::nullopt);
  EXPECT_EQ(m->actors[1].image_ref, "fast_s.wasm");
  EXPECT_EQ(m->actors[1].engine, EngineMode::only(engine::Backend::kAot));
  EXPECT_EQ(m->actors[2].engine, EngineMode::automatic());
}

TEST(ManifestTest, CapabilityEntriesMayChooseTheirIsolation) {
  auto m = parseManifest("capabilities:\n  - {image_ref: a.par.gz}\n  - {image_ref: b.par.gz, isolation: process}\n"
                         "  - {image_ref: c.par.gz, isolation: inproc}\n",
                         "m.yaml", fakeEnv({}));
  ASSERT_TRUE(m) << m.error().toString();
  ASSERT_EQ(m->capabilities.size(), 3u);
  EXPECT_EQ(m->capabilities[0].isolation, std::nullopt);
  EXPECT_EQ(m->capabilities[1].isolation, capability::ProviderIsolation::kProcess);
  EXPECT_EQ(m->capabilities[2].isolation, capability::ProviderIsolation::kInProcess);
  auto bad = parseManifest("capabilities:\n  - {image_ref: b.par.gz, isolation: vm}\n", "m.yaml", fakeEnv({}));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("capabilities[0].isolation: unknown isolation 'vm' (expected process or inproc)"),
            std::string::npos)
      << bad.error().message;
}

TEST(ManifestTest, ApplyingStartsActorsRelativeToTheManifestAndNamesTheFailingEntry) {
  const std::string dir = ::testing::TempDir() + "/manifest_apply";
  std::filesystem::create_directories(dir);
  std::string actor_key;
  Bytes actor = stratus::testing::signActor(stratus::testing::loadActor("test_actor"), {.name = "m"}, &actor_key);
  std::ofstream(dir + "/actor_s.wasm", std::ios::binary).write(reinterpret_cast<const char*>(actor.data()),
                                                                actor.size());
  std::ofstream(dir + "/good.yaml") << "actors:\n  - actor_s.wasm\n";
  std::ofstream(dir + "/bad.yaml") << "actors:\n  - missing_s.wasm\n";
  std::ofstream(dir + "/latest.yaml") << "actors:\n  - 127.0.0.1:1/echo:latest\n";
  std::ofstream(dir + "/unreachable.yaml") << "actors:\n  - 127.0.0.1:1/echo:0.2.0\n";

  auto host = HostBuilder().withProviderHealthInterval(std::chrono::milliseconds(0)).build();
  ASSERT_TRUE(host);
  auto good = loadManifest(dir + "/good.yaml");
  ASSERT_TRUE(good) << good.error().toString();
  ASSERT_TRUE(applyManifest(**host, *good));
  ASSERT_EQ((*host)->actors().size(), 1u);
  EXPECT_EQ((*host)->actors()[0].public_key, actor_key);

  auto bad = applyManifest(**host, *loadManifest(dir + "/bad.yaml"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kNotFound);
  EXPECT_NE(bad.error().message.find("bad.yaml: actors[0] (missing_s.wasm): no such file"), std::string::npos)
      << bad.error().message;
  // What names no file is an OCI reference: the policy refuses :latest, and a registry that is not there is named.
  auto latest = applyManifest(**host, *loadManifest(dir + "/latest.yaml"));
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(latest.error().message.find("127.0.0.1:1/echo:latest"), std::string::npos) << latest.error().message;
  auto unreachable = applyManifest(**host, *loadManifest(dir + "/unreachable.yaml"));
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(unreachable.error().message.find("https://127.0.0.1:1/v2/echo/manifests/0.2.0"), std::string::npos)
      << unreachable.error().message;
}

}  // namespace
}  // namespace stratus::host
