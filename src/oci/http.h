// One HTTP exchange over libcurl, as the registry client needs it: a method, headers and a body out; the status,
// headers and body back, with a cap on what is accepted and progress reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::oci {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  ///< "Name: value"
  std::span<const uint8_t> body;     ///< sent as is (PUT, PATCH, POST)
  bool follow_redirects = false;     ///< blob GETs: registries redirect to their storage
  /// Bodies longer than this fail the request (kResourceExhausted); untrusted servers must not fill memory.
  uint64_t max_response_bytes = 4 << 20;
  std::chrono::milliseconds timeout{60000};
  /// Called as bytes move: (done, total); total 0 when unknown.
  std::function<void(uint64_t, uint64_t)> progress;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  ///< names lowercased; the last value of a repeated header
  Bytes body;

  /// The header's value, or "".
  std::string header(const std::string& lowercase_name) const;
  std::string text() const { return {body.begin(), body.end()}; }
};

/// Performs the request. A response with any status is a value; kUnavailable when the server cannot be reached or
/// the connection fails (naming the URL and curl's reason), kDeadlineExceeded when it stalls past the timeout,
/// kPermissionDenied when TLS fails (an untrusted certificate, or a server that does not speak TLS).
Expected<HttpResponse> performHttp(const HttpRequest& request);

}  // namespace stratus::oci
