/*
 * msgpack_doc.h — the msgpack-heavy compute workload of the benchmarks: encode a realistic nested document with the
 * SDK's writer (sdk/actor/stratus_msgpack.h), decode it back with the SDK's reader into a struct of views, and fold
 * what was decoded into a checksum; many times. Compiled into bench_msgpack_actor (wasm32) and natively
 * (stratus_bench_msgpack_native), so the engines are compared with the very same C code run natively.
 *
 * The document (~1 KB, rmp-serde's layout: structs as maps keyed by field name) is an event as a service
 * would send it: ids and timestamps, a nested source map with a version array, tags, a float, a bool, a negative
 * int, a 32-byte bin, a nil, and 8 line items each with a nested attribute map. Each iteration changes a few
 * values (sequence number, timestamp, quantities), so no iteration repeats the previous one's bytes.
 */
#ifndef STRATUS_BENCH_MSGPACK_DOC_H
#define STRATUS_BENCH_MSGPACK_DOC_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What one run of the workload produced; equal natively and in every engine. */
typedef struct stratus_msgpack_result {
  uint32_t doc_bytes; /* encoded size of the last document */
  uint64_t checksum;  /* FNV-1a over every decoded value of every iteration */
} stratus_msgpack_result;

/** Encodes and decodes the document `iterations` times. Returns false (and *out undefined) when the writer ran out
 * of memory or a decoded document did not match what was encoded. Reuses one writer buffer for all iterations. */
bool stratus_msgpack_workload(uint32_t iterations, stratus_msgpack_result* out);

#ifdef __cplusplus
}
#endif

#endif /* STRATUS_BENCH_MSGPACK_DOC_H */
