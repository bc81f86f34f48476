// wasmcloud:httpserver and wasmcloud:httpclient messages (actor-interfaces http-server / http-client, 0.18 era).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::codec {

inline constexpr std::string_view kHttpServerContract = "wasmcloud:httpserver";
inline constexpr std::string_view kHttpClientContract = "wasmcloud:httpclient";
/// Operation the httpserver provider calls on the actor.
inline constexpr std::string_view kOpHandleRequest = "HandleRequest";
/// Operation an actor calls on the httpclient provider.
inline constexpr std::string_view kOpPerformRequest = "Request";

/// An HTTP request delivered to an actor: {method, path, queryString, header, body}.
struct HttpRequest {
  std::string method;
  std::string path;
  std::string query_string;                   ///< `queryString`, without the leading '?'
  std::map<std::string, std::string> header;  ///< header names as received (the provider lowercases them)
  Bytes body;
};

/// An actor's HTTP response: {statusCode, status, header, body}.
struct HttpResponse {
  uint32_t status_code = 200;  ///< `statusCode`
  std::string status;          ///< reason phrase, e.g. "OK"
  std::map<std::string, std::string> header;
  Bytes body;
};

/// An outgoing request for the httpclient provider: {method, url, headers, body}.
struct HttpClientRequest {
  std::string method;
  std::string url;
  std::map<std::string, std::string> headers;
  Bytes body;
};

Bytes encode(const HttpRequest& v);
Bytes encode(const HttpResponse& v);
Bytes encode(const HttpClientRequest& v);
Expected<HttpRequest> decodeHttpRequest(std::span<const uint8_t> bytes);
Expected<HttpResponse> decodeHttpResponse(std::span<const uint8_t> bytes);
Expected<HttpClientRequest> decodeHttpClientRequest(std::span<const uint8_t> bytes);

}  // namespace stratus::codec
