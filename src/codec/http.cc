#include "stratus/codec/http.h"

#include "codec/decode_util.h"

namespace stratus::codec {

Bytes encode(const HttpRequest& v) {
  Writer w;
  w.mapHeader(5).str("method").str(v.method).str("path").str(v.path).str("queryString").str(v.query_string);
  w.str("header").stringMap(v.header).str("body").bin(v.body);
  return w.take();
}

Bytes encode(const HttpResponse& v) {
  Writer w;
  w.mapHeader(4).str("statusCode").uint(v.status_code).str("status").str(v.status);
  w.str("header").stringMap(v.header).str("body").bin(v.body);
  return w.take();
}

Bytes encode(const HttpClientRequest& v) {
  Writer w;
  w.mapHeader(4).str("method").str(v.method).str("url").str(v.url);
  w.str("headers").stringMap(v.headers).str("body").bin(v.body);
  return w.take();
}

Expected<HttpRequest> decodeHttpRequest(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<HttpRequest>(bytes, "Request", [](const StructReader& r, HttpRequest& out) -> Expected<void> {
    STRATUS_FIELD(out.method, r.str("method"));
    STRATUS_FIELD(out.path, r.str("path"));
    STRATUS_FIELD(out.query_string, r.str("queryString"));
    STRATUS_FIELD(out.header, r.stringMap("header"));
    STRATUS_FIELD(out.body, r.bytes("body"));
    return ok();
  });
}

Expected<HttpResponse> decodeHttpResponse(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<HttpResponse>(bytes, "Response", [](const StructReader& r, HttpResponse& out) -> Expected<void> {
    int64_t code = 0;
    STRATUS_FIELD(code, r.ranged("statusCode", 100, 999));
    out.status_code = static_cast<uint32_t>(code);
    STRATUS_FIELD(out.status, r.str("status"));
    STRATUS_FIELD(out.header, r.stringMap("header"));
    STRATUS_FIELD(out.body, r.bytes("body"));
    return ok();
  });
}

Expected<HttpClientRequest> decodeHttpClientRequest(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<HttpClientRequest>(
      bytes, "httpclient Request", [](const StructReader& r, HttpClientRequest& out) -> Expected<void> {
        STRATUS_FIELD(out.method, r.str("method"));
        STRATUS_FIELD(out.url, r.str("url"));
        STRATUS_FIELD(out.headers, r.stringMap("headers"));
        STRATUS_FIELD(out.body, r.bytes("body"));
        if (out.url.empty()) return fail(ErrorCode::kMalformed, "httpclient Request.url is missing");
        return ok();
      });
}

}  // namespace stratus::codec
