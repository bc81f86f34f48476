#include "stratus/codec/telnet.h"

#include "codec/decode_util.h"

namespace stratus::codec {

Bytes encode(const TelnetText& v, bool with_text) {
  Writer w;
  w.mapHeader(with_text ? 2 : 1).str("session").str(v.session);
  if (with_text) w.str("text").str(v.text);
  return w.take();
}

Bytes encode(const TelnetResult& v) {
  Writer w;
  w.mapHeader(2).str("success").boolean(v.success).str("error");
  if (v.error) {
    w.str(*v.error);
  } else {
    w.nil();
  }
  return w.take();
}

Expected<TelnetText> decodeTelnetText(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<TelnetText>(bytes, "telnet", [](const StructReader& r, TelnetText& out) -> Expected<void> {
    STRATUS_FIELD(out.session, r.str("session"));
    STRATUS_FIELD(out.text, r.str("text"));
    return ok();
  });
}

Expected<TelnetResult> decodeTelnetResult(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<TelnetResult>(bytes, "TelnetResult",
                                            [](const StructReader& r, TelnetResult& out) -> Expected<void> {
                                              STRATUS_FIELD(out.success, r.boolean("success"));
                                              if (r.has("error")) {
                                                std::string e;
                                                STRATUS_FIELD(e, r.str("error"));
                                                out.error = std::move(e);
                                              }
                                              return ok();
                                            });
}

}  // namespace stratus::codec
