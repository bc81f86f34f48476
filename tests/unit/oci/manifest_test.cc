// Manifests, layer selection, digests and auth challenges: the parts of the OCI client that need no server.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "oci/auth.h"
#include "oci/digest.h"
#include "oci/manifest.h"

namespace stratus::oci {
namespace {

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');

std::string manifestJson(const std::vector<std::string>& layer_types, std::string media_type = std::string(
                                                                          kOciManifestMediaType)) {
  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", media_type},
                      {"config", {{"mediaType", kActorConfigMediaType}, {"digest", kD1}, {"size", 2}}},
                      {"layers", nlohmann::json::array()}};
  for (const auto& t : layer_types) m["layers"].push_back({{"mediaType", t}, {"digest", kD2}, {"size", 10}});
  return m.dump();
}

TEST(OciManifestTest, BuildsTheManifestWashPushesAndParsesItBack) {
  const std::string built = buildManifest({std::string(kActorConfigMediaType), kD1, 2},
                                          {std::string(kWasmLayerMediaType), kD2, 1234});
  // Hand-written expectation: the OCI image manifest, fields in oci-distribution's order.
  EXPECT_EQ(built, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                   "\"config\":{\"mediaType\":\"application/vnd.wasmcloud.actor.archive.config\",\"digest\":\"" +
                       kD1 + "\",\"size\":2},\"layers\":[{\"mediaType\":"
                             "\"application/vnd.module.wasm.content.layer.v1+wasm\",\"digest\":\"" +
                       kD2 + "\",\"size\":1234}]}");
  auto m = parseManifest(built, sha256Digest(built), "ref");
  ASSERT_TRUE(m) << m.error().toString();
  EXPECT_EQ(m->media_type, kOciManifestMediaType);
  EXPECT_EQ(m->config.digest, kD1);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 1234u);
  auto layer = selectArtifactLayer(*m, "ref");
  ASSERT_TRUE(layer);
  EXPECT_EQ(layer->media_type, kWasmLayerMediaType);
}

TEST(OciManifestTest, AcceptsTheThreeLayerTypesOfWasmCloudAndDockerManifests) {
  for (auto type : {kWasmLayerMediaType, kProviderLayerMediaType, kOciTarLayerMediaType}) {
    auto m = parseManifest(manifestJson({std::string(type)}, std::string(kDockerManifestMediaType)), kD1, "ref");
    ASSERT_TRUE(m) << m.error().toString();
    EXPECT_TRUE(selectArtifactLayer(*m, "ref")) << type;
  }
}

TEST(OciManifestTest, RefusesWhatIsNotOneWasmCloudLayerNamingTheMediaTypes) {
  auto m = parseManifest(manifestJson({"application/vnd.docker.image.rootfs.diff.tar.gzip"}), kD1, "reg/x:1");
  ASSERT_TRUE(m);
  auto layer = selectArtifactLayer(*m, "reg/x:1");
  ASSERT_FALSE(layer);
  EXPECT_EQ(layer.error().code, ErrorCode::kMalformed);
  EXPECT_NE(layer.error().message.find("reg/x:1: no layer of a wasmCloud media type"), std::string::npos);
  EXPECT_NE(layer.error().message.find("application/vnd.docker.image.rootfs.diff.tar.gzip"), std::string::npos);

  m = parseManifest(manifestJson({std::string(kWasmLayerMediaType), std::string(kWasmLayerMediaType)}), kD1, "r");
  ASSERT_TRUE(m);
  EXPECT_NE(selectArtifactLayer(*m, "r").error().message.find("more than one layer"), std::string::npos);
}

TEST(OciManifestTest, RefusesIndexesAndBrokenManifests) {
  auto index = parseManifest(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
                                 "manifests":[]})",
                             kD1, "r");
  ASSERT_FALSE(index);
  EXPECT_NE(index.error().message.find("image index"), std::string::npos);
  for (const char* bad : {"not json", "[]", R"({"schemaVersion":1})",
                          R"({"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:12","size":1},"layers":[]})",
                          R"({"schemaVersion":2,"config":{"mediaType":"x","size":1},"layers":[]})",
                          R"({"schemaVersion":2,"mediaType":"text/plain","config":{},"layers":[]})"}) {
    auto m = parseManifest(bad, kD1, "r");
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().code, ErrorCode::kMalformed) << bad;
  }
}

TEST(OciManifestTest, LayerContentMustMatchItsMediaType) {
  const Bytes wasm = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  const Bytes gzip = {0x1f, 0x8b, 0x08, 0x00};
  EXPECT_EQ(*checkLayerContent({std::string(kWasmLayerMediaType), kD1, 8}, wasm, "r"), ArtifactKind::kActor);
  EXPECT_EQ(*checkLayerContent({std::string(kProviderLayerMediaType), kD1, 4}, gzip, "r"), ArtifactKind::kProvider);
  EXPECT_EQ(*checkLayerContent({std::string(kOciTarLayerMediaType), kD1, 4}, gzip, "r"), ArtifactKind::kProvider);
  auto mismatch = checkLayerContent({std::string(kWasmLayerMediaType), kD1, 4}, gzip, "r");
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().message.find("has media type " + std::string(kWasmLayerMediaType) +
                                          " but holds a provider archive"),
            std::string::npos);
  const Bytes text = {'h', 'i'};
  EXPECT_NE(checkLayerContent({std::string(kWasmLayerMediaType), kD1, 2}, text, "r").error().message.find(
                "neither a wasm module nor a provider archive"),
            std::string::npos);
}

TEST(OciDigestTest, Sha256OfKnownBytesAndMismatchesNamed) {
  // sha256("abc"), from FIPS 180-2.
  EXPECT_EQ(sha256Digest(std::string_view("abc")),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const Bytes abc = {'a', 'b', 'c'};
  EXPECT_TRUE(verifyDigest(abc, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "x"));
  auto bad = verifyDigest(abc, kD1, "blob");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("blob: digest mismatch: expected " + kD1), std::string::npos);
  EXPECT_FALSE(verifyDigest(abc, "sha512:00", "x"));
  EXPECT_FALSE(isSha256Digest("sha256:" + std::string(64, 'A')));  // upper case is not canonical
}

TEST(OciAuthTest, ParsesBearerAndBasicChallenges) {
  auto bearer = parseChallenge(
      R"(Bearer realm="http://127.0.0.1:5001/token",service="stratus-test",scope="repository:a/b:pull,push")");
  ASSERT_TRUE(bearer) << bearer.error().toString();
  EXPECT_EQ(bearer->scheme, "bearer");
  EXPECT_EQ(bearer->param("realm"), "http://127.0.0.1:5001/token");
  EXPECT_EQ(bearer->param("service"), "stratus-test");
  EXPECT_EQ(bearer->param("scope"), "repository:a/b:pull,push");
  auto basic = parseChallenge(R"(Basic realm="stratus \"test\"")");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->scheme, "basic");
  EXPECT_EQ(basic->param("realm"), "stratus \"test\"");
  EXPECT_FALSE(parseChallenge(""));
  EXPECT_FALSE(parseChallenge(R"(Bearer realm="unclosed)"));
}

TEST(OciAuthTest, CredentialsFromOptionsThenEnvironmentThenDockerConfig) {
  const std::string file = ::testing::TempDir() + "/oci_auth_config.json";
  // base64("alice:s3cret") = YWxpY2U6czNjcmV0
  std::ofstream(file) << R"({"auths":{"https://reg.example:5000/v1/":{"auth":"YWxpY2U6czNjcmV0"},
                                      "other.example":{"username":"bob","password":"pw"}}})";
  ::unsetenv("OCI_REGISTRY_USER");
  ::unsetenv("OCI_REGISTRY_PASSWORD");
  AuthOptions options{.credentials_file = file};
  auto found = findCredentials(options, "reg.example:5000");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->username, "alice");
  EXPECT_EQ((*found)->password, "s3cret");
  found = findCredentials(options, "other.example");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->username, "bob");
  found = findCredentials(options, "nobody.example");
  ASSERT_TRUE(found);
  EXPECT_FALSE(*found);

  ::setenv("OCI_REGISTRY_USER", "env-user", 1);
  ::setenv("OCI_REGISTRY_PASSWORD", "env-pw", 1);
  found = findCredentials(options, "reg.example:5000");
  EXPECT_EQ((*found)->username, "env-user");
  options.credentials = Credentials{"explicit", "pw"};
  found = findCredentials(options, "reg.example:5000");
  EXPECT_EQ((*found)->username, "explicit");
  ::unsetenv("OCI_REGISTRY_USER");
  ::unsetenv("OCI_REGISTRY_PASSWORD");

  std::ofstream(file) << "not json";
  auto broken = findCredentials({.credentials_file = file}, "reg.example:5000");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find(file), std::string::npos);
  EXPECT_EQ(basicAuthorization({"alice", "s3cret"}), "Basic YWxpY2U6czNjcmV0");
}

}  // namespace
}  // namespace stratus::oci
