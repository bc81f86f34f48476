/*
 * stratus_http.h — wasmcloud:httpserver helpers for C actors: read the fields of a Request and answer with a
 * Response, in the msgpack layout of wasmCloud 0.18 (Request {method, path, queryString, header, body},
 * Response {statusCode, status, header, body: bin}).
 *
 * Include after stratus_actor.h and stratus_msgpack.h.
 */
#ifndef STRATUS_HTTP_H
#define STRATUS_HTTP_H

/* A view of a Request's fields; the pointers point into the HandleRequest payload (valid during the handler). */
typedef struct stratus_http_request {
  const char* method;
  uint32_t method_len;
  const char* path;
  uint32_t path_len;
  const char* query;  /* queryString, without '?' */
  uint32_t query_len;
  const uint8_t* body;
  uint32_t body_len;
} stratus_http_request;

/* Parses a HandleRequest payload. Headers are skipped. Returns false when it is not a well-formed Request map. */
static inline bool stratus_http_parse_request(const uint8_t* payload, uint32_t len, stratus_http_request* out) {
  smp_reader r;
  smp_reader_init(&r, payload, len);
  out->method = out->path = out->query = "";
  out->method_len = out->path_len = out->query_len = out->body_len = 0;
  out->body = (const uint8_t*)"";
  uint32_t fields = 0;
  if (!smp_read_map(&r, &fields)) return false;
  for (uint32_t i = 0; i < fields; ++i) {
    const char* key;
    uint32_t key_len;
    if (!smp_read_str(&r, &key, &key_len)) return false;
    bool ok;
    if (smp_key_is(key, key_len, "method")) {
      ok = smp_read_str(&r, &out->method, &out->method_len);
    } else if (smp_key_is(key, key_len, "path")) {
      ok = smp_read_str(&r, &out->path, &out->path_len);
    } else if (smp_key_is(key, key_len, "queryString")) {
      ok = smp_read_str(&r, &out->query, &out->query_len);
    } else if (smp_key_is(key, key_len, "body")) {
      ok = smp_read_bin(&r, &out->body, &out->body_len);
    } else {
      ok = smp_skip(&r);
    }
    if (!ok) return false;
  }
  return true;
}

/* Answers the current HandleRequest with a Response of one content-type header and `body`. Returns what
 * stratus_guest_response (or, out of memory, stratus_guest_error) returns. */
static inline int stratus_http_respond(uint32_t status_code, const char* status, const char* content_type,
                                       const void* body, uint32_t body_len) {
  smp_writer w;
  smp_writer_init(&w);
  smp_write_map(&w, 4);
  smp_write_cstr(&w, "statusCode");
  smp_write_uint(&w, status_code);
  smp_write_cstr(&w, "status");
  smp_write_cstr(&w, status);
  smp_write_cstr(&w, "header");
  smp_write_map(&w, 1);
  smp_write_cstr(&w, "content-type");
  smp_write_cstr(&w, content_type);
  smp_write_cstr(&w, "body");
  smp_write_bin(&w, body, body_len);
  int rc = w.error ? stratus_guest_error_str("HandleRequest: out of memory") : stratus_guest_response(w.data, w.len);
  smp_writer_free(&w);
  return rc;
}

#endif /* STRATUS_HTTP_H */
