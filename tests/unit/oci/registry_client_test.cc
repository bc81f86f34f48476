// The registry client against a real registry (distribution 2.8 on loopback): push and pull as wash does, checked
// from outside with skopeo; digests enforced; policy; Basic and Bearer auth.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "oci/digest.h"
#include "oci/manifest.h"
#include "stratus/common/files.h"
#include "stratus/oci/oci.h"
#include "support/actors.h"
#include "support/oci_registry.h"

namespace stratus::oci {
namespace {

using stratus::testing::OciRegistry;

const std::string kLoggingPar = std::string(STRATUS_PROVIDER_DIR) + "/logging.par.gz";

std::unique_ptr<OciRegistry> startRegistry(const std::string& name, stratus::testing::OciRegistryOptions o = {}) {
  auto registry = OciRegistry::start(name, std::move(o));
  EXPECT_TRUE(registry) << registry.error().toString();
  return registry ? std::move(*registry) : nullptr;
}

ClientOptions insecureTo(const OciRegistry& registry) {
  ClientOptions options;
  options.allowed_insecure = {registry.host()};
  options.auth.credentials_file = stratus::testing::noCredentials(registry.dir());  // never the user's own credentials
  return options;
}

Reference ref(const OciRegistry& registry, const std::string& rest) {
  return *Reference::parse(registry.host() + "/" + rest);
}

// skopeo's view of a manifest: independent of our JSON code.
nlohmann::json skopeoRaw(const OciRegistry& registry, const std::string& rest, const std::string& creds = "") {
  std::string cmd = "skopeo inspect --raw --tls-verify=false " + (creds.empty() ? "" : "--creds " + creds + " ") +
                    "docker://" + registry.host() + "/" + rest + " 2>&1";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
  }
  auto j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << cmd << ": " << out;
  return j;
}

Bytes signedActor() { return stratus::testing::signActor(stratus::testing::loadActor("test_actor"), {.name = "oci"}); }

TEST(RegistryClientTest, PushesAsWashDoesAndPullsByteIdentical) {
  auto registry = startRegistry("oci-push");
  ASSERT_TRUE(registry);
  RegistryClient client(insecureTo(*registry));
  const Bytes actor = signedActor();
  auto pushed = client.pushArtifact(ref(*registry, "stratus/echo:0.1.0"), actor);
  ASSERT_TRUE(pushed) << pushed.error().toString();
  EXPECT_EQ(pushed->layer_digest, sha256Digest(actor));

  const auto raw = skopeoRaw(*registry, "stratus/echo:0.1.0");
  EXPECT_EQ(raw["schemaVersion"], 2);
  EXPECT_EQ(raw["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(raw["config"]["mediaType"], "application/vnd.wasmcloud.actor.archive.config");
  EXPECT_EQ(raw["config"]["size"], 2);  // "{}", as wash sends without --config
  ASSERT_EQ(raw["layers"].size(), 1u);
  EXPECT_EQ(raw["layers"][0]["mediaType"], "application/vnd.module.wasm.content.layer.v1+wasm");
  EXPECT_EQ(raw["layers"][0]["digest"], pushed->layer_digest);
  EXPECT_EQ(raw["layers"][0]["size"], actor.size());

  auto pulled = client.pullArtifact(ref(*registry, "stratus/echo:0.1.0"));
  ASSERT_TRUE(pulled) << pulled.error().toString();
  EXPECT_EQ(pulled->kind, ArtifactKind::kActor);
  EXPECT_EQ(pulled->bytes, actor);
  EXPECT_EQ(pulled->manifest_digest, pushed->manifest_digest);
  auto by_digest = client.pullArtifact(ref(*registry, "stratus/echo@" + pushed->manifest_digest));
  ASSERT_TRUE(by_digest) << by_digest.error().toString();
  EXPECT_EQ(by_digest->bytes, actor);

  auto par = readFileBytes(kLoggingPar);
  ASSERT_TRUE(par);
  ASSERT_TRUE(client.pushArtifact(ref(*registry, "stratus/logging:0.1.0"), *par));
  const auto par_raw = skopeoRaw(*registry, "stratus/logging:0.1.0");
  EXPECT_EQ(par_raw["config"]["mediaType"], "application/vnd.wasmcloud.provider.archive.config");
  EXPECT_EQ(par_raw["layers"][0]["mediaType"], "application/vnd.wasmcloud.provider.archive.layer.v1+par");
  auto par_pulled = client.pullArtifact(ref(*registry, "stratus/logging:0.1.0"));
  ASSERT_TRUE(par_pulled) << par_pulled.error().toString();
  EXPECT_EQ(par_pulled->kind, ArtifactKind::kProvider);
  EXPECT_EQ(par_pulled->bytes, *par);
}

TEST(RegistryClientTest, UploadsInChunksWhenLargerThanTheChunkSize) {
  auto registry = startRegistry("oci-chunks");
  ASSERT_TRUE(registry);
  ClientOptions options = insecureTo(*registry);
  options.chunk_size = 1000;  // the test actor is several chunks, the last one partial
  std::vector<Progress> reports;
  options.progress = [&](const Progress& p) { reports.push_back(p); };
  RegistryClient client(options);
  const Bytes actor = signedActor();
  ASSERT_GT(actor.size(), 3000u);
  ASSERT_TRUE(client.pushArtifact(ref(*registry, "chunks/echo:1"), actor));
  RegistryClient reader(insecureTo(*registry));
  auto pulled = reader.pullArtifact(ref(*registry, "chunks/echo:1"));
  ASSERT_TRUE(pulled) << pulled.error().toString();
  EXPECT_EQ(pulled->bytes, actor);
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back().done, actor.size());
  EXPECT_EQ(reports.back().total, actor.size());
}

TEST(RegistryClientTest, ACorruptedBlobOnTheRegistryIsRefusedNamingItsDigest) {
  auto registry = startRegistry("oci-corrupt");
  ASSERT_TRUE(registry);
  RegistryClient client(insecureTo(*registry));
  const Bytes actor = signedActor();
  auto pushed = client.pushArtifact(ref(*registry, "c/echo:1"), actor);
  ASSERT_TRUE(pushed);
  {
    std::fstream blob(registry->blobPath(pushed->layer_digest), std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(blob);
    blob.seekp(100);
    blob.put('\x7f');  // same size, other bytes
  }
  auto pulled = client.pullArtifact(ref(*registry, "c/echo:1"));
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error().code, ErrorCode::kMalformed);
  EXPECT_NE(pulled.error().message.find("digest mismatch: expected " + pushed->layer_digest), std::string::npos)
      << pulled.error().message;

  {
    std::ofstream grow(registry->blobPath(pushed->layer_digest), std::ios::app | std::ios::binary);
    grow << "more";
  }
  pulled = client.pullArtifact(ref(*registry, "c/echo:1"));
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error().code, ErrorCode::kMalformed);
  EXPECT_NE(pulled.error().message.find(pushed->layer_digest), std::string::npos) << pulled.error().message;
}

TEST(RegistryClientTest, WrongMediaTypesAreRefusedNamingThem) {
  auto registry = startRegistry("oci-media");
  ASSERT_TRUE(registry);
  RegistryClient client(insecureTo(*registry));
  const Bytes actor = signedActor();
  const Reference r = ref(*registry, "m/echo:1");
  auto config = client.pushBlob(r, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>("{}"), 2));
  auto layer = client.pushBlob(r, actor);
  ASSERT_TRUE(config && layer);
  // A container image layer: not a wasmCloud artifact.
  const std::string docker_layer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
  ASSERT_TRUE(client.putManifest(r, kOciManifestMediaType,
                                 buildManifest({"application/vnd.oci.image.config.v1+json", *config, 2},
                                               {docker_layer, *layer, actor.size()})));
  auto pulled = client.pullArtifact(r);
  ASSERT_FALSE(pulled);
  EXPECT_EQ(pulled.error().code, ErrorCode::kMalformed);
  EXPECT_NE(pulled.error().message.find(docker_layer), std::string::npos) << pulled.error().message;
  // A provider archive media type over a wasm module.
  const Reference r2 = ref(*registry, "m/echo:2");
  ASSERT_TRUE(client.putManifest(r2, kOciManifestMediaType,
                                 buildManifest({std::string(kProviderConfigMediaType), *config, 2},
                                               {std::string(kProviderLayerMediaType), *layer, actor.size()})));
  pulled = client.pullArtifact(r2);
  ASSERT_FALSE(pulled);
  EXPECT_NE(pulled.error().message.find("but holds a wasm module"), std::string::npos) << pulled.error().message;
}

TEST(RegistryClientTest, PolicyLatestAndHttpsAndMissingThings) {
  auto registry = startRegistry("oci-policy");
  ASSERT_TRUE(registry);
  RegistryClient client(insecureTo(*registry));
  const Bytes actor = signedActor();
  auto latest = client.pushArtifact(ref(*registry, "p/echo:latest"), actor);
  ASSERT_FALSE(latest);
  EXPECT_EQ(latest.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(latest.error().message.find(":latest"), std::string::npos);
  EXPECT_FALSE(client.pullArtifact(ref(*registry, "p/echo")));  // no tag means latest

  ClientOptions allow = insecureTo(*registry);
  allow.allow_latest = true;
  EXPECT_TRUE(RegistryClient(allow).pushArtifact(ref(*registry, "p/echo:latest"), actor));

  // Not listed as insecure: HTTPS, which a plain HTTP registry does not speak.
  RegistryClient strict;
  auto https = strict.pullArtifact(ref(*registry, "p/echo:1"));
  ASSERT_FALSE(https);
  EXPECT_EQ(https.error().code, ErrorCode::kPermissionDenied);  // reached, not trusted: no cache fallback
  EXPECT_NE(https.error().message.find("https://" + registry->host()), std::string::npos) << https.error().message;

  auto missing = client.pullArtifact(ref(*registry, "p/nothing:1"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("MANIFEST_UNKNOWN"), std::string::npos) << missing.error().message;

  const Bytes text = {'n', 'o', 't', ' ', 'w', 'a', 's', 'm'};
  auto junk = client.pushArtifact(ref(*registry, "p/junk:1"), text);
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().message.find("neither a wasm module nor a provider archive"), std::string::npos);
}

TEST(RegistryClientTest, BasicAuthWithCredentialsFromOptionsEnvironmentOrDockerConfig) {
  auto registry = startRegistry("oci-basic", {.user = "alice", .password = "s3cret:pw"});
  ASSERT_TRUE(registry);
  const Bytes actor = signedActor();
  auto anonymous = RegistryClient(insecureTo(*registry)).pushArtifact(ref(*registry, "b/echo:1"), actor);
  ASSERT_FALSE(anonymous);
  EXPECT_EQ(anonymous.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(anonymous.error().message.find("requires credentials"), std::string::npos) << anonymous.error().message;

  ClientOptions wrong = insecureTo(*registry);
  wrong.auth.credentials = Credentials{"alice", "nope"};
  auto refused = RegistryClient(wrong).pushArtifact(ref(*registry, "b/echo:1"), actor);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);

  ClientOptions right = insecureTo(*registry);
  right.auth.credentials = Credentials{"alice", "s3cret:pw"};
  ASSERT_TRUE(RegistryClient(right).pushArtifact(ref(*registry, "b/echo:1"), actor));
  EXPECT_EQ(skopeoRaw(*registry, "b/echo:1", "alice:s3cret:pw")["layers"][0]["digest"], sha256Digest(actor));

  ::setenv("OCI_REGISTRY_USER", "alice", 1);
  ::setenv("OCI_REGISTRY_PASSWORD", "s3cret:pw", 1);
  auto from_env = RegistryClient(insecureTo(*registry)).pullArtifact(ref(*registry, "b/echo:1"));
  ::unsetenv("OCI_REGISTRY_USER");
  ::unsetenv("OCI_REGISTRY_PASSWORD");
  ASSERT_TRUE(from_env) << from_env.error().toString();
  EXPECT_EQ(from_env->bytes, actor);

  const std::string config = (registry->dir() / "docker-config.json").string();
  // base64("alice:s3cret:pw")
  std::ofstream(config) << R"({"auths":{")" << registry->host() << R"(":{"auth":"YWxpY2U6czNjcmV0OnB3"}}})";
  ClientOptions from_file = insecureTo(*registry);
  from_file.auth.credentials_file = config;
  auto pulled = RegistryClient(from_file).pullArtifact(ref(*registry, "b/echo:1"));
  ASSERT_TRUE(pulled) << pulled.error().toString();
}

TEST(RegistryClientTest, BearerTokensFromTheRegistrysTokenServer) {
  auto registry = startRegistry("oci-token", {.user = "tok", .password = "en", .token_auth = true});
  ASSERT_TRUE(registry);
  const Bytes actor = signedActor();
  ClientOptions options = insecureTo(*registry);
  options.auth.credentials = Credentials{"tok", "en"};
  RegistryClient client(options);
  auto pushed = client.pushArtifact(ref(*registry, "t/echo:1"), actor);
  ASSERT_TRUE(pushed) << pushed.error().toString();
  auto pulled = client.pullArtifact(ref(*registry, "t/echo:1"));
  ASSERT_TRUE(pulled) << pulled.error().toString();
  EXPECT_EQ(pulled->bytes, actor);

  // Anonymous: the token server hands out a token without access, which the registry refuses.
  auto anonymous = RegistryClient(insecureTo(*registry)).pullArtifact(ref(*registry, "t/echo:1"));
  ASSERT_FALSE(anonymous);
  EXPECT_EQ(anonymous.error().code, ErrorCode::kPermissionDenied);
  ClientOptions wrong = insecureTo(*registry);
  wrong.auth.credentials = Credentials{"tok", "wrong"};
  auto refused = RegistryClient(wrong).pullArtifact(ref(*registry, "t/echo:1"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("token server"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace stratus::oci
