/*
 * bench_http_echo — wasmCloud's Rust `echo` example actor (wasmcloud 0.18, wasmcloud-actor-http-server) redone in C
 * with the actor SDK, beside its Rust rebuild (actors/rust_echo): the same work without serde and std. It does what
 * that actor does per request:
 *
 *   fn echo(msg: http::Request) -> HandlerResult<http::Response> {
 *       let echo = EchoRequest { method, path, query_string, headers: msg.header, body: msg.body };
 *       Ok(http::Response::json(echo, 200, "OK"))
 *   }
 *
 * i.e. decode the whole msgpack Request, serialise {method, path, query_string, headers, body} as JSON the way
 * serde_json does (strings escaped, the body — Vec<u8> — as an array of numbers; headers in request order where
 * Rust's HashMap has a random one), and answer the msgpack Response {statusCode: 200, status: "OK", header: {},
 * body: <the JSON>} (Response::json sets no header).
 *
 * Operations (payload -> result):
 *   HandleRequest  Request {method, path, queryString, header, body} -> Response as above.
 *                  A payload that is not a well-formed Request -> guest error.
 */
#include "stratus_actor.h"
#include "stratus_msgpack.h"

#define MAX_HEADERS 64u

typedef struct view {
  const char* s;
  uint32_t len;
} view;

typedef struct echo_request {
  view method;
  view path;
  view query;
  view header_names[MAX_HEADERS];
  view header_values[MAX_HEADERS];
  uint32_t header_count;
  const uint8_t* body;
  uint32_t body_len;
} echo_request;

static bool read_view(smp_reader* r, view* out) { return smp_read_str(r, &out->s, &out->len); }

static bool read_headers(smp_reader* r, echo_request* req) {
  uint32_t n;
  if (!smp_read_map(r, &n) || n > MAX_HEADERS) return false;
  for (uint32_t i = 0; i < n; ++i) {
    if (!read_view(r, &req->header_names[i]) || !read_view(r, &req->header_values[i])) return false;
  }
  req->header_count = n;
  return true;
}

static bool parse_request(const uint8_t* payload, uint32_t len, echo_request* req) {
  smp_reader r;
  smp_reader_init(&r, payload, len);
  req->method = req->path = req->query = (view){"", 0};
  req->header_count = 0;
  req->body = (const uint8_t*)"";
  req->body_len = 0;
  uint32_t fields;
  if (!smp_read_map(&r, &fields)) return false;
  for (uint32_t i = 0; i < fields; ++i) {
    view key;
    if (!read_view(&r, &key)) return false;
    bool ok;
    if (smp_key_is(key.s, key.len, "method")) ok = read_view(&r, &req->method);
    else if (smp_key_is(key.s, key.len, "path")) ok = read_view(&r, &req->path);
    else if (smp_key_is(key.s, key.len, "queryString")) ok = read_view(&r, &req->query);
    else if (smp_key_is(key.s, key.len, "header")) ok = read_headers(&r, req);
    else if (smp_key_is(key.s, key.len, "body")) ok = smp_read_bin(&r, &req->body, &req->body_len);
    else ok = smp_skip(&r);
    if (!ok) return false;
  }
  return true;
}

/* ---- JSON output into an smp_writer used as a plain growing byte buffer. */

static void json_raw(smp_writer* out, const char* lit) { smp_write_raw(out, lit, stratus_strlen(lit)); }

/* A JSON string as serde_json writes it: ", \ and control characters escaped, everything else verbatim. */
static void json_string(smp_writer* out, view s) {
  static const char kHex[] = "0123456789abcdef";
  smp_write_raw(out, "\"", 1);
  uint32_t start = 0;
  for (uint32_t i = 0; i < s.len; ++i) {
    const uint8_t c = (uint8_t)s.s[i];
    if (c >= 0x20u && c != '"' && c != '\\') continue;
    smp_write_raw(out, s.s + start, i - start);
    start = i + 1u;
    char esc[6] = {'\\', 0, 0, 0, 0, 0};
    uint32_t esc_len = 2;
    switch (c) {
      case '"': esc[1] = '"'; break;
      case '\\': esc[1] = '\\'; break;
      case '\b': esc[1] = 'b'; break;
      case '\f': esc[1] = 'f'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      default:
        esc[1] = 'u';
        esc[2] = '0';
        esc[3] = '0';
        esc[4] = kHex[c >> 4];
        esc[5] = kHex[c & 15u];
        esc_len = 6;
        break;
    }
    smp_write_raw(out, esc, esc_len);
  }
  smp_write_raw(out, s.s + start, s.len - start);
  smp_write_raw(out, "\"", 1);
}

/* A byte as a JSON number (0..255), as serde_json writes the elements of a Vec<u8>. */
static void json_byte(smp_writer* out, uint8_t b) {
  char digits[3];
  uint32_t n = 0;
  if (b >= 100u) digits[n++] = (char)('0' + b / 100u);
  if (b >= 10u) digits[n++] = (char)('0' + b / 10u % 10u);
  digits[n++] = (char)('0' + b % 10u);
  smp_write_raw(out, digits, n);
}

static void echo_json(const echo_request* req, smp_writer* out) {
  json_raw(out, "{\"method\":");
  json_string(out, req->method);
  json_raw(out, ",\"path\":");
  json_string(out, req->path);
  json_raw(out, ",\"query_string\":");
  json_string(out, req->query);
  json_raw(out, ",\"headers\":{");
  for (uint32_t i = 0; i < req->header_count; ++i) {
    if (i > 0) json_raw(out, ",");
    json_string(out, req->header_names[i]);
    json_raw(out, ":");
    json_string(out, req->header_values[i]);
  }
  json_raw(out, "},\"body\":[");
  for (uint32_t i = 0; i < req->body_len; ++i) {
    if (i > 0) json_raw(out, ",");
    json_byte(out, req->body[i]);
  }
  json_raw(out, "]}");
}

static int handle_request(const uint8_t* payload, uint32_t len) {
  echo_request req;
  if (!parse_request(payload, len, &req)) return stratus_guest_error_str("HandleRequest: malformed Request");

  smp_writer json;
  smp_writer_init(&json);
  echo_json(&req, &json);

  smp_writer w;
  smp_writer_init(&w);
  smp_write_map(&w, 4);
  smp_write_cstr(&w, "statusCode");
  smp_write_uint(&w, 200);
  smp_write_cstr(&w, "status");
  smp_write_cstr(&w, "OK");
  smp_write_cstr(&w, "header");
  smp_write_map(&w, 0);
  smp_write_cstr(&w, "body");
  smp_write_bin(&w, json.data, json.len);
  int rc = json.error || w.error ? stratus_guest_error_str("HandleRequest: out of memory")
                                 : stratus_guest_response(w.data, w.len);
  smp_writer_free(&w);
  smp_writer_free(&json);
  return rc;
}

void wapc_init(void) { stratus_register("HandleRequest", handle_request); }
