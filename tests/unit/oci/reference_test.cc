#include <gtest/gtest.h>

#include "stratus/oci/oci.h"

namespace stratus::oci {
namespace {

TEST(ReferenceTest, ParsesRegistryRepositoryTagAndDigest) {
  auto r = Reference::parse("wasmcloud.azurecr.io/echo:0.2.0");
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->registry, "wasmcloud.azurecr.io");
  EXPECT_EQ(r->repository, "echo");
  EXPECT_EQ(r->tag, "0.2.0");
  EXPECT_EQ(r->digest, "");
  EXPECT_EQ(r->identifier(), "0.2.0");
  EXPECT_EQ(r->str(), "wasmcloud.azurecr.io/echo:0.2.0");

  const std::string digest = "sha256:" + std::string(64, 'a');
  r = Reference::parse("localhost:5000/team/sub/actor_name@" + digest);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->registry, "localhost:5000");
  EXPECT_EQ(r->repository, "team/sub/actor_name");
  EXPECT_EQ(r->tag, "");
  EXPECT_EQ(r->identifier(), digest);

  r = Reference::parse("127.0.0.1:5000/a-b.c__d:v1.2-rc_3@" + digest);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->tag, "v1.2-rc_3");
  EXPECT_EQ(r->identifier(), digest);  // a digest wins over the tag
  EXPECT_EQ(r->str(), "127.0.0.1:5000/a-b.c__d:v1.2-rc_3@" + digest);
}

TEST(ReferenceTest, DockerHubDefaultsAndLatest) {
  auto r = Reference::parse("echo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->registry, "docker.io");
  EXPECT_EQ(r->repository, "library/echo");
  EXPECT_EQ(r->tag, "latest");
  r = Reference::parse("wasmcloud/echo:1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->registry, "docker.io");  // "wasmcloud" has no '.' or ':': a Docker Hub namespace
  EXPECT_EQ(r->repository, "wasmcloud/echo");
  r = Reference::parse("localhost/echo:1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->registry, "localhost");
}

TEST(ReferenceTest, RefusesMalformedReferencesNamingThePart) {
  struct Case {
    const char* text;
    const char* names;
  };
  for (const Case& c : {Case{"", "empty"}, Case{"reg.io/Echo:1", "'Echo'"}, Case{"reg.io/echo:-bad", "tag"},
                        Case{"reg.io/echo@sha256:abc", "digest"}, Case{"reg.io/echo@md5:" "0123", "digest"},
                        Case{"reg.io//echo:1", "component ''"}, Case{"reg.io/../x:1", "'..'"},
                        Case{"re_g.io:99/echo:1", "registry"}, Case{"reg.io:123456/echo:1", "registry"},
                        Case{"reg.io/echo-:1", "'echo-'"}, Case{"reg.io/:1", "no repository"}}) {
    auto r = Reference::parse(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.names), std::string::npos) << c.text << ": " << r.error().message;
  }
}

}  // namespace
}  // namespace stratus::oci
