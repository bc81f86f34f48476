/*
 * A stand-in, in C, for a capability provider built by rustc before 1.56 — the compilers of every real wasmCloud
 * 0.18 / waSCC provider binary, which cannot be built on this machine. It reproduces what the host sees of such a
 * binary (../shared/spec/rust-provider-abi.md): the version string rustc leaves, `__capability_provider_create`
 * returning a `*mut dyn CapabilityProvider` fat pointer, the vtable with the trait's own methods first
 * (configure_dispatch, handle_call, stop, then clone_provider), the 32-byte tagged Result, Box<dyn Error> values
 * whose Display::fmt (slot 9) writes through a Formatter of that era, and the host's Box<dyn Dispatcher> used the
 * way Rust code uses it (dispatch in slot 3, dropped through slot 0 and freed with free).
 *
 * Operations: BindActor / RemoveActor (counted), HealthRequest, Echo (the payload), Bound (the count, as text),
 * Call ("<actor>\n<operation>\n<payload>": dispatches and returns the actor's reply, or the error
 * "dispatch to <actor> failed: <the host's error>"); any other operation fails with
 * "unsupported operation: <op>".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* The mark rustc leaves in its binaries; variants carry a future version, a version whose layout this binary does
 * not have, or only the source path of an unknown rustup commit. */
#if defined(FIXTURE_UNKNOWN_VERSION)
#define FIXTURE_MARK "rustc version 2.1.0 (0000000aa 2031-01-01)"
#elif defined(FIXTURE_MISLABELLED)
#define FIXTURE_MARK "rustc version 1.95.0 (59807616e 2026-04-14)"
#elif defined(FIXTURE_UNKNOWN_COMMIT)
#define FIXTURE_MARK "/rustc/0123456789abcdef0123456789abcdef01234567/library/core/src/panicking.rs"
#else
#define FIXTURE_MARK "rustc version 1.48.0 (7eac88abb 2020-11-16)"
#endif
__attribute__((used)) static const char kCompilerMark[] = FIXTURE_MARK;

typedef struct {
  void* data;
  void* const* vtable;
} fat_ptr;

/* Result<Vec<u8>, Box<dyn Error + Send + Sync>> before 1.56: {tag, ptr, cap, len} or {tag, data, vtable, -}. */
typedef struct {
  uint64_t tag;
  uint64_t a, b, c;
} result32;

/* core::fmt::Formatter of that era (64 bytes): width, precision, buf (&mut dyn Write), flags, fill, align. */
typedef struct {
  uint64_t width_tag, width, precision_tag, precision;
  void* buf_data;
  void* const* buf_vtable;
  uint32_t flags;
  uint32_t fill;
  uint8_t align;
} formatter;

typedef uint8_t (*write_str_fn)(void* self, const char* s, size_t len);
typedef uint8_t (*fmt_fn)(void* self, formatter* f);
typedef void (*drop_fn)(void* self);
typedef void (*dispatch_fn)(result32* out, void* self, const char* actor, size_t actor_len, const char* op,
                            size_t op_len, const uint8_t* msg, size_t msg_len);

/* ---- Box<dyn Error> made by this "provider": a message -------------------------------------------------------- */

typedef struct {
  char* text;
  size_t len;
} fixture_error;

static void error_drop(void* self) { free(((fixture_error*)self)->text); }
static uint8_t error_fmt(void* self, formatter* f) {
  fixture_error* e = (fixture_error*)self;
  return ((write_str_fn)f->buf_vtable[3])(f->buf_data, e->text, e->len);
}
static uint64_t error_none(void) { return 0; }

/* dyn Error before 1.56: drop, size, align, description, cause, source, type_id, backtrace, Debug::fmt, Display::fmt */
static void* const kErrorVtable[] = {(void*)error_drop, (void*)sizeof(fixture_error), (void*)8,
                                     (void*)error_none, (void*)error_none,            (void*)error_none,
                                     (void*)error_none, (void*)error_none,            (void*)error_fmt,
                                     (void*)error_fmt};

static void put_err(result32* out, const char* a, size_t a_len, const char* b, size_t b_len) {
  fixture_error* e = (fixture_error*)malloc(sizeof *e);
  e->len = a_len + b_len;
  e->text = (char*)malloc(e->len + 1);
  memcpy(e->text, a, a_len);
  memcpy(e->text + a_len, b, b_len);
  out->tag = 1;
  out->a = (uint64_t)(uintptr_t)e;
  out->b = (uint64_t)(uintptr_t)kErrorVtable;
}

static void put_ok(result32* out, const void* bytes, size_t len) {
  uint8_t* buf = len ? (uint8_t*)malloc(len) : (uint8_t*)1; /* an empty Vec: dangling pointer, capacity 0 */
  if (len) memcpy(buf, bytes, len);
  out->tag = 0;
  out->a = (uint64_t)(uintptr_t)buf;
  out->b = len;
  out->c = len;
}

/* ---- A fmt::Write appending to a fixed buffer, to read the host's errors through their Display ----------------- */

typedef struct {
  char text[512];
  size_t len;
} text_sink;

static uint8_t sink_write_str(void* self, const char* s, size_t len) {
  text_sink* t = (text_sink*)self;
  if (len > sizeof t->text - t->len) len = sizeof t->text - t->len;
  memcpy(t->text + t->len, s, len);
  t->len += len;
  return 0;
}
static uint8_t sink_write_char(void* self, uint32_t c) {
  char ch = (char)(c < 0x80 ? c : '?');
  return sink_write_str(self, &ch, 1);
}
static uint8_t sink_write_fmt(void* self, const void* args) {
  (void)self;
  (void)args;
  return 1;
}
static void* const kSinkVtable[] = {NULL, (void*)sizeof(text_sink), (void*)8, (void*)sink_write_str,
                                    (void*)sink_write_char, (void*)sink_write_fmt};

/* ---- The provider ---------------------------------------------------------------------------------------------- */

typedef struct {
  pthread_mutex_t mu;
  fat_ptr dispatcher; /* Box<dyn Dispatcher>, {NULL, NULL} until configured */
  uint64_t bound;
} provider;

static void drop_dispatcher(fat_ptr d) {
  if (!d.data) return;
  if (d.vtable[0]) ((drop_fn)d.vtable[0])(d.data);
  if ((uintptr_t)d.vtable[1] != 0) free(d.data);
}

static fat_ptr configure_dispatch(void* self, void* data, void* const* vtable) {
  provider* p = (provider*)self;
  fat_ptr previous;
  pthread_mutex_lock(&p->mu);
  previous = p->dispatcher;
  p->dispatcher.data = data;
  p->dispatcher.vtable = vtable;
  pthread_mutex_unlock(&p->mu);
  drop_dispatcher(previous);
  return (fat_ptr){NULL, NULL}; /* Ok(()) */
}

static int is(const char* s, size_t len, const char* literal) {
  return len == strlen(literal) && memcmp(s, literal, len) == 0;
}

static void call(result32* out, provider* p, const uint8_t* msg, size_t msg_len) {
  const char* text = (const char*)msg;
  const char* nl1 = memchr(text, '\n', msg_len);
  const char* nl2 = nl1 ? memchr(nl1 + 1, '\n', msg_len - (size_t)(nl1 + 1 - text)) : NULL;
  if (!nl2) {
    static const char kBad[] = "Call expects <actor>\\n<operation>\\n<payload>";
    put_err(out, kBad, sizeof kBad - 1, "", 0);
    return;
  }
  size_t actor_len = (size_t)(nl1 - text);
  pthread_mutex_lock(&p->mu);
  fat_ptr d = p->dispatcher;
  pthread_mutex_unlock(&p->mu);
  result32 reply;
  memset(&reply, 0xA5, sizeof reply);
  ((dispatch_fn)d.vtable[3])(&reply, d.data, text, actor_len, nl1 + 1, (size_t)(nl2 - nl1 - 1),
                             (const uint8_t*)nl2 + 1, msg_len - (size_t)(nl2 + 1 - text));
  if (reply.tag == 0) {
    *out = reply; /* hand the Vec on: the host frees it with free, as it allocated it with malloc */
    return;
  }
  /* Err: format the host's error through its Display::fmt, then drop it, as `format!("{}", e)` and drop do. */
  void* data = (void*)(uintptr_t)reply.a;
  void* const* vtable = (void* const*)(uintptr_t)reply.b;
  text_sink sink = {{0}, 0};
  formatter f = {0, 0, 0, 0, &sink, kSinkVtable, 0, ' ', 3};
  ((fmt_fn)vtable[9])(data, &f);
  if (vtable[0]) ((drop_fn)vtable[0])(data);
  if ((uintptr_t)vtable[1] != 0) free(data);
  char prefix[160];
  size_t n = (size_t)snprintf(prefix, sizeof prefix, "dispatch to %.*s failed: ", (int)actor_len, text);
  put_err(out, prefix, n, sink.text, sink.len);
}

static void handle_call(result32* out, void* self, const char* actor, size_t actor_len, const char* op,
                        size_t op_len, const uint8_t* msg, size_t msg_len) {
  provider* p = (provider*)self;
  static const uint8_t kHealthy[] = {0x82, 0xa7, 'h', 'e', 'a', 'l', 't', 'h', 'y', 0xc3,
                                     0xa7, 'm',  'e', 's', 's', 'a', 'g', 'e', 0xa0};
  (void)actor;
  (void)actor_len;
  memset(out, 0, sizeof *out);
  if (is(op, op_len, "HealthRequest")) {
    put_ok(out, kHealthy, sizeof kHealthy);
  } else if (is(op, op_len, "BindActor") || is(op, op_len, "RemoveActor")) {
    pthread_mutex_lock(&p->mu);
    p->bound += is(op, op_len, "BindActor") ? 1 : (uint64_t)-1;
    pthread_mutex_unlock(&p->mu);
    put_ok(out, "", 0);
  } else if (is(op, op_len, "Echo")) {
    put_ok(out, msg, msg_len);
  } else if (is(op, op_len, "Bound")) {
    char text[32];
    pthread_mutex_lock(&p->mu);
    int n = snprintf(text, sizeof text, "%llu", (unsigned long long)p->bound);
    pthread_mutex_unlock(&p->mu);
    put_ok(out, text, (size_t)n);
  } else if (is(op, op_len, "Call")) {
    call(out, p, msg, msg_len);
  } else {
    static const char kUnsupported[] = "unsupported operation: ";
    put_err(out, kUnsupported, sizeof kUnsupported - 1, op, op_len);
  }
}

static void stop(void* self) { (void)self; }

static void drop_provider(void* self) {
  provider* p = (provider*)self;
  drop_dispatcher(p->dispatcher);
  pthread_mutex_destroy(&p->mu);
}

static fat_ptr clone_provider(void* self) {
  (void)self;
  abort(); /* the host never clones a provider */
}

/* dyn CapabilityProvider before 1.56: drop, size, align, configure_dispatch, handle_call, stop, clone_provider */
static void* const kProviderVtable[] = {(void*)drop_provider, (void*)sizeof(provider), (void*)8,
                                        (void*)configure_dispatch, (void*)handle_call, (void*)stop,
                                        (void*)clone_provider};

__attribute__((visibility("default"))) fat_ptr __capability_provider_create(void) {
  provider* p = (provider*)calloc(1, sizeof *p);
  pthread_mutex_init(&p->mu, NULL);
  return (fat_ptr){p, kProviderVtable};
}
