#include "stratus/codec/core.h"

#include "codec/decode_util.h"

namespace stratus::codec {

Bytes encode(const CapabilityConfiguration& v) {
  Writer w;
  w.mapHeader(2).str("module").str(v.module).str("values").stringMap(v.values);
  return w.take();
}

Bytes encode(const HealthRequest& v) {
  Writer w;
  w.mapHeader(1).str("placeholder").boolean(v.placeholder);
  return w.take();
}

Bytes encode(const HealthResponse& v) {
  Writer w;
  w.mapHeader(2).str("healthy").boolean(v.healthy).str("message").str(v.message);
  return w.take();
}

Expected<CapabilityConfiguration> decodeCapabilityConfiguration(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<CapabilityConfiguration>(
      bytes, "CapabilityConfiguration", [](const StructReader& r, CapabilityConfiguration& out) -> Expected<void> {
        STRATUS_FIELD(out.module, r.str("module"));
        STRATUS_FIELD(out.values, r.stringMap("values"));
        if (out.module.empty()) return fail(ErrorCode::kMalformed, "CapabilityConfiguration.module is missing");
        return ok();
      });
}

Expected<HealthRequest> decodeHealthRequest(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<HealthRequest>(bytes, "HealthRequest",
                                             [](const StructReader& r, HealthRequest& out) -> Expected<void> {
                                               STRATUS_FIELD(out.placeholder, r.boolean("placeholder"));
                                               return ok();
                                             });
}

Expected<HealthResponse> decodeHealthResponse(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<HealthResponse>(bytes, "HealthResponse",
                                              [](const StructReader& r, HealthResponse& out) -> Expected<void> {
                                                if (!r.has("healthy")) {
                                                  return fail(ErrorCode::kMalformed, "HealthResponse.healthy is missing");
                                                }
                                                STRATUS_FIELD(out.healthy, r.boolean("healthy"));
                                                STRATUS_FIELD(out.message, r.str("message"));
                                                return ok();
                                              });
}

}  // namespace stratus::codec
