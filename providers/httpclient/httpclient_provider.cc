// wasmcloud:httpclient on libcurl: operation Request {method, url, headers, body} → Response {statusCode, status,
// header, body}.
//
// Link values (per actor, all optional):
//   timeout             whole-request timeout in seconds, as wasmCloud's httpclient 0.2.4 read it (default 30)
//   timeout_ms          the same in milliseconds (a stratus addition; wins over `timeout`)
//   max_redirects       redirects to follow (default 10, as reqwest's default policy); 0 returns the 3xx itself
//   max_response_bytes  largest response body accepted (default 16 MiB)
//
// Only http and https URLs are fetched, also after a redirect. Response header names are lowercased and repeated
// headers joined with ",", as the reqwest-based wasmCloud provider did; `status` is the canonical reason phrase.
#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/actor_map.h"
#include "common/link_values.h"
#include "stratus/codec/http.h"
#include "stratus/common/strings.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/provider.hpp"

namespace stratus::providers::httpclient {
namespace {

constexpr uint64_t kDefaultTimeoutMs = 30'000;
constexpr uint64_t kDefaultMaxRedirects = 10;
constexpr uint64_t kDefaultMaxResponseBytes = uint64_t{16} << 20;
constexpr size_t kMaxIdleHandles = 8;  // per actor; idle handles keep their connections for reuse

constexpr std::array<std::string_view, 8> kMethods{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// RFC 9110 token characters (header names, methods).
bool isToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// Header values must not smuggle in line breaks (or NULs, which would cut the C string curl gets).
bool isSafeValue(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::string_view canonicalReason(long code) {
  switch (code) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 418:
      return "I'm a teapot";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};

/// The URL checked to be absolute http(s), plus a form of it for messages with any credentials removed.
struct CheckedUrl {
  std::string url;
  std::string shown;
};

Expected<CheckedUrl> checkUrl(const std::string& url) {
  auto refuse = [&](const std::string& why) {
    return fail(ErrorCode::kInvalidArgument, "httpclient: refusing URL '" + url.substr(0, 200) + "': " + why);
  };
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= ' '; })) {
    return refuse("it contains spaces or control characters");
  }
  std::unique_ptr<CURLU, CurlUrlDeleter> u(curl_url());
  if (!u) return fail(ErrorCode::kResourceExhausted, "httpclient: out of memory parsing a URL");
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0); rc != CURLUE_OK) {
    return refuse(std::string("it is not an absolute URL (") + curl_url_strerror(rc) + ")");
  }
  char* raw_scheme = nullptr;
  curl_url_get(u.get(), CURLUPART_SCHEME, &raw_scheme, 0);
  std::unique_ptr<char, CurlStringDeleter> scheme(raw_scheme);
  std::string s = scheme ? scheme.get() : "";
  std::transform(s.begin(), s.end(), s.begin(), lower);
  if (s != "http" && s != "https") return refuse("only http and https URLs are allowed, not '" + s + "'");
  curl_url_set(u.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0);
  char* raw_shown = nullptr;
  curl_url_get(u.get(), CURLUPART_URL, &raw_shown, 0);
  std::unique_ptr<char, CurlStringDeleter> shown(raw_shown);
  return CheckedUrl{url, shown ? shown.get() : url};
}

/// What curl's callbacks collect for one request.
struct Collected {
  Bytes body;
  uint64_t limit = 0;
  bool too_large = false;
  std::map<std::string, std::string> header;  // of the last response (earlier redirect responses are dropped)
  std::string last_name;                      // for obsolete folded continuation lines
  std::string reason;                         // from the last status line

  static size_t onBody(char* data, size_t size, size_t n, void* user) {
    auto* self = static_cast<Collected*>(user);
    const size_t bytes = size * n;
    if (self->body.size() + bytes > self->limit) {
      self->too_large = true;
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    self->body.insert(self->body.end(), data, data + bytes);
    return bytes;
  }

  static size_t onHeader(char* data, size_t size, size_t n, void* user) {
    auto* self = static_cast<Collected*>(user);
    const size_t bytes = size * n;
    std::string_view line(data, bytes);
    if (line.starts_with("HTTP/")) {  // a new response begins (after a redirect or a 100 Continue)
      self->header.clear();
      self->last_name.clear();
      std::string_view rest = line.substr(std::min(line.size(), line.find(' ') + 1));
      const size_t space = rest.find(' ');
      self->reason = space == std::string_view::npos ? "" : std::string(trim(rest.substr(space + 1)));
      return bytes;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !self->last_name.empty()) {
      self->header[self->last_name] += " " + std::string(trim(line));
      return bytes;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return bytes;  // the blank line ending the headers
    std::string name(trim(line.substr(0, colon)));
    std::transform(name.begin(), name.end(), name.begin(), lower);
    std::string value(trim(line.substr(colon + 1)));
    auto [it, inserted] = self->header.try_emplace(name, value);
    if (!inserted) it->second += "," + value;
    self->last_name = std::move(name);
    return bytes;
  }
};

class HttpClientProvider final : public provider::CapabilityProvider {
 public:
  HttpClientProvider() {
    static std::once_flag once;
    static CURLcode init_result = CURLE_OK;
    std::call_once(once, [] { init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (init_result != CURLE_OK) init_error_ = curl_easy_strerror(init_result);
  }

  std::string_view capabilityId() const override { return codec::kHttpClientContract; }
  std::string_view name() const override { return "stratus httpclient (libcurl)"; }

  Expected<void> bindActor(std::string_view actor, const std::map<std::string, std::string>& values) override {
    Config config;
    auto seconds = linkNumber(values, "timeout", kDefaultTimeoutMs / 1000, 1, 86'400, "httpclient");
    if (!seconds) return fail(seconds.takeError());
    auto ms = linkNumber(values, "timeout_ms", *seconds * 1000, 1, 86'400'000, "httpclient");
    if (!ms) return fail(ms.takeError());
    auto redirects = linkNumber(values, "max_redirects", kDefaultMaxRedirects, 0, 100, "httpclient");
    if (!redirects) return fail(redirects.takeError());
    auto max_bytes =
        linkNumber(values, "max_response_bytes", kDefaultMaxResponseBytes, 1, uint64_t{1} << 30, "httpclient");
    if (!max_bytes) return fail(max_bytes.takeError());
    config.timeout_ms = *ms;
    config.max_redirects = *redirects;
    config.max_response_bytes = *max_bytes;

    clients_.put(actor, std::make_shared<Client>(config));  // a re-bind takes the new configuration
    return ok();
  }

  Expected<void> removeActor(std::string_view actor) override {
    clients_.remove(actor);
    return ok();
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    if (operation != codec::kOpPerformRequest) {
      return fail(ErrorCode::kNotFound,
                  "unknown wasmcloud:httpclient operation '" + std::string(operation) + "' (known: Request)");
    }
    if (!init_error_.empty()) {
      return fail(ErrorCode::kUnavailable, "httpclient: libcurl failed to initialize: " + init_error_);
    }
    std::shared_ptr<Client> client = clients_.find(actor);
    if (!client) return fail(notLinked("httpclient", actor));
    auto request = codec::decodeHttpClientRequest(msg);
    if (!request) return fail(request.takeError());
    return perform(*client, *request);
  }

  void stop() override { clients_.clear(); }

 private:
  struct Config {
    uint64_t timeout_ms = kDefaultTimeoutMs;
    uint64_t max_redirects = kDefaultMaxRedirects;
    uint64_t max_response_bytes = kDefaultMaxResponseBytes;
  };

  /// One actor's configuration and its idle curl handles (each keeps a connection cache).
  struct Client {
    explicit Client(Config c) : config(c) {}
    ~Client() {
      for (CURL* h : idle) curl_easy_cleanup(h);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    CURL* take() STRATUS_EXCLUDES(mu) {
      {
        MutexLock lock(mu);
        if (!idle.empty()) {
          CURL* h = idle.back();
          idle.pop_back();
          curl_easy_reset(h);  // clears options, keeps the connection cache
          return h;
        }
      }
      return curl_easy_init();
    }
    void give(CURL* h) STRATUS_EXCLUDES(mu) {
      MutexLock lock(mu);
      if (idle.size() < kMaxIdleHandles) {
        idle.push_back(h);
        return;
      }
      curl_easy_cleanup(h);
    }

    const Config config;
    Mutex mu;
    std::vector<CURL*> idle STRATUS_GUARDED_BY(mu);
  };

  static Expected<Bytes> perform(Client& client, const codec::HttpClientRequest& q) {
    std::string method = q.method.empty() ? "GET" : q.method;
    std::transform(method.begin(), method.end(), method.begin(), upper);
    if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) {
      return fail(ErrorCode::kInvalidArgument, "httpclient: unsupported method '" + q.method.substr(0, 64) +
                                                   "' (supported: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, "
                                                   "TRACE)");
    }
    auto url = checkUrl(q.url);
    if (!url) return fail(url.takeError());
    const std::string what = method + " " + url->shown;

    std::unique_ptr<curl_slist, CurlSlistDeleter> headers;
    auto addHeader = [&](const std::string& line) -> bool {
      curl_slist* next = curl_slist_append(headers.get(), line.c_str());
      if (!next) return false;
      (void)headers.release();
      headers.reset(next);
      return true;
    };
    bool has_content_type = false, has_expect = false;
    for (const auto& [name, value] : q.headers) {
      if (!isToken(name) || !isSafeValue(value)) {
        return fail(ErrorCode::kInvalidArgument, "httpclient: " + what + ": invalid header '" + name.substr(0, 64) +
                                                     "' (bad name or a line break in the value)");
      }
      std::string lname = name;
      std::transform(lname.begin(), lname.end(), lname.begin(), lower);
      has_content_type |= lname == "content-type";
      has_expect |= lname == "expect";
      // curl drops a header given as "Name:"; "Name;" sends it with an empty value.
      if (!addHeader(value.empty() ? name + ";" : name + ": " + value)) {
        return fail(ErrorCode::kResourceExhausted, "httpclient: out of memory building headers");
      }
    }
    const bool send_body = !q.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
    // curl would otherwise add headers the actor did not ask for.
    if (send_body && !has_content_type && !addHeader("Content-Type:")) {
      return fail(ErrorCode::kResourceExhausted, "httpclient: out of memory building headers");
    }
    if (!has_expect && !addHeader("Expect:")) {
      return fail(ErrorCode::kResourceExhausted, "httpclient: out of memory building headers");
    }

    CURL* h = client.take();
    if (!h) return fail(ErrorCode::kResourceExhausted, "httpclient: cannot create a curl handle");
    Collected got;
    got.limit = client.config.max_response_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_URL, url->url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(client.config.timeout_ms));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, client.config.max_redirects > 0 ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, static_cast<long>(client.config.max_redirects));
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Collected::onBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Collected::onHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &got);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    if (method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (send_body) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(q.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, q.body.empty() ? "" : reinterpret_cast<const char*>(q.body.data()));
    } else {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    // POST is curl's own method for a body: leaving it unset lets a 301/302/303 turn into a GET, as browsers do.
    if (method != "GET" && method != "HEAD" && method != "POST") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    } else if (method == "GET" && send_body) {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "GET");
    }

    const CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    // The handle keeps pointers to our buffers until its options are reset; reset before it goes back.
    curl_easy_reset(h);
    client.give(h);

    if (rc != CURLE_OK) return fail(describe(rc, error_buffer, what, client.config, got));
    codec::HttpResponse response;
    response.status_code = static_cast<uint32_t>(code);
    std::string_view reason = canonicalReason(code);
    response.status = reason.empty() ? got.reason : std::string(reason);
    response.header = std::move(got.header);
    response.body = std::move(got.body);
    return codec::encode(response);
  }

  static Error describe(CURLcode rc, const char* detail, const std::string& what, const Config& config,
                        const Collected& got) {
    std::string why = curl_easy_strerror(rc);
    if (detail[0] != '\0') why += " (" + std::string(detail) + ")";
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT:
        return {ErrorCode::kDeadlineExceeded,
                "httpclient: " + what + " timed out after " + std::to_string(config.timeout_ms) + " ms"};
      case CURLE_WRITE_ERROR:
        if (got.too_large) {
          return {ErrorCode::kResourceExhausted, "httpclient: " + what + ": the response body is larger than " +
                                                     std::to_string(config.max_response_bytes) +
                                                     " bytes (max_response_bytes)"};
        }
        break;
      case CURLE_TOO_MANY_REDIRECTS:
        return {ErrorCode::kUnavailable, "httpclient: " + what + ": more than " + std::to_string(config.max_redirects) +
                                             " redirects (max_redirects)"};
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_CONNECT:
        return {ErrorCode::kUnavailable, "httpclient: " + what + ": cannot connect: " + why};
      case CURLE_UNSUPPORTED_PROTOCOL:
        return {ErrorCode::kInvalidArgument,
                "httpclient: " + what + ": " + why + " (only http and https are followed)"};
      default:
        break;
    }
    return {ErrorCode::kUnavailable, "httpclient: " + what + " failed: " + why};
  }

  std::string init_error_;
  ActorMap<Client> clients_;
};

}  // namespace
}  // namespace stratus::providers::httpclient

STRATUS_PROVIDER(stratus::providers::httpclient::HttpClientProvider)
