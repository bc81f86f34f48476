// Shared plumbing of the contract decoders.
#pragma once

#include <span>
#include <string>

#include "stratus/codec/msgpack.h"

namespace stratus::codec::detail {

/// Assigns the value of an Expected field getter to `out`, or returns its error from the enclosing function.
#define STRATUS_FIELD(out, expr)                                          \
  do {                                                                    \
    auto stratus_field_ = (expr);                                         \
    if (!stratus_field_) return ::stratus::fail(stratus_field_.takeError()); \
    out = std::move(*stratus_field_);                                     \
  } while (0)

/// Decodes `bytes` as one struct map named `context` and lets `fill(reader, out)` read its fields.
template <typename T, typename Fill>
Expected<T> decodeStruct(std::span<const uint8_t> bytes, const std::string& context, Fill&& fill) {
  auto value = decode(bytes);
  if (!value) {
    Error e = value.takeError();
    e.message = context + ": " + e.message;
    return fail(std::move(e));
  }
  auto reader = StructReader::of(*value, context);
  if (!reader) return fail(reader.takeError());
  T out{};
  Expected<void> filled = fill(*reader, out);
  if (!filled) return fail(filled.takeError());
  return out;
}

}  // namespace stratus::codec::detail
