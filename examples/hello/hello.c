/* hello: the example actor of the README demo. `SayHello` takes a msgpack map {name: string} and answers
 * {greeting: "Hello, <name>!", calls: <how many calls this instance served>}. */
#include "stratus_actor.h"
#include "stratus_msgpack.h"

static uint32_t calls;

static int say_hello(const uint8_t* payload, uint32_t len) {
  const char* name = "world";
  uint32_t name_len = 5;
  if (len > 0) {
    smp_reader r;
    smp_reader_init(&r, payload, len);
    uint32_t fields = 0;
    if (!smp_read_map(&r, &fields)) return stratus_guest_error_str("SayHello expects a msgpack map {name}");
    for (uint32_t i = 0; i < fields; ++i) {
      const char* key;
      uint32_t key_len;
      if (!smp_read_str(&r, &key, &key_len)) return stratus_guest_error_str("SayHello: map keys must be strings");
      if (smp_key_is(key, key_len, "name")) {
        if (!smp_read_str(&r, &name, &name_len)) return stratus_guest_error_str("SayHello: name must be a string");
      } else if (!smp_skip(&r)) {
        return stratus_guest_error_str("SayHello: truncated payload");
      }
    }
  }
  ++calls;
  stratus_console_log_str("SayHello called");

  smp_writer w;
  smp_writer_init(&w);
  smp_write_map(&w, 2);
  smp_write_cstr(&w, "greeting");
  smp_write_str_header(&w, 7 + name_len + 1);
  smp_write_raw(&w, "Hello, ", 7);
  smp_write_raw(&w, name, name_len);
  smp_write_raw(&w, "!", 1);
  smp_write_cstr(&w, "calls");
  smp_write_uint(&w, calls);
  int rc = w.error ? stratus_guest_error_str("SayHello: out of memory") : stratus_guest_response(w.data, w.len);
  smp_writer_free(&w);
  return rc;
}

void wapc_init(void) { stratus_register("SayHello", say_hello); }
