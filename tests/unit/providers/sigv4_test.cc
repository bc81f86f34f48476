// The S3 provider's SigV4 signer against AWS's published vectors, and its small XML reader against S3's documents.
// s3rver, which the blobstore conformance tests run against, does not verify V4 signatures, so these vectors are what
// shows the signer right.
//
// Vectors: AWS "Signature Version 4 Test Suite" (aws-sig-v4-test-suite, 2015-08-30: credentials AKIDEXAMPLE,
// region us-east-1, service "service"), each with its canonical request (.creq), the SHA-256 in its string to sign
// (.sts) and its signature (.authz); and the worked examples of the Amazon S3 API Reference, "Signature Calculations
// for the Authorization Header: Transferring Payload in a Single Chunk" (GET Object, PUT Object, GET Bucket
// Lifecycle, GET Bucket (List Objects)).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "s3_xml.h"
#include "sigv4.h"

namespace stratus::providers::s3 {
namespace {

constexpr std::string_view kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSuiteDate = "20150830T123600Z";

const Credentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const Credentials kS3DocsCredentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct SuiteVector {
  std::string name;
  std::string method;
  std::string path;
  Pairs query;
  Pairs extra_headers;  // besides Host and X-Amz-Date
  std::string canonical_request;
  std::string sts_hash;  // last line of the .sts
  std::string signature;
};

class SigV4SuiteTest : public ::testing::TestWithParam<SuiteVector> {};

TEST_P(SigV4SuiteTest, MatchesCanonicalRequestStringToSignAndSignature) {
  const SuiteVector& v = GetParam();
  SigV4Request r;
  r.method = v.method;
  r.canonical_uri = v.path;
  r.query = v.query;
  r.headers = {{"Host", "example.amazonaws.com"}};
  for (const auto& h : v.extra_headers) r.headers.push_back(h);
  r.headers.emplace_back("X-Amz-Date", std::string(kSuiteDate));
  r.payload_hash = kEmptyHash;
  SigV4Signature s = signV4(r, kSuiteCredentials, "us-east-1", "service", kSuiteDate);
  EXPECT_EQ(s.canonical_request, v.canonical_request);
  EXPECT_EQ(sha256Hex(s.canonical_request), v.sts_hash);
  std::string sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n";
  sts.append(v.sts_hash);
  EXPECT_EQ(s.string_to_sign, sts);
  EXPECT_EQ(s.signature, v.signature);
  std::string authz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=";
  authz.append(s.signed_headers).append(", Signature=").append(v.signature);
  EXPECT_EQ(s.authorization, authz);
}

std::string creq(const std::string& method, const std::string& path, const std::string& query,
                 const std::string& extra_headers, const std::string& signed_headers) {
  std::string out = method;
  out.append("\n").append(path).append("\n").append(query).append("\nhost:example.amazonaws.com\n");
  out.append(extra_headers).append("x-amz-date:20150830T123600Z\n\n").append(signed_headers).append("\n");
  out.append(kEmptyHash);
  return out;
}

const std::string kUnreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

INSTANTIATE_TEST_SUITE_P(
    AwsTestSuite, SigV4SuiteTest,
    ::testing::Values(
        SuiteVector{"get_vanilla",
                    "GET",
                    "/",
                    {},
                    {},
                    creq("GET", "/", "", "", "host;x-amz-date"),
                    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
                    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        // The suite's get-vanilla-empty-query-key request is GET /?Param1=value1.
        SuiteVector{"get_vanilla_empty_query_key",
                    "GET",
                    "/",
                    {{"Param1", "value1"}},
                    {},
                    creq("GET", "/", "Param1=value1", "", "host;x-amz-date"),
                    "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
                    "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
        SuiteVector{"get_vanilla_query_order_key_case",
                    "GET",
                    "/",
                    {{"Param2", "value2"}, {"Param1", "value1"}},
                    {},
                    creq("GET", "/", "Param1=value1&Param2=value2", "", "host;x-amz-date"),
                    "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
                    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        SuiteVector{"get_vanilla_query_order_value",
                    "GET",
                    "/",
                    {{"Param1", "value2"}, {"Param1", "value1"}},
                    {},
                    creq("GET", "/", "Param1=value1&Param1=value2", "", "host;x-amz-date"),
                    "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
                    "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
        SuiteVector{"get_vanilla_query_order_key",
                    "GET",
                    "/",
                    {{"Param1", "value2"}, {"Param1", "Value1"}},
                    {},
                    creq("GET", "/", "Param1=Value1&Param1=value2", "", "host;x-amz-date"),
                    "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
                    "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
        SuiteVector{"get_vanilla_query_unreserved",
                    "GET",
                    "/",
                    {{kUnreserved, kUnreserved}},
                    {},
                    creq("GET", "/", kUnreserved + "=" + kUnreserved, "", "host;x-amz-date"),
                    "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
                    "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
        SuiteVector{"get_vanilla_utf8_query",
                    "GET",
                    "/",
                    {{"\xe1\x88\xb4", "bar"}},
                    {},
                    creq("GET", "/", "%E1%88%B4=bar", "", "host;x-amz-date"),
                    "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
                    "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
        SuiteVector{"get_unreserved",
                    "GET",
                    "/" + kUnreserved,
                    {},
                    {},
                    creq("GET", "/" + kUnreserved, "", "", "host;x-amz-date"),
                    "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
                    "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
        SuiteVector{"get_header_key_duplicate",
                    "GET",
                    "/",
                    {},
                    {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
                    creq("GET", "/", "", "my-header1:value2,value2,value1\n", "host;my-header1;x-amz-date"),
                    "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
                    "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
        SuiteVector{
            "get_header_value_order",
            "GET",
            "/",
            {},
            {{"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}},
            creq("GET", "/", "", "my-header1:value4,value1,value3,value2\n", "host;my-header1;x-amz-date"),
            "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
            "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
        SuiteVector{
            "get_header_value_trim",
            "GET",
            "/",
            {},
            {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
            creq("GET", "/", "", "my-header1:value1\nmy-header2:\"a b c\"\n", "host;my-header1;my-header2;x-amz-date"),
            "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        SuiteVector{"post_vanilla",
                    "POST",
                    "/",
                    {},
                    {},
                    creq("POST", "/", "", "", "host;x-amz-date"),
                    "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
                    "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        SuiteVector{"post_vanilla_query",
                    "POST",
                    "/",
                    {{"Param1", "value1"}},
                    {},
                    creq("POST", "/", "Param1=value1", "", "host;x-amz-date"),
                    "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
                    "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
        SuiteVector{"post_header_key_sort",
                    "POST",
                    "/",
                    {},
                    {{"My-Header1", "value1"}},
                    creq("POST", "/", "", "my-header1:value1\n", "host;my-header1;x-amz-date"),
                    "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
                    "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
        SuiteVector{"post_header_value_case",
                    "POST",
                    "/",
                    {},
                    {{"My-Header1", "VALUE1"}},
                    creq("POST", "/", "", "my-header1:VALUE1\n", "host;my-header1;x-amz-date"),
                    "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
                    "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"}),
    [](const ::testing::TestParamInfo<SuiteVector>& p) { return p.param.name; });

// The S3 API Reference examples: bucket examplebucket, region us-east-1, service s3, 20130524T000000Z.
SigV4Signature signS3Example(const std::string& method, const std::string& path, Pairs query, Pairs extra,
                             const std::string& payload_hash) {
  SigV4Request r;
  r.method = method;
  r.canonical_uri = path;
  r.query = std::move(query);
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  for (auto& h : extra) r.headers.push_back(std::move(h));
  r.headers.emplace_back("x-amz-content-sha256", payload_hash);
  r.headers.emplace_back("x-amz-date", "20130524T000000Z");
  r.payload_hash = payload_hash;
  return signV4(r, kS3DocsCredentials, "us-east-1", "s3", "20130524T000000Z");
}

TEST(SigV4S3ExamplesTest, GetObjectWithRange) {
  auto s = signS3Example("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, std::string(kEmptyHash));
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3ExamplesTest, PutObjectWithSignedPayload) {
  const std::string hash = sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  // The key "test$file.text" is sent and signed percent-encoded once.
  const std::string path = "/" + uriEncode("test$file.text", true);
  EXPECT_EQ(path, "/test%24file.text");
  auto s =
      signS3Example("PUT", path, {},
                    {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}}, hash);
  EXPECT_EQ(s.signed_headers, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  EXPECT_EQ(sha256Hex(s.canonical_request), "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3ExamplesTest, BucketRequestsWithQueries) {
  // A sub-resource without a value is signed as "lifecycle=".
  auto lifecycle = signS3Example("GET", "/", {{"lifecycle", ""}}, {}, std::string(kEmptyHash));
  EXPECT_NE(lifecycle.canonical_request.find("\n/\nlifecycle=\n"), std::string::npos) << lifecycle.canonical_request;
  EXPECT_EQ(lifecycle.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  // Parameters given out of order are sorted.
  auto list = signS3Example("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {}, std::string(kEmptyHash));
  EXPECT_NE(list.canonical_request.find("\n/\nmax-keys=2&prefix=J\n"), std::string::npos) << list.canonical_request;
  EXPECT_EQ(list.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, SigningKeyOfTheDocumentedExample) {
  // AWS General Reference, "Examples of how to derive a signing key for Signature Version 4".
  EXPECT_EQ(toHex(signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Test, UriEncodingAndDates) {
  EXPECT_EQ(uriEncode("a b/c+d=e&f%", true), "a%20b/c%2Bd%3De%26f%25");
  EXPECT_EQ(uriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(uriEncode("\xc3\xa9", false), "%C3%A9");
  EXPECT_EQ(amzDate(1440938160), "20150830T123600Z");
  EXPECT_EQ(amzDate(0), "19700101T000000Z");
  EXPECT_EQ(canonicalQueryString({{"list-type", "2"}, {"continuation-token", "a/b=c"}}),
            "continuation-token=a%2Fb%3Dc&list-type=2");
}

// ---- the XML reader of S3's answers ----

TEST(S3XmlTest, ListObjectsV2PageWithEntitiesAndContinuation) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>bucket</Name><Prefix/><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a &amp; b.txt</Key><LastModified>2021-05-14T00:00:00.000Z</LastModified>"
      "<ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>"
      "<Contents>\n  <Key>dir/&#233;t&#xE9;.bin</Key>\n  <Size>0</Size>\n</Contents>"
      "<Contents><Key>&lt;odd&gt;</Key><Size>not-a-number</Size></Contents>"
      "<Contents><Size>5</Size></Contents>"
      "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
      "</ListBucketResult>";
  ListPage page = parseListObjectsV2(xml);
  ASSERT_EQ(page.objects.size(), 3u);  // the <Contents> without a <Key> is skipped
  EXPECT_EQ(page.objects[0].key, "a & b.txt");
  EXPECT_EQ(page.objects[0].size, 12u);
  EXPECT_EQ(page.objects[1].key, "dir/\xc3\xa9t\xc3\xa9.bin");
  EXPECT_EQ(page.objects[1].size, 0u);
  EXPECT_EQ(page.objects[2].key, "<odd>");
  EXPECT_EQ(page.objects[2].size, 0u);
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

  ListPage last = parseListObjectsV2("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  EXPECT_TRUE(last.objects.empty());
  EXPECT_FALSE(last.truncated);
}

TEST(S3XmlTest, ErrorDocumentsAndTagMatching) {
  auto e = parseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
      "<Message>The specified bucket does not exist</Message><BucketName>x</BucketName>"
      "<RequestId>4442587FB7D0A2F9</RequestId></Error>");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "NoSuchBucket");
  EXPECT_EQ(e->message, "The specified bucket does not exist");
  EXPECT_FALSE(parseS3Error(""));
  EXPECT_FALSE(parseS3Error("<Errors><Code>X</Code></Errors>"));  // a longer tag name is another element
  EXPECT_FALSE(parseS3Error("<Error><Message>no code</Message></Error>"));
  EXPECT_EQ(xmlText("<UploadId attr=\"1\">abc</UploadId>", "UploadId"), "abc");
  EXPECT_EQ(xmlText("<Prefix/>", "Prefix"), "");
  EXPECT_FALSE(xmlText("<Key>unterminated", "Key"));
  EXPECT_EQ(xmlUnescape("&amp;&unknown;&#x1F600;&#bad;&"), "&&unknown;\xf0\x9f\x98\x80&#bad;&");
  EXPECT_EQ(xmlEscape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
}

}  // namespace
}  // namespace stratus::providers::s3
