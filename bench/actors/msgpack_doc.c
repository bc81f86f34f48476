/* msgpack_doc.c — see msgpack_doc.h. Compiled for wasm32 (bench_msgpack_actor) and natively. */
#if defined(__wasm__)
/* The actor's other translation unit carries the SDK implementation. */
#define STRATUS_ACTOR_NO_IMPLEMENTATION
#endif
#include "msgpack_doc.h"

#include "stratus_msgpack.h"

#define DOC_MAX_TAGS 4u
#define DOC_MAX_ITEMS 8u

typedef struct doc_str {
  const char* s;
  uint32_t len;
} doc_str;

typedef struct doc_item {
  doc_str sku;
  doc_str name;
  uint32_t qty;
  uint64_t price_cents;
  doc_str color;
  doc_str size;
} doc_item;

/* The document as the encoder takes it and the decoder fills it (strings: views into constants or the input). */
typedef struct doc {
  doc_str id;
  uint64_t seq;
  uint64_t timestamp_ms;
  doc_str host;
  doc_str region;
  uint32_t version[3];
  doc_str tags[DOC_MAX_TAGS];
  uint32_t tag_count;
  double ratio;
  bool active;
  int64_t delta;
  const uint8_t* digest;
  uint32_t digest_len;
  doc_item items[DOC_MAX_ITEMS];
  uint32_t item_count;
  bool note_is_nil;
} doc;

#define DOC_STR(lit) {lit, (uint32_t)(sizeof lit - 1u)}

static const uint8_t kDigest[32] = {0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea,
                                    0xa0, 0xc5, 0x5a, 0xd0, 0x15, 0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b,
                                    0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08};

static const doc_item kItems[DOC_MAX_ITEMS] = {
    {DOC_STR("SKU-100231"), DOC_STR("Stainless steel water bottle, 750 ml"), 0, 2499, DOC_STR("silver"),
     DOC_STR("L")},
    {DOC_STR("SKU-100232"), DOC_STR("Insulated lunch box"), 0, 1850, DOC_STR("navy"), DOC_STR("M")},
    {DOC_STR("SKU-200017"), DOC_STR("Wireless earbuds with charging case"), 0, 7900, DOC_STR("black"),
     DOC_STR("one size")},
    {DOC_STR("SKU-200018"), DOC_STR("USB-C cable, 2 m"), 0, 999, DOC_STR("white"), DOC_STR("2m")},
    {DOC_STR("SKU-310004"), DOC_STR("Trail running shoes"), 0, 12995, DOC_STR("red"), DOC_STR("44")},
    {DOC_STR("SKU-310005"), DOC_STR("Merino wool socks, pack of 3"), 0, 2400, DOC_STR("grey"), DOC_STR("43-46")},
    {DOC_STR("SKU-420110"), DOC_STR("Paperback notebook"), 0, 450, DOC_STR("green"), DOC_STR("A5")},
    {DOC_STR("SKU-420111"), DOC_STR("Gel pens, set of 10"), 0, 1299, DOC_STR("assorted"), DOC_STR("0.5mm")},
};

/* The source document of iteration `i`: fixed strings, a few values that change with `i`. */
static void doc_fill(doc* d, uint32_t i) {
  static const doc_str kTags[3] = {DOC_STR("checkout"), DOC_STR("priority"), DOC_STR("retry-safe")};
  d->id = (doc_str)DOC_STR("evt-7f3a9c12-4b8e-4d21-9a6f-0c5e8b2d1f47");
  d->seq = i;
  d->timestamp_ms = 1700000000000ull + 17ull * i;
  d->host = (doc_str)DOC_STR("edge-07.eu-west-1.example.net");
  d->region = (doc_str)DOC_STR("eu-west-1");
  d->version[0] = 0;
  d->version[1] = 18;
  d->version[2] = 2 + (i & 3u);
  for (uint32_t t = 0; t < 3u; ++t) d->tags[t] = kTags[t];
  d->tag_count = 3;
  d->ratio = 0.5 + 0.125 * (double)(i & 7u);
  d->active = (i & 1u) == 0;
  d->delta = -33 - (int64_t)(i % 1000u);
  d->digest = kDigest;
  d->digest_len = sizeof kDigest;
  for (uint32_t k = 0; k < DOC_MAX_ITEMS; ++k) {
    d->items[k] = kItems[k];
    d->items[k].qty = (i + k) % 7u + 1u;
  }
  d->item_count = DOC_MAX_ITEMS;
  d->note_is_nil = true;
}

static void write_str(smp_writer* w, doc_str s) { smp_write_str(w, s.s, s.len); }

static void doc_encode(const doc* d, smp_writer* w) {
  smp_write_map(w, 11);
  smp_write_cstr(w, "id");
  write_str(w, d->id);
  smp_write_cstr(w, "seq");
  smp_write_uint(w, d->seq);
  smp_write_cstr(w, "timestampMs");
  smp_write_uint(w, d->timestamp_ms);
  smp_write_cstr(w, "source");
  smp_write_map(w, 3);
  smp_write_cstr(w, "host");
  write_str(w, d->host);
  smp_write_cstr(w, "region");
  write_str(w, d->region);
  smp_write_cstr(w, "version");
  smp_write_array(w, 3);
  for (uint32_t v = 0; v < 3u; ++v) smp_write_uint(w, d->version[v]);
  smp_write_cstr(w, "tags");
  smp_write_array(w, d->tag_count);
  for (uint32_t t = 0; t < d->tag_count; ++t) write_str(w, d->tags[t]);
  smp_write_cstr(w, "ratio");
  smp_write_f64(w, d->ratio);
  smp_write_cstr(w, "active");
  smp_write_bool(w, d->active);
  smp_write_cstr(w, "delta");
  smp_write_int(w, d->delta);
  smp_write_cstr(w, "digest");
  smp_write_bin(w, d->digest, d->digest_len);
  smp_write_cstr(w, "items");
  smp_write_array(w, d->item_count);
  for (uint32_t k = 0; k < d->item_count; ++k) {
    const doc_item* it = &d->items[k];
    smp_write_map(w, 5);
    smp_write_cstr(w, "sku");
    write_str(w, it->sku);
    smp_write_cstr(w, "name");
    write_str(w, it->name);
    smp_write_cstr(w, "qty");
    smp_write_uint(w, it->qty);
    smp_write_cstr(w, "priceCents");
    smp_write_uint(w, it->price_cents);
    smp_write_cstr(w, "attrs");
    smp_write_map(w, 2);
    smp_write_cstr(w, "color");
    write_str(w, it->color);
    smp_write_cstr(w, "size");
    write_str(w, it->size);
  }
  smp_write_cstr(w, "note");
  smp_write_nil(w);
}

static bool read_str(smp_reader* r, doc_str* out) { return smp_read_str(r, &out->s, &out->len); }

static bool decode_attrs(smp_reader* r, doc_item* it) {
  uint32_t n;
  if (!smp_read_map(r, &n)) return false;
  for (uint32_t f = 0; f < n; ++f) {
    doc_str key;
    if (!read_str(r, &key)) return false;
    bool ok;
    if (smp_key_is(key.s, key.len, "color")) ok = read_str(r, &it->color);
    else if (smp_key_is(key.s, key.len, "size")) ok = read_str(r, &it->size);
    else ok = smp_skip(r);
    if (!ok) return false;
  }
  return true;
}

static bool decode_item(smp_reader* r, doc_item* it) {
  uint32_t n;
  if (!smp_read_map(r, &n)) return false;
  for (uint32_t f = 0; f < n; ++f) {
    doc_str key;
    if (!read_str(r, &key)) return false;
    bool ok;
    if (smp_key_is(key.s, key.len, "sku")) {
      ok = read_str(r, &it->sku);
    } else if (smp_key_is(key.s, key.len, "name")) {
      ok = read_str(r, &it->name);
    } else if (smp_key_is(key.s, key.len, "qty")) {
      ok = smp_read_u32(r, &it->qty);
    } else if (smp_key_is(key.s, key.len, "priceCents")) {
      ok = smp_read_u64(r, &it->price_cents);
    } else if (smp_key_is(key.s, key.len, "attrs")) {
      ok = decode_attrs(r, it);
    } else {
      ok = smp_skip(r);
    }
    if (!ok) return false;
  }
  return true;
}

static bool decode_source(smp_reader* r, doc* d) {
  uint32_t n;
  if (!smp_read_map(r, &n)) return false;
  for (uint32_t f = 0; f < n; ++f) {
    doc_str key;
    if (!read_str(r, &key)) return false;
    bool ok = true;
    if (smp_key_is(key.s, key.len, "host")) {
      ok = read_str(r, &d->host);
    } else if (smp_key_is(key.s, key.len, "region")) {
      ok = read_str(r, &d->region);
    } else if (smp_key_is(key.s, key.len, "version")) {
      uint32_t count;
      ok = smp_read_array(r, &count) && count == 3u;
      for (uint32_t v = 0; ok && v < 3u; ++v) ok = smp_read_u32(r, &d->version[v]);
    } else {
      ok = smp_skip(r);
    }
    if (!ok) return false;
  }
  return true;
}

/* Decodes a document into `d` (views into [data, data+len)); false when it is malformed. */
static bool doc_decode(const uint8_t* data, uint32_t len, doc* d) {
  smp_reader r;
  smp_reader_init(&r, data, len);
  uint32_t n;
  if (!smp_read_map(&r, &n)) return false;
  d->tag_count = d->item_count = 0;
  d->note_is_nil = false;
  for (uint32_t f = 0; f < n; ++f) {
    doc_str key;
    if (!read_str(&r, &key)) return false;
    bool ok = true;
    if (smp_key_is(key.s, key.len, "id")) {
      ok = read_str(&r, &d->id);
    } else if (smp_key_is(key.s, key.len, "seq")) {
      ok = smp_read_u64(&r, &d->seq);
    } else if (smp_key_is(key.s, key.len, "timestampMs")) {
      ok = smp_read_u64(&r, &d->timestamp_ms);
    } else if (smp_key_is(key.s, key.len, "source")) {
      ok = decode_source(&r, d);
    } else if (smp_key_is(key.s, key.len, "tags")) {
      ok = smp_read_array(&r, &d->tag_count) && d->tag_count <= DOC_MAX_TAGS;
      for (uint32_t t = 0; ok && t < d->tag_count; ++t) ok = read_str(&r, &d->tags[t]);
    } else if (smp_key_is(key.s, key.len, "ratio")) {
      ok = smp_read_f64(&r, &d->ratio);
    } else if (smp_key_is(key.s, key.len, "active")) {
      ok = smp_read_bool(&r, &d->active);
    } else if (smp_key_is(key.s, key.len, "delta")) {
      ok = smp_read_i64(&r, &d->delta);
    } else if (smp_key_is(key.s, key.len, "digest")) {
      ok = smp_read_bin(&r, &d->digest, &d->digest_len);
    } else if (smp_key_is(key.s, key.len, "items")) {
      ok = smp_read_array(&r, &d->item_count) && d->item_count <= DOC_MAX_ITEMS;
      for (uint32_t k = 0; ok && k < d->item_count; ++k) ok = decode_item(&r, &d->items[k]);
    } else if (smp_key_is(key.s, key.len, "note")) {
      ok = d->note_is_nil = smp_next_is_nil(&r);
      if (ok) ok = smp_read_nil(&r);
    } else {
      ok = smp_skip(&r);
    }
    if (!ok) return false;
  }
  return smp_remaining(&r) == 0;
}

/* ---- FNV-1a 64 over the decoded values. */
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv_bytes(uint64_t h, const void* data, uint32_t len) {
  const uint8_t* p = (const uint8_t*)data;
  for (uint32_t i = 0; i < len; ++i) h = (h ^ p[i]) * FNV_PRIME;
  return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v) {
  for (uint32_t i = 0; i < 8u; ++i) h = (h ^ (uint8_t)(v >> (8u * i))) * FNV_PRIME;
  return h;
}

static uint64_t fnv_str(uint64_t h, doc_str s) { return fnv_bytes(fnv_u64(h, s.len), s.s, s.len); }

static uint64_t doc_fold(uint64_t h, const doc* d) {
  union {
    double f;
    uint64_t u;
  } ratio;
  ratio.f = d->ratio;
  h = fnv_str(h, d->id);
  h = fnv_u64(h, d->seq);
  h = fnv_u64(h, d->timestamp_ms);
  h = fnv_str(h, d->host);
  h = fnv_str(h, d->region);
  for (uint32_t v = 0; v < 3u; ++v) h = fnv_u64(h, d->version[v]);
  for (uint32_t t = 0; t < d->tag_count; ++t) h = fnv_str(h, d->tags[t]);
  h = fnv_u64(h, ratio.u);
  h = fnv_u64(h, d->active ? 1u : 0u);
  h = fnv_u64(h, (uint64_t)d->delta);
  h = fnv_bytes(h, d->digest, d->digest_len);
  for (uint32_t k = 0; k < d->item_count; ++k) {
    const doc_item* it = &d->items[k];
    h = fnv_str(h, it->sku);
    h = fnv_str(h, it->name);
    h = fnv_u64(h, it->qty);
    h = fnv_u64(h, it->price_cents);
    h = fnv_str(h, it->color);
    h = fnv_str(h, it->size);
  }
  return fnv_u64(h, d->note_is_nil ? 1u : 0u);
}

/* The decoded values that change per iteration equal the source's (the checksum covers the rest). */
static bool doc_matches(const doc* a, const doc* b) {
  if (a->seq != b->seq || a->timestamp_ms != b->timestamp_ms || a->delta != b->delta || a->ratio != b->ratio ||
      a->active != b->active || a->item_count != b->item_count || a->tag_count != b->tag_count ||
      a->version[2] != b->version[2] || a->note_is_nil != b->note_is_nil) {
    return false;
  }
  for (uint32_t k = 0; k < a->item_count; ++k)
    if (a->items[k].qty != b->items[k].qty) return false;
  return true;
}

bool stratus_msgpack_workload(uint32_t iterations, stratus_msgpack_result* out) {
  smp_writer w;
  smp_writer_init(&w);
  uint64_t h = 0xcbf29ce484222325ull;
  bool ok = true;
  doc source;
  doc decoded;
  for (uint32_t i = 0; ok && i < iterations; ++i) {
    w.len = 0; /* keep the buffer: a service reuses its encode buffer */
    doc_fill(&source, i);
    doc_encode(&source, &w);
    ok = !w.error && doc_decode(w.data, w.len, &decoded) && doc_matches(&source, &decoded);
    if (ok) h = doc_fold(h, &decoded);
  }
  out->doc_bytes = w.len;
  out->checksum = h;
  smp_writer_free(&w);
  return ok;
}
