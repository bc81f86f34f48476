// wasmcloud:keyvalue messages (actor-interfaces keyvalue, 0.18 era). Every operation's arguments are a map of the
// widl parameters; one KeyValueRequest struct carries the union of them, decoded per operation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::codec {

inline constexpr std::string_view kKeyValueContract = "wasmcloud:keyvalue";

/// The keyvalue operations, by their wire names.
enum class KeyValueOp {
  kGet, kAdd, kSet, kDel, kClear, kRange, kPush, kListItemDelete,
  kSetAdd, kSetRemove, kSetUnion, kSetIntersection, kSetQuery, kKeyExists,
};

/// The operation named `name`, or kNotFound listing the known ones.
Expected<KeyValueOp> keyValueOpFromName(std::string_view name);
/// The wire name of `op` ("Get", "SetAdd", ...).
std::string_view keyValueOpName(KeyValueOp op);

/// Arguments of any keyvalue operation. Which fields are on the wire depends on the op:
/// Get/Del/Clear/SetQuery/KeyExists {key}; Add {key, value: i32}; Set {key, value, expires: i32};
/// Range {key, start: i32, stop: i32}; Push/ListItemDelete/SetAdd/SetRemove {key, value};
/// SetUnion/SetIntersection {keys}.
struct KeyValueRequest {
  KeyValueOp op = KeyValueOp::kGet;
  std::string key;
  std::string value;           ///< string value (Set, Push, ListItemDelete, SetAdd, SetRemove)
  int32_t amount = 0;          ///< Add's integer `value`
  int32_t expires = 0;         ///< Set: seconds until expiry, 0 = never
  int32_t start = 0, stop = 0; ///< Range: inclusive indexes, negative from the end (Redis LRANGE semantics)
  std::vector<std::string> keys;
};

/// Encodes the arguments of `request.op` (only that op's fields).
Bytes encode(const KeyValueRequest& request);
/// Decodes the arguments of `op`. kMalformed naming the op and field when one has the wrong type or range.
Expected<KeyValueRequest> decodeKeyValueRequest(KeyValueOp op, std::span<const uint8_t> bytes);

/// Replies, each a map with the named fields.
Bytes encodeGetResponse(std::string_view value, bool exists);     ///< {value, exists} (Get, KeyExists)
Bytes encodeAddResponse(int32_t value);                           ///< {value}
Bytes encodeSetResponse(std::string_view value);                  ///< {value}
Bytes encodeDelResponse(std::string_view key);                    ///< {key} (Del, Clear)
Bytes encodeListRangeResponse(const std::vector<std::string>& values);  ///< {values}
Bytes encodeListResponse(int32_t new_count);                      ///< {newCount} (Push, ListItemDelete)
Bytes encodeSetOperationResponse(int32_t new_count);              ///< {new_count} (SetAdd, SetRemove)
Bytes encodeSetQueryResponse(const std::vector<std::string>& values);   ///< {values}

}  // namespace stratus::codec
