#include "s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <memory>

namespace stratus::providers::s3 {
namespace {

constexpr size_t kMaxIdleHandles = 8;
constexpr int kMaxListPages = 100'000;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};

struct Transfer {
  S3Response* response;
  uint64_t max_body;
  bool too_big = false;
};

size_t onBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t->response->body.size() + len > t->max_body) {
    t->too_big = true;
    return 0;  // aborts the transfer
  }
  t->response->body.append(data, len);
  return len;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();  // a new response (e.g. after 100 Continue)
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), lower);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  t->response->headers[name] = std::string(value);
  return len;
}

bool ok2xx(long status) { return status >= 200 && status < 300; }

std::string describe(std::string_view op, const std::string& bucket, const std::string& key) {
  std::string out = "S3 ";
  out.append(op);
  if (!bucket.empty()) {
    out.append(" '").append(bucket);
    if (!key.empty()) out.append("/").append(key);
    out.append("'");
  }
  return out;
}

ErrorCode codeFor(const std::string& s3code, long status) {
  static const std::map<std::string, ErrorCode, std::less<>> kCodes = {
      {"NoSuchBucket", ErrorCode::kNotFound},
      {"NoSuchKey", ErrorCode::kNotFound},
      {"NoSuchUpload", ErrorCode::kNotFound},
      {"NotFound", ErrorCode::kNotFound},
      {"AccessDenied", ErrorCode::kPermissionDenied},
      {"InvalidAccessKeyId", ErrorCode::kPermissionDenied},
      {"SignatureDoesNotMatch", ErrorCode::kPermissionDenied},
      {"ExpiredToken", ErrorCode::kPermissionDenied},
      {"InvalidToken", ErrorCode::kPermissionDenied},
      {"AuthorizationHeaderMalformed", ErrorCode::kPermissionDenied},
      {"RequestTimeTooSkewed", ErrorCode::kPermissionDenied},
      {"BucketNotEmpty", ErrorCode::kAlreadyExists},
      {"BucketAlreadyExists", ErrorCode::kAlreadyExists},
      {"BucketAlreadyOwnedByYou", ErrorCode::kAlreadyExists},
      {"PreconditionFailed", ErrorCode::kAlreadyExists},
      {"InvalidBucketName", ErrorCode::kInvalidArgument},
      {"InvalidArgument", ErrorCode::kInvalidArgument},
      {"InvalidRange", ErrorCode::kInvalidArgument},
      {"EntityTooLarge", ErrorCode::kInvalidArgument},
      {"EntityTooSmall", ErrorCode::kInvalidArgument},
      {"KeyTooLongError", ErrorCode::kInvalidArgument},
  };
  if (auto it = kCodes.find(s3code); it != kCodes.end()) return it->second;
  if (status >= 500 || s3code == "SlowDown") return ErrorCode::kUnavailable;
  return ErrorCode::kHostError;
}

}  // namespace

bool isValidBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  bool all_ip_chars = true;
  int dots = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!alnum(c) && c != '.' && c != '-') return false;
    if (c == '.' && i > 0 && (name[i - 1] == '.' || name[i - 1] == '-')) return false;
    if (c == '-' && i > 0 && name[i - 1] == '.') return false;
    if (c == '.') ++dots;
    if (!(c == '.' || (c >= '0' && c <= '9'))) all_ip_chars = false;
  }
  return !(all_ip_chars && dots == 3);  // "192.168.5.4" is not a bucket name
}

Expected<std::unique_ptr<S3Client>> S3Client::create(S3Config config) {
  auto plain = [](const std::string& v) {
    return std::none_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  };
  if (config.region.empty() || !std::all_of(config.region.begin(), config.region.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      })) {
    return fail(ErrorCode::kInvalidArgument,
                "S3: REGION '" + config.region + "' is not a region name (lowercase letters, digits and '-')");
  }
  if (!plain(config.credentials.access_key_id) || !plain(config.credentials.secret_access_key) ||
      !plain(config.credentials.session_token) || !plain(config.proxy)) {
    return fail(ErrorCode::kInvalidArgument, "S3: the credentials or HTTP_PROXY contain control characters");
  }
  if (config.credentials.access_key_id.empty() || config.credentials.secret_access_key.empty()) {
    return fail(ErrorCode::kInvalidArgument, "S3: no credentials (an access key id and a secret access key)");
  }
  std::string url = config.endpoint;
  if (url.find("://") == std::string::npos) url = "https://" + url;  // 0.18 took "host[:port]" without a scheme
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) return fail(ErrorCode::kResourceExhausted, "S3: out of memory");
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0); rc != CURLUE_OK) {
    return fail(ErrorCode::kInvalidArgument,
                "S3: ENDPOINT '" + config.endpoint + "' is not a URL (" + curl_url_strerror(rc) + ")");
  }
  auto part = [&](CURLUPart which) {
    char* raw = nullptr;
    curl_url_get(u.get(), which, &raw, 0);
    std::unique_ptr<char, CurlStringDeleter> owned(raw);
    return std::string(raw ? raw : "");
  };
  std::string scheme = part(CURLUPART_SCHEME);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), lower);
  if (scheme != "http" && scheme != "https") {
    return fail(ErrorCode::kInvalidArgument,
                "S3: ENDPOINT '" + config.endpoint + "' must be an http:// or https:// URL");
  }
  const std::string path = part(CURLUPART_PATH);
  if (!path.empty() && path != "/") {
    return fail(ErrorCode::kInvalidArgument,
                "S3: ENDPOINT '" + config.endpoint + "' must not have a path (found '" + path + "')");
  }
  if (!part(CURLUPART_QUERY).empty() || !part(CURLUPART_USER).empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "S3: ENDPOINT '" + config.endpoint + "' must be scheme://host[:port] only");
  }
  std::string host = part(CURLUPART_HOST);
  const std::string port = part(CURLUPART_PORT);
  if (!port.empty()) host.append(":").append(port);
  std::string shown = scheme;
  shown.append("://").append(host);
  config.endpoint = shown;
  return std::unique_ptr<S3Client>(new S3Client(std::move(config), std::move(scheme), std::move(host)));
}

S3Client::~S3Client() {
  for (CURL* h : idle_) curl_easy_cleanup(h);
}

CURL* S3Client::acquire() {
  {
    MutexLock lock(mu_);
    if (!idle_.empty()) {
      CURL* h = idle_.back();
      idle_.pop_back();
      curl_easy_reset(h);  // keeps the connection cache
      return h;
    }
  }
  return curl_easy_init();
}

void S3Client::release(CURL* h) {
  MutexLock lock(mu_);
  if (idle_.size() < kMaxIdleHandles) {
    idle_.push_back(h);
  } else {
    curl_easy_cleanup(h);
  }
}

Expected<S3Response> S3Client::send(const std::string& method, const std::string& bucket, const std::string& key,
                                    const std::vector<std::pair<std::string, std::string>>& query,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::span<const uint8_t> body, uint64_t max_body) {
  std::string host = host_;
  std::string path = "/";
  if (!bucket.empty()) {
    if (config_.path_style) {
      path.append(bucket);
      if (!key.empty()) path.append("/").append(uriEncode(key, true));
    } else {
      host = bucket;
      host.append(".").append(host_);
      path.append(uriEncode(key, true));
    }
  }
  std::string url = scheme_;
  url.append("://").append(host).append(path);
  const std::string query_string = canonicalQueryString(query);
  if (!query_string.empty()) url.append("?").append(query_string);

  SigV4Request req;
  req.method = method;
  req.canonical_uri = path;
  req.query = query;
  req.payload_hash = sha256Hex(std::string_view(reinterpret_cast<const char*>(body.data()), body.size()));
  const std::string date = amzDate(std::time(nullptr));
  req.headers = {{"host", host}, {"x-amz-content-sha256", req.payload_hash}, {"x-amz-date", date}};
  if (!config_.credentials.session_token.empty()) {
    req.headers.emplace_back("x-amz-security-token", config_.credentials.session_token);
  }
  for (const auto& h : headers) req.headers.push_back(h);
  const SigV4Signature sig = signV4(req, config_.credentials, config_.region, "s3", date);

  curl_slist* raw_list = nullptr;
  auto add = [&](const std::string& line) { raw_list = curl_slist_append(raw_list, line.c_str()); };
  for (const auto& [name, value] : req.headers) {
    std::string line = name;
    line.append(": ").append(value);
    add(line);
  }
  add("Authorization: " + sig.authorization);
  add("Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, SlistDeleter> list(raw_list);

  CURL* h = acquire();
  if (!h) return fail(ErrorCode::kResourceExhausted, "S3: cannot create a curl handle");
  S3Response response;
  Transfer transfer{&response, max_body};
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // the signed path is the sent path: no dot-segment squashing
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROXY, config_.proxy.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, config_.timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min<long>(config_.timeout_ms, 10'000));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &onHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "PUT" || method == "POST") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.empty() ? "" : reinterpret_cast<const char*>(body.data()));
    }
  }
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  release(h);

  if (rc != CURLE_OK) {
    std::string what = method;
    what.append(" ").append(path);
    if (transfer.too_big) {
      return fail(ErrorCode::kResourceExhausted, "S3 endpoint " + config_.endpoint + ": the answer to " + what +
                                                     " is larger than " + std::to_string(max_body) + " bytes");
    }
    std::string reason = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    std::string msg = "S3 endpoint ";
    msg.append(config_.endpoint);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      msg.append(" did not answer ").append(what).append(" within ").append(std::to_string(config_.timeout_ms));
      msg.append(" ms (").append(reason).append(")");
      return fail(ErrorCode::kDeadlineExceeded, std::move(msg));
    }
    msg.append(" is unreachable: ").append(reason).append(" (").append(what).append(")");
    return fail(ErrorCode::kUnavailable, std::move(msg));
  }
  return response;
}

Error S3Client::failure(const std::string& what, const S3Response& r) const {
  std::string code;
  std::string message;
  if (auto doc = parseS3Error(r.body)) {
    code = doc->code;
    message = doc->message;
  } else if (r.status == 404) {
    code = "NotFound";
  } else if (r.status == 403) {
    code = "AccessDenied";
  } else if (r.status == 412) {
    code = "PreconditionFailed";
  }
  std::string text = what;
  text.append(" failed: ");
  text.append(code.empty() ? "error" : code);
  text.append(" (HTTP ").append(std::to_string(r.status)).append(" from ").append(config_.endpoint).append(")");
  if (!message.empty()) text.append(": ").append(message);
  return Error{codeFor(code, r.status), std::move(text)};
}

Expected<void> S3Client::createBucket(const std::string& bucket) {
  std::string body;
  if (config_.region != "us-east-1") {
    body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>";
    body.append(xmlEscape(config_.region)).append("</LocationConstraint></CreateBucketConfiguration>");
  }
  auto r = send("PUT", bucket, "", {}, {},
                std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()),
                config_.max_response_bytes);
  if (!r) return fail(r.takeError());
  if (ok2xx(r->status)) return ok();
  Error e = failure(describe("CreateBucket", bucket, ""), *r);
  auto doc = parseS3Error(r->body);
  if (doc && doc->code == "BucketAlreadyOwnedByYou") return ok();
  if (doc && doc->code == "BucketAlreadyExists") {
    auto usable = bucketExists(bucket);
    if (usable && *usable) return ok();
  }
  return fail(std::move(e));
}

Expected<void> S3Client::deleteBucket(const std::string& bucket) {
  auto r = send("DELETE", bucket, "", {}, {}, {}, config_.max_response_bytes);
  if (!r) return fail(r.takeError());
  if (ok2xx(r->status)) return ok();
  return fail(failure(describe("DeleteBucket", bucket, ""), *r));
}

Expected<bool> S3Client::bucketExists(const std::string& bucket) {
  auto r = send("HEAD", bucket, "", {}, {}, {}, config_.max_response_bytes);
  if (!r) return fail(r.takeError());
  if (ok2xx(r->status)) return true;
  if (r->status == 404) return false;
  return fail(failure(describe("HeadBucket", bucket, ""), *r));
}

Expected<std::vector<ListedObject>> S3Client::listObjects(const std::string& bucket) {
  std::vector<ListedObject> all;
  std::string token;
  for (int page = 0; page < kMaxListPages; ++page) {
    std::vector<std::pair<std::string, std::string>> query = {{"list-type", "2"}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    auto r = send("GET", bucket, "", query, {}, {}, config_.max_response_bytes);
    if (!r) return fail(r.takeError());
    if (!ok2xx(r->status)) return fail(failure(describe("ListObjectsV2", bucket, ""), *r));
    ListPage p = parseListObjectsV2(r->body);
    for (auto& o : p.objects) all.push_back(std::move(o));
    if (!p.truncated) return all;
    if (p.next_token.empty() || p.next_token == token) {
      return fail(ErrorCode::kMalformed,
                  describe("ListObjectsV2", bucket, "") + ": a truncated page without a new NextContinuationToken");
    }
    token = std::move(p.next_token);
  }
  return fail(ErrorCode::kResourceExhausted,
              describe("ListObjectsV2", bucket, "") + ": more than " + std::to_string(kMaxListPages) + " pages");
}

Expected<std::optional<ObjectInfo>> S3Client::headObject(const std::string& bucket, const std::string& key) {
  auto r = send("HEAD", bucket, key, {}, {}, {}, config_.max_response_bytes);
  if (!r) return fail(r.takeError());
  if (r->status == 404) return std::optional<ObjectInfo>();
  if (!ok2xx(r->status)) return fail(failure(describe("HeadObject", bucket, key), *r));
  ObjectInfo info;
  const std::string& length = r->headers["content-length"];
  auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), info.size);
  if (length.empty() || ec != std::errc() || end != length.data() + length.size()) {
    return fail(ErrorCode::kMalformed,
                describe("HeadObject", bucket, key) + ": the answer has no valid Content-Length ('" + length + "')");
  }
  info.etag = r->headers["etag"];
  return std::optional<ObjectInfo>(std::move(info));
}

Expected<void> S3Client::putObject(const std::string& bucket, const std::string& key, std::span<const uint8_t> body) {
  auto r = send("PUT", bucket, key, {}, {}, body, config_.max_response_bytes);
  if (!r) return fail(r.takeError());
  if (ok2xx(r->status)) return ok();
  return fail(failure(describe("PutObject", bucket, key), *r));
}

Expected<void> S3Client::putObjectMultipart(const std::string& bucket, const std::string& key,
                                            std::span<const uint8_t> body, uint64_t part_bytes) {
  auto created = send("POST", bucket, key, {{"uploads", ""}}, {}, {}, config_.max_response_bytes);
  if (!created) return fail(created.takeError());
  if (!ok2xx(created->status)) return fail(failure(describe("CreateMultipartUpload", bucket, key), *created));
  auto upload_id = xmlText(created->body, "UploadId");
  if (!upload_id || upload_id->empty()) {
    return fail(ErrorCode::kMalformed, describe("CreateMultipartUpload", bucket, key) + ": the answer has no UploadId");
  }
  auto abandon = [&](Error e) -> Expected<void> {
    (void)send("DELETE", bucket, key, {{"uploadId", *upload_id}}, {}, {}, config_.max_response_bytes);
    return fail(std::move(e));
  };
  std::string complete = "<CompleteMultipartUpload>";
  uint64_t number = 1;
  for (uint64_t offset = 0; offset < body.size(); offset += part_bytes, ++number) {
    auto part = body.subspan(offset, std::min<uint64_t>(part_bytes, body.size() - offset));
    auto r = send("PUT", bucket, key, {{"partNumber", std::to_string(number)}, {"uploadId", *upload_id}}, {}, part,
                  config_.max_response_bytes);
    if (!r) return abandon(r.takeError());
    if (!ok2xx(r->status)) return abandon(failure(describe("UploadPart", bucket, key), *r));
    complete.append("<Part><PartNumber>").append(std::to_string(number)).append("</PartNumber><ETag>");
    complete.append(xmlEscape(r->headers["etag"])).append("</ETag></Part>");
  }
  complete.append("</CompleteMultipartUpload>");
  auto done = send("POST", bucket, key, {{"uploadId", *upload_id}}, {{"content-type", "application/xml"}},
                   std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(complete.data()), complete.size()),
                   config_.max_response_bytes);
  if (!done) return abandon(done.takeError());
  // CompleteMultipartUpload may fail with 200 and an <Error> document.
  if (!ok2xx(done->status) || parseS3Error(done->body)) {
    return abandon(failure(describe("CompleteMultipartUpload", bucket, key), *done));
  }
  return ok();
}

Expected<Bytes> S3Client::getRange(const std::string& bucket, const std::string& key, uint64_t first, uint64_t last,
                                   const std::string& etag) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}};
  if (!etag.empty()) headers.emplace_back("if-match", etag);
  const uint64_t want = last - first + 1;
  auto r = send("GET", bucket, key, {}, headers, {}, std::max<uint64_t>(want, 64 * 1024));
  if (!r) return fail(r.takeError());
  if (r->status == 412) {
    return fail(ErrorCode::kAlreadyExists,
                describe("GetObject", bucket, key) + " failed: the object changed during the download");
  }
  if (!ok2xx(r->status)) return fail(failure(describe("GetObject", bucket, key), *r));
  if (r->body.size() != want) {
    return fail(ErrorCode::kMalformed, describe("GetObject", bucket, key) + ": asked for bytes " +
                                           std::to_string(first) + "-" + std::to_string(last) + ", got " +
                                           std::to_string(r->body.size()) + " bytes");
  }
  return Bytes(r->body.begin(), r->body.end());
}

Expected<void> S3Client::deleteObject(const std::string& bucket, const std::string& key) {
  auto r = send("DELETE", bucket, key, {}, {}, {}, config_.max_response_bytes);
  if (!r) return fail(r.takeError());
  if (ok2xx(r->status)) return ok();
  return fail(failure(describe("DeleteObject", bucket, key), *r));
}

}  // namespace stratus::providers::s3
