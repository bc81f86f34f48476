#include "stratus/codec/extras.h"

#include "codec/decode_util.h"

namespace stratus::codec {

Bytes encode(const GeneratorRequest& v) {
  Writer w;
  w.mapHeader(5).str("guid").boolean(v.guid).str("sequence").boolean(v.sequence).str("random").boolean(v.random);
  w.str("min").uint(v.min).str("max").uint(v.max);
  return w.take();
}

Bytes encode(const GeneratorResult& v) {
  Writer w;
  w.mapHeader(3).str("guid");
  if (v.guid) {
    w.str(*v.guid);
  } else {
    w.nil();
  }
  w.str("sequenceNumber").uint(v.sequence_number).str("random_number").uint(v.random_number);
  return w.take();
}

Expected<GeneratorRequest> decodeGeneratorRequest(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<GeneratorRequest>(
      bytes, "GeneratorRequest", [](const StructReader& r, GeneratorRequest& out) -> Expected<void> {
        STRATUS_FIELD(out.guid, r.boolean("guid"));
        STRATUS_FIELD(out.sequence, r.boolean("sequence"));
        STRATUS_FIELD(out.random, r.boolean("random"));
        int64_t n = 0;
        STRATUS_FIELD(n, r.ranged("min", 0, UINT32_MAX));
        out.min = static_cast<uint32_t>(n);
        STRATUS_FIELD(n, r.ranged("max", 0, UINT32_MAX));
        out.max = static_cast<uint32_t>(n);
        return ok();
      });
}

Expected<GeneratorResult> decodeGeneratorResult(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<GeneratorResult>(
      bytes, "GeneratorResult", [](const StructReader& r, GeneratorResult& out) -> Expected<void> {
        if (r.has("guid")) {
          std::string g;
          STRATUS_FIELD(g, r.str("guid"));
          out.guid = std::move(g);
        }
        STRATUS_FIELD(out.sequence_number, r.uint64("sequenceNumber"));
        int64_t n = 0;
        STRATUS_FIELD(n, r.ranged("random_number", 0, UINT32_MAX));
        out.random_number = static_cast<uint32_t>(n);
        return ok();
      });
}

}  // namespace stratus::codec
