// A small S3 REST client on libcurl, signing every request with SigV4 (sigv4.h): buckets, objects (whole and by
// byte range), ListObjectsV2 and multipart uploads. Errors carry S3's own Code and Message (from the XML error
// document) plus the HTTP status, or curl's reason and the endpoint when the server cannot be reached.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "s3_xml.h"
#include "sigv4.h"
#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"

typedef void CURL;

namespace stratus::providers::s3 {

/// Where and how to reach S3.
struct S3Config {
  std::string endpoint = "https://s3.us-east-1.amazonaws.com";  ///< scheme://host[:port], no path
  std::string region = "us-east-1";
  bool path_style = false;  ///< true: scheme://host/bucket/key; false: scheme://bucket.host/key
  Credentials credentials;
  std::string proxy;         ///< CURLOPT_PROXY; empty: no proxy (the environment's *_proxy are ignored)
  long timeout_ms = 30'000;  ///< whole request
  uint64_t max_response_bytes = uint64_t{64} << 20;  ///< bodies other than object ranges
};

/// A HEAD Object answer.
struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;  ///< as sent, quotes included; may be empty
};

/// One finished HTTP exchange.
struct S3Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  ///< lowercase names
};

/// Thread-safe: requests run concurrently, each on its own curl handle (idle handles are kept for reuse).
class S3Client {
 public:
  /// Checks the config (endpoint URL, region, credentials present). kInvalidArgument naming the bad value.
  static Expected<std::unique_ptr<S3Client>> create(S3Config config);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Config& config() const { return config_; }

  /// CreateBucket; an existing bucket this account can use counts as created.
  Expected<void> createBucket(const std::string& bucket);
  /// DeleteBucket. kNotFound (NoSuchBucket), kAlreadyExists (BucketNotEmpty).
  Expected<void> deleteBucket(const std::string& bucket);
  /// HeadBucket: true when it exists and is accessible, false on 404.
  Expected<bool> bucketExists(const std::string& bucket);
  /// ListObjectsV2, following continuation tokens. kNotFound (NoSuchBucket).
  Expected<std::vector<ListedObject>> listObjects(const std::string& bucket);
  /// HeadObject: std::nullopt when the bucket or the object does not exist.
  Expected<std::optional<ObjectInfo>> headObject(const std::string& bucket, const std::string& key);
  /// PutObject with a signed payload hash.
  Expected<void> putObject(const std::string& bucket, const std::string& key, std::span<const uint8_t> body);
  /// Uploads `body` as a multipart upload in parts of `part_bytes` (the last may be smaller); aborts the upload
  /// when a step fails.
  Expected<void> putObjectMultipart(const std::string& bucket, const std::string& key, std::span<const uint8_t> body,
                                    uint64_t part_bytes);
  /// GetObject of bytes [first, last] (inclusive). With `etag`, If-Match makes S3 refuse a changed object
  /// (kAlreadyExists "changed during the download").
  Expected<Bytes> getRange(const std::string& bucket, const std::string& key, uint64_t first, uint64_t last,
                           const std::string& etag);
  /// DeleteObject (S3 answers 204 whether or not the key existed).
  Expected<void> deleteObject(const std::string& bucket, const std::string& key);

  /// One signed request. `key` empty addresses the bucket, `bucket` empty the service. No status check.
  /// kUnavailable naming the endpoint when it cannot be reached or times out.
  Expected<S3Response> send(const std::string& method, const std::string& bucket, const std::string& key,
                            const std::vector<std::pair<std::string, std::string>>& query,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            std::span<const uint8_t> body, uint64_t max_body);

 private:
  S3Client(S3Config config, std::string scheme, std::string host)
      : config_(std::move(config)), scheme_(std::move(scheme)), host_(std::move(host)) {}
  CURL* acquire() STRATUS_EXCLUDES(mu_);
  void release(CURL* h) STRATUS_EXCLUDES(mu_);
  /// An error for a non-2xx answer to `what`: S3's Code and Message, mapped to an ErrorCode.
  Error failure(const std::string& what, const S3Response& r) const;

  S3Config config_;
  std::string scheme_;  // "http" or "https"
  std::string host_;    // host[:port] as it goes in the Host header
  Mutex mu_;
  std::vector<CURL*> idle_ STRATUS_GUARDED_BY(mu_);
};

/// Whether `name` is a valid S3 bucket name (3-63 characters of a-z, 0-9, '.', '-', starting and ending with a
/// letter or digit, not an IP address). Used to refuse bad container names before they reach a URL.
bool isValidBucketName(std::string_view name);

}  // namespace stratus::providers::s3
