/* pinger: for every HTTP request it calls the ponger actor by its call alias ("examples/ponger", op Ping, payload
 * the request path) and asks the built-in wasmcloud:extras provider for a GUID, then answers
 * {"reply": "<ponger's answer>", "guid": "<guid>"} as JSON. The pattern of wasmCloud's pinger/ponger example. */
#include "stratus_actor.h"
#include "stratus_msgpack.h"
#include "stratus_http.h"

#define FIELD_MAX 512

/* Copies `guid` out of a GeneratorResult {guid, sequenceNumber, random_number}. */
static bool read_guid(const uint8_t* data, uint32_t len, char* out, uint32_t* out_len) {
  smp_reader r;
  smp_reader_init(&r, data, len);
  const char* guid;
  uint32_t guid_len;
  if (!smp_find_field(&r, "guid") || !smp_read_str(&r, &guid, &guid_len) || guid_len > FIELD_MAX) return false;
  for (uint32_t k = 0; k < guid_len; ++k) out[k] = guid[k];
  *out_len = guid_len;
  return true;
}

/* Appends `text` to buf at *len as a JSON string body (quotes and backslashes escaped, control bytes dropped). */
static void append_json_text(char* buf, uint32_t* len, const char* text, uint32_t text_len) {
  for (uint32_t i = 0; i < text_len; ++i) {
    char c = text[i];
    if ((unsigned char)c < 0x20) continue;
    if (c == '"' || c == '\\') buf[(*len)++] = '\\';
    buf[(*len)++] = c;
  }
}

static void append(char* buf, uint32_t* len, const char* lit) {
  while (*lit) buf[(*len)++] = *lit++;
}

static int handle_request(const uint8_t* payload, uint32_t len) {
  stratus_http_request request;
  if (!stratus_http_parse_request(payload, len, &request)) {
    return stratus_guest_error_str("HandleRequest: malformed Request");
  }
  if (request.path_len > FIELD_MAX) return stratus_guest_error_str("HandleRequest: path too long");

  stratus_bytes pong;
  if (stratus_host_call("default", "examples/ponger", "Ping", request.path, request.path_len, &pong) !=
      STRATUS_HOST_OK) {
    int err = stratus_guest_error_concat("calling examples/ponger failed: ", pong.data, pong.len);
    stratus_bytes_free(&pong);
    return err;
  }

  smp_writer args;
  smp_writer_init(&args);
  smp_write_map(&args, 5);
  smp_write_cstr(&args, "guid");
  smp_write_bool(&args, true);
  smp_write_cstr(&args, "sequence");
  smp_write_bool(&args, false);
  smp_write_cstr(&args, "random");
  smp_write_bool(&args, false);
  smp_write_cstr(&args, "min");
  smp_write_uint(&args, 0);
  smp_write_cstr(&args, "max");
  smp_write_uint(&args, 0);
  stratus_bytes generated;
  int rc = stratus_host_call("default", "wasmcloud:extras", "RequestGuid", args.data, args.len, &generated);
  smp_writer_free(&args);
  char guid[FIELD_MAX];
  uint32_t guid_len = 0;
  bool have_guid = rc == STRATUS_HOST_OK && read_guid(generated.data, generated.len, guid, &guid_len);
  if (rc != STRATUS_HOST_OK) {
    int err = stratus_guest_error_concat("wasmcloud:extras RequestGuid failed: ", generated.data, generated.len);
    stratus_bytes_free(&generated);
    stratus_bytes_free(&pong);
    return err;
  }
  stratus_bytes_free(&generated);
  if (!have_guid) {
    stratus_bytes_free(&pong);
    return stratus_guest_error_str("malformed GeneratorResult from wasmcloud:extras");
  }

  /* Worst case every byte escaped: 2 × (pong + guid) plus the JSON around them. */
  const uint32_t cap = 2u * (pong.len + guid_len) + 32u;
  char* body = (char*)stratus_malloc(cap);
  if (!body) {
    stratus_bytes_free(&pong);
    return stratus_guest_error_str("HandleRequest: out of memory");
  }
  uint32_t body_len = 0;
  append(body, &body_len, "{\"reply\":\"");
  append_json_text(body, &body_len, (const char*)pong.data, pong.len);
  append(body, &body_len, "\",\"guid\":\"");
  append_json_text(body, &body_len, guid, guid_len);
  append(body, &body_len, "\"}");
  stratus_bytes_free(&pong);
  rc = stratus_http_respond(200, "OK", "application/json", body, body_len);
  stratus_free(body);
  return rc;
}

void wapc_init(void) { stratus_register("HandleRequest", handle_request); }
