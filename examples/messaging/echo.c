/* messaging_echo: echo over NATS through the wasmcloud:messaging contract. Every message on the actor's
 * subscriptions arrives as HandleMessage with a BrokerMessage {subject, replyTo, body}; when the sender asked for
 * a reply (replyTo is set) the actor publishes the same body back to replyTo with Publish {subject, replyTo, body}
 * — how a wasmCloud 0.18 actor answers a NATS request (actor-interfaces messaging README: handle_message publishes
 * to message.reply_to). A message without replyTo is only logged. HandleMessage answers () (msgpack nil), as the
 * generated Rust handler does. */
#include "stratus_actor.h"
#include "stratus_msgpack.h"

typedef struct broker_message {
  const char* subject;
  uint32_t subject_len;
  const char* reply_to;
  uint32_t reply_to_len;
  const uint8_t* body;
  uint32_t body_len;
} broker_message;

/* Reads a BrokerMessage map; fields may come in any order, unknown ones are skipped, a nil replyTo is empty. */
static bool read_broker_message(const uint8_t* data, uint32_t len, broker_message* out) {
  smp_reader r;
  smp_reader_init(&r, data, len);
  uint32_t fields = 0;
  if (!smp_read_map(&r, &fields)) return false;
  out->subject = out->reply_to = "";
  out->subject_len = out->reply_to_len = out->body_len = 0;
  out->body = (const uint8_t*)"";
  for (uint32_t i = 0; i < fields; ++i) {
    const char* key;
    uint32_t key_len;
    if (!smp_read_str(&r, &key, &key_len)) return false;
    if (smp_key_is(key, key_len, "subject")) {
      if (!smp_read_str(&r, &out->subject, &out->subject_len)) return false;
    } else if (smp_key_is(key, key_len, "replyTo")) {
      if (smp_next_is_nil(&r)) {
        if (!smp_read_nil(&r)) return false;
      } else if (!smp_read_str(&r, &out->reply_to, &out->reply_to_len)) {
        return false;
      }
    } else if (smp_key_is(key, key_len, "body")) {
      if (!smp_read_bin(&r, &out->body, &out->body_len)) return false;
    } else if (!smp_skip(&r)) {
      return false;
    }
  }
  return true;
}

static int handle_message(const uint8_t* payload, uint32_t len) {
  broker_message m;
  if (!read_broker_message(payload, len, &m)) return stratus_guest_error_str("HandleMessage: malformed BrokerMessage");
  static const uint8_t kUnit[] = {0xc0}; /* () */
  if (m.reply_to_len == 0) {
    stratus_console_log_str("messaging_echo: a message without replyTo; nothing to answer");
    return stratus_guest_response(kUnit, sizeof kUnit);
  }

  smp_writer args; /* Publish {subject: <replyTo>, replyTo: "", body} */
  smp_writer_init(&args);
  smp_write_map(&args, 3);
  smp_write_cstr(&args, "subject");
  smp_write_str(&args, m.reply_to, m.reply_to_len);
  smp_write_cstr(&args, "replyTo");
  smp_write_str(&args, "", 0);
  smp_write_cstr(&args, "body");
  smp_write_bin(&args, m.body, m.body_len);
  if (args.error) {
    smp_writer_free(&args);
    return stratus_guest_error_str("HandleMessage: out of memory");
  }
  stratus_bytes reply;
  int rc = stratus_host_call("default", "wasmcloud:messaging", "Publish", args.data, args.len, &reply);
  smp_writer_free(&args);
  if (rc != STRATUS_HOST_OK) {
    int err = stratus_guest_error_concat("messaging Publish to replyTo failed: ", reply.data, reply.len);
    stratus_bytes_free(&reply);
    return err;
  }
  stratus_bytes_free(&reply); /* PublishResponse {published: true} */
  return stratus_guest_response(kUnit, sizeof kUnit);
}

void wapc_init(void) { stratus_register("HandleMessage", handle_message); }
