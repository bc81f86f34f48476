#include "stratus/codec/logging.h"

#include "codec/decode_util.h"

namespace stratus::codec {

Bytes encode(const WriteLog& v) {
  Writer w;
  w.mapHeader(3).str("target").str(v.target).str("level").str(v.level).str("text").str(v.text);
  return w.take();
}

Expected<WriteLog> decodeWriteLog(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<WriteLog>(bytes, "WriteLog", [](const StructReader& r, WriteLog& out) -> Expected<void> {
    STRATUS_FIELD(out.target, r.str("target"));
    STRATUS_FIELD(out.level, r.str("level"));
    STRATUS_FIELD(out.text, r.str("text"));
    return ok();
  });
}

}  // namespace stratus::codec
