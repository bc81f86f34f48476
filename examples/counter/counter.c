/* counter: the example actor of `stratus up`. For every HTTP request (wasmcloud:httpserver HandleRequest) it adds
 * 1 to a counter in wasmcloud:keyvalue, keyed by the request path ('/' replaced by ':', as wasmCloud's kvcounter
 * example does), and answers {"counter": N} as JSON. */
#include "stratus_actor.h"
#include "stratus_msgpack.h"
#include "stratus_http.h"

#define KEY_MAX 256

static int bad_request(const char* why) { return stratus_guest_error_str(why); }

/* The `value` of an AddResponse {value}. */
static bool read_add_response(const uint8_t* data, uint32_t len, int64_t* value) {
  smp_reader r;
  smp_reader_init(&r, data, len);
  return smp_find_field(&r, "value") && smp_read_i64(&r, value);
}

static uint32_t format_counter(char* out, int64_t n) {
  static const char prefix[] = "{\"counter\":";
  uint32_t len = 0;
  for (const char* p = prefix; *p; ++p) out[len++] = *p;
  if (n < 0) {
    out[len++] = '-';
    n = -n;
  }
  char digits[20];
  uint32_t d = 0;
  do {
    digits[d++] = (char)('0' + n % 10);
    n /= 10;
  } while (n > 0);
  while (d > 0) out[len++] = digits[--d];
  out[len++] = '}';
  return len;
}

static int handle_request(const uint8_t* payload, uint32_t len) {
  stratus_http_request request;
  if (!stratus_http_parse_request(payload, len, &request)) return bad_request("HandleRequest: malformed Request");
  const uint32_t path_len = request.path_len;
  if (path_len > KEY_MAX) return bad_request("HandleRequest: path too long");

  char key[KEY_MAX];
  for (uint32_t i = 0; i < path_len; ++i) key[i] = request.path[i] == '/' ? ':' : request.path[i];

  smp_writer args;
  smp_writer_init(&args);
  smp_write_map(&args, 2);
  smp_write_cstr(&args, "key");
  smp_write_str(&args, key, path_len);
  smp_write_cstr(&args, "value");
  smp_write_int(&args, 1);
  if (args.error) {
    smp_writer_free(&args);
    return stratus_guest_error_str("HandleRequest: out of memory");
  }
  stratus_bytes reply;
  int rc = stratus_host_call("default", "wasmcloud:keyvalue", "Add", args.data, args.len, &reply);
  smp_writer_free(&args);
  if (rc != STRATUS_HOST_OK) {
    int err = stratus_guest_error_concat("keyvalue Add failed: ", reply.data, reply.len);
    stratus_bytes_free(&reply);
    return err;
  }
  int64_t count = 0;
  bool parsed = read_add_response(reply.data, reply.len, &count);
  stratus_bytes_free(&reply);
  if (!parsed) return stratus_guest_error_str("HandleRequest: malformed AddResponse from keyvalue");

  char body[48];
  return stratus_http_respond(200, "OK", "application/json", body, format_counter(body, count));
}

void wapc_init(void) { stratus_register("HandleRequest", handle_request); }
