// Fuzz target: the msgpack decoder and every contract decoder built on it (untrusted bytes from actors, providers
// and, later, the lattice). Any input must yield a value or an error, never a crash, hang or huge allocation.
#include <cstddef>
#include <cstdint>
#include <span>

#include "stratus/codec/core.h"
#include "stratus/codec/extras.h"
#include "stratus/codec/http.h"
#include "stratus/codec/keyvalue.h"
#include "stratus/codec/logging.h"
#include "stratus/codec/messaging.h"
#include "stratus/codec/msgpack.h"
#include "stratus/codec/telnet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stratus::codec;
  const std::span<const uint8_t> bytes(data, size);
  if (auto v = decode(bytes)) {
    // Exercise the accessors on whatever came out.
    (void)v->asStringMap("fuzz");
    (void)v->asBytes("fuzz");
    (void)v->asStringArray("fuzz");
  }
  (void)decodeCapabilityConfiguration(bytes);
  (void)decodeHealthResponse(bytes);
  (void)decodeHttpRequest(bytes);
  (void)decodeHttpResponse(bytes);
  (void)decodeHttpClientRequest(bytes);
  for (int op = 0; op <= static_cast<int>(KeyValueOp::kKeyExists); ++op) {
    (void)decodeKeyValueRequest(static_cast<KeyValueOp>(op), bytes);
  }
  (void)decodeWriteLog(bytes);
  (void)decodePublishArgs(bytes);
  (void)decodePublishResponse(bytes);
  (void)decodeRequestArgs(bytes);
  (void)decodeBrokerMessage(bytes);
  (void)decodeTelnetText(bytes);
  (void)decodeTelnetResult(bytes);
  (void)decodeGeneratorRequest(bytes);
  (void)decodeGeneratorResult(bytes);
  return 0;
}
