// A small MessagePack encoder and a bounded decoder into a value tree, enough for the wasmCloud 0.18 wire structs
// (rmp-serde `with_struct_map()`: every struct is a map keyed by field name).
//
// The decoder is for untrusted input: it checks every length against the buffer, limits nesting depth, and
// reports the byte offset of what it could not parse.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::codec {

/// Appends MessagePack items to a byte buffer, always in the smallest encoding (as rmp does).
/// Not thread-safe; cheap to create.
class Writer {
 public:
  Writer& mapHeader(uint32_t entries);
  Writer& arrayHeader(uint32_t items);
  Writer& str(std::string_view s);
  Writer& bin(std::span<const uint8_t> b);
  Writer& uint(uint64_t v);
  Writer& sint(int64_t v);  ///< non-negative values use the unsigned forms, as rmp does
  Writer& boolean(bool v);
  Writer& nil();
  Writer& f64(double v);

  /// A string-keyed map of strings (e.g. HTTP headers, link values), keys in sorted order.
  Writer& stringMap(const std::map<std::string, std::string>& m);
  /// An array of strings.
  Writer& stringArray(const std::vector<std::string>& v);

  const Bytes& bytes() const { return out_; }
  /// Moves the encoded bytes out; the writer is empty afterwards.
  Bytes take() { return std::move(out_); }

 private:
  void be(uint64_t v, int n);
  Bytes out_;
};

/// One decoded MessagePack item. Maps keep their entries in wire order.
class Value {
 public:
  enum class Type { kNil, kBool, kInt, kUInt, kFloat, kStr, kBin, kArray, kMap, kExt };

  Type type() const { return type_; }
  bool isNil() const { return type_ == Type::kNil; }

  /// Typed accessors: the value when the item has (or converts losslessly to) the type, else kMalformed naming
  /// `what` (e.g. the field name) and the actual type.
  Expected<bool> asBool(std::string_view what) const;
  Expected<int64_t> asInt(std::string_view what) const;    ///< any integer that fits in int64
  Expected<uint64_t> asUInt(std::string_view what) const;  ///< any non-negative integer
  Expected<double> asFloat(std::string_view what) const;   ///< floats and integers
  Expected<std::string> asString(std::string_view what) const;  ///< str, or bin holding the bytes
  /// bin, str, or an array of integers 0..255 (serde's Vec<u8> without serde_bytes).
  Expected<Bytes> asBytes(std::string_view what) const;
  Expected<std::vector<std::string>> asStringArray(std::string_view what) const;
  /// A map whose keys are strings and whose values are strings (numbers and bools are rendered as text, as
  /// manifests and link values often carry them).
  Expected<std::map<std::string, std::string>> asStringMap(std::string_view what) const;

  /// Array items. (An array of byte values is kept packed, one byte per item, until this is first called.)
  const std::vector<Value>& items() const;
  /// Whether this is an array whose every item is an integer 0..255 written as a positive fixint or uint8 (how
  /// serde writes a Vec<u8>): asBytes() then costs one byte per item, not one Value.
  bool isByteArray() const { return packed_bytes_; }
  const std::vector<std::pair<Value, Value>>& entries() const { return map_; }     ///< map entries
  /// The value of the map entry whose key is the string `key`, or nullptr (also when this is not a map).
  const Value* find(std::string_view key) const;

  /// Name of a type for messages ("string", "map", ...).
  static std::string_view typeName(Type t);

 private:
  friend class Decoder;
  Type type_ = Type::kNil;
  bool b_ = false;
  int64_t i_ = 0;
  uint64_t u_ = 0;
  double f_ = 0;
  std::string s_;  // str and bin (raw bytes); the items of a packed byte array
  bool packed_bytes_ = false;
  mutable std::vector<Value> array_;  // filled from s_ on first use when packed_bytes_
  std::vector<std::pair<Value, Value>> map_;
};

/// Limits applied while decoding untrusted bytes.
struct DecodeLimits {
  uint32_t max_depth = 64;
  uint64_t max_items = 1u << 20;  ///< array items + map entries in total
};

/// Decodes exactly one item covering all of `bytes`. Errors: kMalformed naming the offset and the problem
/// (truncated, trailing bytes, nesting too deep, too many items, reserved byte 0xc1).
Expected<Value> decode(std::span<const uint8_t> bytes, DecodeLimits limits = {});

/// Reads the fields of a decoded struct map for the contract decoders: every getter returns the field's value, the
/// type's default when the field is absent or nil (serde `#[serde(default)]`-like tolerance), or kMalformed naming
/// `context.field` when it has the wrong type.
class StructReader {
 public:
  /// Errors: kMalformed when `v` is not a map, naming `context` (e.g. "keyvalue Set").
  static Expected<StructReader> of(const Value& v, std::string context);

  Expected<std::string> str(std::string_view field) const;
  Expected<Bytes> bytes(std::string_view field) const;
  Expected<bool> boolean(std::string_view field) const;
  Expected<int64_t> int64(std::string_view field) const;
  Expected<uint64_t> uint64(std::string_view field) const;
  /// A signed integer that must fit in [lo, hi].
  Expected<int64_t> ranged(std::string_view field, int64_t lo, int64_t hi) const;
  Expected<std::vector<std::string>> strings(std::string_view field) const;
  Expected<std::map<std::string, std::string>> stringMap(std::string_view field) const;
  /// Whether the field is present and not nil.
  bool has(std::string_view field) const;
  /// The raw field, or nullptr.
  const Value* raw(std::string_view field) const { return map_->find(field); }
  const std::string& context() const { return context_; }

 private:
  StructReader(const Value* map, std::string context) : map_(map), context_(std::move(context)) {}
  std::string name(std::string_view field) const;
  const Value* map_;
  std::string context_;
};

}  // namespace stratus::codec
