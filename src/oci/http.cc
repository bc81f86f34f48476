#include "oci/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace stratus::oci {
namespace {

struct Exchange {
  const HttpRequest* request;
  HttpResponse response;
  size_t sent = 0;
  bool too_big = false;
};

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* x = static_cast<Exchange*>(user);
  const size_t n = size * count;
  if (x->response.body.size() + n > x->request->max_response_bytes) {
    x->too_big = true;
    return 0;
  }
  x->response.body.insert(x->response.body.end(), data, data + n);
  return n;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* x = static_cast<Exchange*>(user);
  const size_t n = size * count;
  std::string line(data, n);
  if (line.starts_with("HTTP/")) {
    x->response.headers.clear();  // a new response (after a redirect or a 100 Continue)
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string::npos) return n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string value = line.substr(colon + 1);
  const auto first = value.find_first_not_of(" \t");
  const auto last = value.find_last_not_of(" \t\r\n");
  value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  x->response.headers[name] = value;
  return n;
}

size_t onUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* x = static_cast<Exchange*>(user);
  const size_t n = std::min(size * count, x->request->body.size() - x->sent);
  std::copy_n(x->request->body.data() + x->sent, n, buffer);
  x->sent += n;
  return n;
}

int onProgress(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  auto* x = static_cast<Exchange*>(user);
  if (ultotal > 0) {
    x->request->progress(static_cast<uint64_t>(ulnow), static_cast<uint64_t>(ultotal));
  } else {
    x->request->progress(static_cast<uint64_t>(dlnow), static_cast<uint64_t>(dltotal));
  }
  return 0;
}

void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string HttpResponse::header(const std::string& lowercase_name) const {
  const auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

Expected<HttpResponse> performHttp(const HttpRequest& request) {
  initCurlOnce();
  // One handle per thread, reset for each request: its open connections are reused (a start from the cache does a
  // HEAD to the registry, which would otherwise pay a new connection each time).
  thread_local std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return fail(ErrorCode::kInternal, "curl_easy_init failed");
  CURL* h = curl.get();
  curl_easy_reset(h);
  Exchange x{&request, {}, 0, false};

  curl_slist* headers = nullptr;
  for (const auto& header : request.headers) headers = curl_slist_append(headers, header.c_str());
  const bool has_body = request.method == "PUT" || request.method == "PATCH" || request.method == "POST";
  if (has_body) headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, curl_slist_free_all);

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout.count()));
  // A whole-transfer deadline would cut off big blobs on slow links; a stall of `timeout` fails instead.
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(request.timeout.count() / 1000)));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (has_body) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, onUpload);
    curl_easy_setopt(h, CURLOPT_READDATA, &x);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  if (request.progress) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
  }

  const CURLcode rc = curl_easy_perform(h);
  if (x.too_big) {
    return fail(ErrorCode::kResourceExhausted, request.method + " " + request.url + ": the response is larger than " +
                                                   std::to_string(request.max_response_bytes) + " bytes");
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return fail(ErrorCode::kDeadlineExceeded, request.method + " " + request.url + ": no progress for " +
                                                  std::to_string(request.timeout.count()) + " ms");
  }
  if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CERTPROBLEM ||
      rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
    // Reached, but not trusted (or not speaking TLS at all): never a reason to fall back to a cached copy.
    return fail(ErrorCode::kPermissionDenied, request.method + " " + request.url + ": TLS failed: " +
                                                  curl_easy_strerror(rc) +
                                                  " (a plain-HTTP registry must be listed as insecure)");
  }
  if (rc != CURLE_OK) {
    return fail(ErrorCode::kUnavailable, request.method + " " + request.url + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x.response.status);
  return std::move(x.response);
}

}  // namespace stratus::oci
