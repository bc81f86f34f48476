/*
 * bench_http_hello — the actor of the HTTP benchmark (bench/http_bench.sh): answers every wasmcloud:httpserver
 * HandleRequest with 200 "OK", content-type text/plain and the body "Hello from stratus\n". The request is only
 * checked to be a well-formed Request; the reply is encoded on every call, as a real actor would.
 * bench/bare_http_server.cc sends the same bytes without stratus in between.
 *
 * Operations (payload -> result):
 *   HandleRequest  Request {method, path, queryString, header, body} -> Response {statusCode, status, header, body}
 *                  A payload that is not a msgpack map -> guest error.
 */
#include "stratus_actor.h"
#include "stratus_msgpack.h"
#include "stratus_http.h"

static const char kBody[] = "Hello from stratus\n";

static int handle_request(const uint8_t* payload, uint32_t len) {
  stratus_http_request request;
  if (!stratus_http_parse_request(payload, len, &request)) {
    return stratus_guest_error_str("HandleRequest: malformed Request");
  }
  return stratus_http_respond(200, "OK", "text/plain", kBody, sizeof kBody - 1u);
}

void wapc_init(void) { stratus_register("HandleRequest", handle_request); }
