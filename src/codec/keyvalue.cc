#include "stratus/codec/keyvalue.h"

#include <array>
#include <utility>

#include "codec/decode_util.h"

namespace stratus::codec {
namespace {

constexpr std::array<std::pair<KeyValueOp, std::string_view>, 14> kOps{{
    {KeyValueOp::kGet, "Get"},
    {KeyValueOp::kAdd, "Add"},
    {KeyValueOp::kSet, "Set"},
    {KeyValueOp::kDel, "Del"},
    {KeyValueOp::kClear, "Clear"},
    {KeyValueOp::kRange, "Range"},
    {KeyValueOp::kPush, "Push"},
    {KeyValueOp::kListItemDelete, "ListItemDelete"},
    {KeyValueOp::kSetAdd, "SetAdd"},
    {KeyValueOp::kSetRemove, "SetRemove"},
    {KeyValueOp::kSetUnion, "SetUnion"},
    {KeyValueOp::kSetIntersection, "SetIntersection"},
    {KeyValueOp::kSetQuery, "SetQuery"},
    {KeyValueOp::kKeyExists, "KeyExists"},
}};

enum class Shape { kKey, kKeyAmount, kKeyValueExpires, kKeyRange, kKeyValue, kKeys };

Shape shapeOf(KeyValueOp op) {
  switch (op) {
    case KeyValueOp::kAdd: return Shape::kKeyAmount;
    case KeyValueOp::kSet: return Shape::kKeyValueExpires;
    case KeyValueOp::kRange: return Shape::kKeyRange;
    case KeyValueOp::kPush:
    case KeyValueOp::kListItemDelete:
    case KeyValueOp::kSetAdd:
    case KeyValueOp::kSetRemove: return Shape::kKeyValue;
    case KeyValueOp::kSetUnion:
    case KeyValueOp::kSetIntersection: return Shape::kKeys;
    default: return Shape::kKey;
  }
}

Bytes oneField(std::string_view name, auto&& write) {
  Writer w;
  w.mapHeader(1).str(name);
  write(w);
  return w.take();
}

}  // namespace

Expected<KeyValueOp> keyValueOpFromName(std::string_view name) {
  for (const auto& [op, n] : kOps) {
    if (n == name) return op;
  }
  std::string known;
  for (const auto& [op, n] : kOps) known += (known.empty() ? "" : ", ") + std::string(n);
  return fail(ErrorCode::kNotFound, "unknown wasmcloud:keyvalue operation '" + std::string(name) + "' (known: " +
                                        known + ")");
}

std::string_view keyValueOpName(KeyValueOp op) {
  for (const auto& [o, n] : kOps) {
    if (o == op) return n;
  }
  return "?";
}

Bytes encode(const KeyValueRequest& q) {
  Writer w;
  switch (shapeOf(q.op)) {
    case Shape::kKey: w.mapHeader(1).str("key").str(q.key); break;
    case Shape::kKeyAmount: w.mapHeader(2).str("key").str(q.key).str("value").sint(q.amount); break;
    case Shape::kKeyValueExpires:
      w.mapHeader(3).str("key").str(q.key).str("value").str(q.value).str("expires").sint(q.expires);
      break;
    case Shape::kKeyRange:
      w.mapHeader(3).str("key").str(q.key).str("start").sint(q.start).str("stop").sint(q.stop);
      break;
    case Shape::kKeyValue: w.mapHeader(2).str("key").str(q.key).str("value").str(q.value); break;
    case Shape::kKeys: w.mapHeader(1).str("keys").stringArray(q.keys); break;
  }
  return w.take();
}

Expected<KeyValueRequest> decodeKeyValueRequest(KeyValueOp op, std::span<const uint8_t> bytes) {
  const std::string context = "keyvalue " + std::string(keyValueOpName(op));
  return detail::decodeStruct<KeyValueRequest>(bytes, context, [op](const StructReader& r, KeyValueRequest& out) -> Expected<void> {
    constexpr int64_t kMin = INT32_MIN, kMax = INT32_MAX;
    out.op = op;
    const Shape shape = shapeOf(op);
    if (shape == Shape::kKeys) {
      STRATUS_FIELD(out.keys, r.strings("keys"));
      return ok();
    }
    if (!r.has("key")) return fail(ErrorCode::kMalformed, r.context() + ".key is missing");
    STRATUS_FIELD(out.key, r.str("key"));
    int64_t n = 0;
    switch (shape) {
      case Shape::kKeyAmount:
        STRATUS_FIELD(n, r.ranged("value", kMin, kMax));
        out.amount = static_cast<int32_t>(n);
        break;
      case Shape::kKeyValueExpires:
        STRATUS_FIELD(out.value, r.str("value"));
        STRATUS_FIELD(n, r.ranged("expires", kMin, kMax));
        out.expires = static_cast<int32_t>(n);
        break;
      case Shape::kKeyRange:
        STRATUS_FIELD(n, r.ranged("start", kMin, kMax));
        out.start = static_cast<int32_t>(n);
        STRATUS_FIELD(n, r.ranged("stop", kMin, kMax));
        out.stop = static_cast<int32_t>(n);
        break;
      case Shape::kKeyValue: STRATUS_FIELD(out.value, r.str("value")); break;
      default: break;
    }
    return ok();
  });
}

Bytes encodeGetResponse(std::string_view value, bool exists) {
  Writer w;
  w.mapHeader(2).str("value").str(value).str("exists").boolean(exists);
  return w.take();
}
Bytes encodeAddResponse(int32_t value) {
  return oneField("value", [&](Writer& w) { w.sint(value); });
}
Bytes encodeSetResponse(std::string_view value) {
  return oneField("value", [&](Writer& w) { w.str(value); });
}
Bytes encodeDelResponse(std::string_view key) {
  return oneField("key", [&](Writer& w) { w.str(key); });
}
Bytes encodeListRangeResponse(const std::vector<std::string>& values) {
  return oneField("values", [&](Writer& w) { w.stringArray(values); });
}
Bytes encodeListResponse(int32_t new_count) {
  return oneField("newCount", [&](Writer& w) { w.sint(new_count); });
}
Bytes encodeSetOperationResponse(int32_t new_count) {
  return oneField("new_count", [&](Writer& w) { w.sint(new_count); });
}
Bytes encodeSetQueryResponse(const std::vector<std::string>& values) {
  return oneField("values", [&](Writer& w) { w.stringArray(values); });
}

}  // namespace stratus::codec
