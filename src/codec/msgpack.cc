#include "stratus/codec/msgpack.h"

#include <cmath>
#include <cstring>

namespace stratus::codec {

// ---- Writer ----

void Writer::be(uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

Writer& Writer::mapHeader(uint32_t n) {
  if (n < 16) {
    out_.push_back(static_cast<uint8_t>(0x80 | n));
  } else if (n <= 0xffff) {
    out_.push_back(0xde);
    be(n, 2);
  } else {
    out_.push_back(0xdf);
    be(n, 4);
  }
  return *this;
}

Writer& Writer::arrayHeader(uint32_t n) {
  if (n < 16) {
    out_.push_back(static_cast<uint8_t>(0x90 | n));
  } else if (n <= 0xffff) {
    out_.push_back(0xdc);
    be(n, 2);
  } else {
    out_.push_back(0xdd);
    be(n, 4);
  }
  return *this;
}

Writer& Writer::str(std::string_view s) {
  const size_t n = s.size();
  if (n < 32) {
    out_.push_back(static_cast<uint8_t>(0xa0 | n));
  } else if (n <= 0xff) {
    out_.push_back(0xd9);
    be(n, 1);
  } else if (n <= 0xffff) {
    out_.push_back(0xda);
    be(n, 2);
  } else {
    out_.push_back(0xdb);
    be(n, 4);
  }
  out_.insert(out_.end(), s.begin(), s.end());
  return *this;
}

Writer& Writer::bin(std::span<const uint8_t> b) {
  const size_t n = b.size();
  if (n <= 0xff) {
    out_.push_back(0xc4);
    be(n, 1);
  } else if (n <= 0xffff) {
    out_.push_back(0xc5);
    be(n, 2);
  } else {
    out_.push_back(0xc6);
    be(n, 4);
  }
  out_.insert(out_.end(), b.begin(), b.end());
  return *this;
}

Writer& Writer::uint(uint64_t v) {
  if (v < 128) {
    out_.push_back(static_cast<uint8_t>(v));
  } else if (v <= 0xff) {
    out_.push_back(0xcc);
    be(v, 1);
  } else if (v <= 0xffff) {
    out_.push_back(0xcd);
    be(v, 2);
  } else if (v <= 0xffffffffu) {
    out_.push_back(0xce);
    be(v, 4);
  } else {
    out_.push_back(0xcf);
    be(v, 8);
  }
  return *this;
}

Writer& Writer::sint(int64_t v) {
  if (v >= 0) return uint(static_cast<uint64_t>(v));
  if (v >= -32) {
    out_.push_back(static_cast<uint8_t>(v));
  } else if (v >= INT8_MIN) {
    out_.push_back(0xd0);
    be(static_cast<uint64_t>(v), 1);
  } else if (v >= INT16_MIN) {
    out_.push_back(0xd1);
    be(static_cast<uint64_t>(v), 2);
  } else if (v >= INT32_MIN) {
    out_.push_back(0xd2);
    be(static_cast<uint64_t>(v), 4);
  } else {
    out_.push_back(0xd3);
    be(static_cast<uint64_t>(v), 8);
  }
  return *this;
}

Writer& Writer::boolean(bool v) {
  out_.push_back(v ? 0xc3 : 0xc2);
  return *this;
}

Writer& Writer::nil() {
  out_.push_back(0xc0);
  return *this;
}

Writer& Writer::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  out_.push_back(0xcb);
  be(bits, 8);
  return *this;
}

Writer& Writer::stringMap(const std::map<std::string, std::string>& m) {
  mapHeader(static_cast<uint32_t>(m.size()));
  for (const auto& [k, v] : m) str(k).str(v);
  return *this;
}

Writer& Writer::stringArray(const std::vector<std::string>& v) {
  arrayHeader(static_cast<uint32_t>(v.size()));
  for (const auto& s : v) str(s);
  return *this;
}

// ---- Value ----

std::string_view Value::typeName(Type t) {
  switch (t) {
    case Type::kNil: return "nil";
    case Type::kBool: return "bool";
    case Type::kInt: return "integer";
    case Type::kUInt: return "integer";
    case Type::kFloat: return "float";
    case Type::kStr: return "string";
    case Type::kBin: return "binary";
    case Type::kArray: return "array";
    case Type::kMap: return "map";
    case Type::kExt: return "extension";
  }
  return "unknown";
}

namespace {
Unexpected typeError(std::string_view what, std::string_view expected, Value::Type actual) {
  return fail(ErrorCode::kMalformed, std::string(what) + ": expected " + std::string(expected) + ", found " +
                                         std::string(Value::typeName(actual)));
}
}  // namespace

Expected<bool> Value::asBool(std::string_view what) const {
  if (type_ != Type::kBool) return typeError(what, "bool", type_);
  return b_;
}

Expected<int64_t> Value::asInt(std::string_view what) const {
  if (type_ == Type::kInt) return i_;
  if (type_ == Type::kUInt) {
    if (u_ > static_cast<uint64_t>(INT64_MAX)) {
      return fail(ErrorCode::kMalformed, std::string(what) + ": integer " + std::to_string(u_) + " is out of range");
    }
    return static_cast<int64_t>(u_);
  }
  return typeError(what, "integer", type_);
}

Expected<uint64_t> Value::asUInt(std::string_view what) const {
  if (type_ == Type::kUInt) return u_;
  if (type_ == Type::kInt) {
    if (i_ < 0) {
      return fail(ErrorCode::kMalformed, std::string(what) + ": expected a non-negative integer, found " +
                                             std::to_string(i_));
    }
    return static_cast<uint64_t>(i_);
  }
  return typeError(what, "unsigned integer", type_);
}

Expected<double> Value::asFloat(std::string_view what) const {
  if (type_ == Type::kFloat) return f_;
  if (type_ == Type::kInt) return static_cast<double>(i_);
  if (type_ == Type::kUInt) return static_cast<double>(u_);
  return typeError(what, "number", type_);
}

Expected<std::string> Value::asString(std::string_view what) const {
  if (type_ == Type::kStr || type_ == Type::kBin) return s_;
  return typeError(what, "string", type_);
}

const std::vector<Value>& Value::items() const {
  if (packed_bytes_ && array_.empty() && !s_.empty()) {
    array_.resize(s_.size());
    for (size_t i = 0; i < s_.size(); ++i) {
      array_[i].type_ = Type::kUInt;
      array_[i].u_ = static_cast<uint8_t>(s_[i]);
    }
  }
  return array_;
}

Expected<Bytes> Value::asBytes(std::string_view what) const {
  if (type_ == Type::kStr || type_ == Type::kBin || packed_bytes_) return Bytes(s_.begin(), s_.end());
  if (type_ == Type::kArray) {
    Bytes out;
    out.reserve(array_.size());
    for (const auto& item : array_) {
      auto v = item.asUInt(what);
      if (!v || *v > 255) {
        return fail(ErrorCode::kMalformed, std::string(what) + ": expected bytes, found an array with an item that "
                                                               "is not an integer 0..255");
      }
      out.push_back(static_cast<uint8_t>(*v));
    }
    return out;
  }
  return typeError(what, "bytes", type_);
}

Expected<std::vector<std::string>> Value::asStringArray(std::string_view what) const {
  if (type_ != Type::kArray) return typeError(what, "array of strings", type_);
  std::vector<std::string> out;
  out.reserve(items().size());
  for (const auto& item : items()) {
    auto s = item.asString(what);
    if (!s) return fail(s.takeError());
    out.push_back(std::move(*s));
  }
  return out;
}

Expected<std::map<std::string, std::string>> Value::asStringMap(std::string_view what) const {
  if (type_ != Type::kMap) return typeError(what, "map of strings", type_);
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : map_) {
    auto key = k.asString(what);
    if (!key) return fail(key.takeError());
    std::string text;
    switch (v.type_) {
      case Type::kStr:
      case Type::kBin: text = v.s_; break;
      case Type::kInt: text = std::to_string(v.i_); break;
      case Type::kUInt: text = std::to_string(v.u_); break;
      case Type::kBool: text = v.b_ ? "true" : "false"; break;
      case Type::kNil: break;
      default:
        return fail(ErrorCode::kMalformed, std::string(what) + "['" + *key + "']: expected a string, found " +
                                               std::string(typeName(v.type_)));
    }
    out[std::move(*key)] = std::move(text);
  }
  return out;
}

const Value* Value::find(std::string_view key) const {
  if (type_ != Type::kMap) return nullptr;
  for (const auto& [k, v] : map_) {
    if (k.type_ == Type::kStr && k.s_ == key) return &v;
  }
  return nullptr;
}

// ---- Decoder ----

class Decoder {
 public:
  Decoder(std::span<const uint8_t> in, DecodeLimits limits) : in_(in), limits_(limits) {}

  Expected<Value> run() {
    Value v;
    STRATUS_TRY(item(v, 0));
    if (pos_ != in_.size()) {
      return fail(ErrorCode::kMalformed, "msgpack: " + std::to_string(in_.size() - pos_) +
                                             " trailing byte(s) after the value at offset " + std::to_string(pos_));
    }
    return v;
  }

 private:
  Unexpected truncated(size_t need) const {
    return fail(ErrorCode::kMalformed, "msgpack: truncated at offset " + std::to_string(pos_) + " (need " +
                                           std::to_string(need) + " more byte(s), have " +
                                           std::to_string(in_.size() - pos_) + ")");
  }

  Expected<uint64_t> be(int n) {
    if (in_.size() - pos_ < static_cast<size_t>(n)) return truncated(n);
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | in_[pos_++];
    return v;
  }

  Expected<void> raw(std::string& out, uint64_t n) {
    if (in_.size() - pos_ < n) return truncated(n);
    out.assign(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return ok();
  }

  Expected<void> count(uint64_t n) {
    items_ += n;
    // Each item takes at least one byte, so a count beyond the remaining input is a lie: refuse it before reserving.
    if (items_ > limits_.max_items || n > in_.size() - pos_) {
      return fail(ErrorCode::kMalformed, "msgpack: container at offset " + std::to_string(pos_) + " claims " +
                                             std::to_string(n) + " items, more than the input or the limit allows");
    }
    return ok();
  }

  // An array of byte values (positive fixints and uint8s: serde's Vec<u8>) is kept packed, a byte per item.
  bool packedBytes(Value& v, uint64_t n) {
    size_t at = pos_;
    std::string bytes;
    bytes.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      if (at >= in_.size()) return false;
      const uint8_t b = in_[at];
      if (b <= 0x7f) {
        bytes.push_back(static_cast<char>(b));
        at += 1;
      } else if (b == 0xcc && at + 1 < in_.size()) {
        bytes.push_back(static_cast<char>(in_[at + 1]));
        at += 2;
      } else {
        return false;
      }
    }
    v.s_ = std::move(bytes);
    v.packed_bytes_ = true;
    pos_ = at;
    return true;
  }

  Expected<void> array(Value& v, uint64_t n, uint32_t depth) {
    STRATUS_TRY(count(n));
    v.type_ = Value::Type::kArray;
    if (n > 0 && packedBytes(v, n)) return ok();
    v.array_.resize(n);
    for (auto& item_value : v.array_) STRATUS_TRY(item(item_value, depth + 1));
    return ok();
  }

  Expected<void> map(Value& v, uint64_t n, uint32_t depth) {
    STRATUS_TRY(count(n));
    v.type_ = Value::Type::kMap;
    v.map_.resize(n);
    for (auto& [k, val] : v.map_) {
      STRATUS_TRY(item(k, depth + 1));
      STRATUS_TRY(item(val, depth + 1));
    }
    return ok();
  }

  Expected<void> uintOf(Value& v, int n) {
    auto x = be(n);
    if (!x) return fail(x.takeError());
    v.type_ = Value::Type::kUInt;
    v.u_ = *x;
    return ok();
  }

  Expected<void> intOf(Value& v, int n) {
    auto x = be(n);
    if (!x) return fail(x.takeError());
    v.type_ = Value::Type::kInt;
    const int shift = 64 - 8 * n;
    v.i_ = static_cast<int64_t>(*x << shift) >> shift;  // sign-extend
    return ok();
  }

  Expected<void> ext(Value& v, uint64_t n) {
    if (in_.size() - pos_ < 1) return truncated(1);
    ++pos_;  // type byte
    v.type_ = Value::Type::kExt;
    return raw(v.s_, n);
  }

  Expected<void> item(Value& v, uint32_t depth) {
    if (depth > limits_.max_depth) {
      return fail(ErrorCode::kMalformed, "msgpack: nesting deeper than " + std::to_string(limits_.max_depth) +
                                             " at offset " + std::to_string(pos_));
    }
    if (pos_ >= in_.size()) return truncated(1);
    const uint8_t b = in_[pos_++];
    if (b <= 0x7f) {
      v.type_ = Value::Type::kUInt;
      v.u_ = b;
      return ok();
    }
    if (b >= 0xe0) {
      v.type_ = Value::Type::kInt;
      v.i_ = static_cast<int8_t>(b);
      return ok();
    }
    if ((b & 0xf0) == 0x80) return map(v, b & 0x0f, depth);
    if ((b & 0xf0) == 0x90) return array(v, b & 0x0f, depth);
    if ((b & 0xe0) == 0xa0) {
      v.type_ = Value::Type::kStr;
      return raw(v.s_, b & 0x1f);
    }
    auto sized = [&](Value::Type t, int n) -> Expected<void> {
      auto len = be(n);
      if (!len) return fail(len.takeError());
      v.type_ = t;
      return raw(v.s_, *len);
    };
    auto container = [&](bool is_map, int n) -> Expected<void> {
      auto len = be(n);
      if (!len) return fail(len.takeError());
      return is_map ? map(v, *len, depth) : array(v, *len, depth);
    };
    auto fixext = [&](uint64_t n) { return ext(v, n); };
    auto sizedExt = [&](int n) -> Expected<void> {
      auto len = be(n);
      if (!len) return fail(len.takeError());
      return ext(v, *len);
    };
    switch (b) {
      case 0xc0: v.type_ = Value::Type::kNil; return ok();
      case 0xc2: v.type_ = Value::Type::kBool; v.b_ = false; return ok();
      case 0xc3: v.type_ = Value::Type::kBool; v.b_ = true; return ok();
      case 0xc4: return sized(Value::Type::kBin, 1);
      case 0xc5: return sized(Value::Type::kBin, 2);
      case 0xc6: return sized(Value::Type::kBin, 4);
      case 0xc7: return sizedExt(1);
      case 0xc8: return sizedExt(2);
      case 0xc9: return sizedExt(4);
      case 0xca: {
        auto bits = be(4);
        if (!bits) return fail(bits.takeError());
        uint32_t b32 = static_cast<uint32_t>(*bits);
        float f;
        std::memcpy(&f, &b32, sizeof f);
        v.type_ = Value::Type::kFloat;
        v.f_ = f;
        return ok();
      }
      case 0xcb: {
        auto bits = be(8);
        if (!bits) return fail(bits.takeError());
        std::memcpy(&v.f_, &*bits, sizeof v.f_);
        v.type_ = Value::Type::kFloat;
        return ok();
      }
      case 0xcc: return uintOf(v, 1);
      case 0xcd: return uintOf(v, 2);
      case 0xce: return uintOf(v, 4);
      case 0xcf: return uintOf(v, 8);
      case 0xd0: return intOf(v, 1);
      case 0xd1: return intOf(v, 2);
      case 0xd2: return intOf(v, 4);
      case 0xd3: return intOf(v, 8);
      case 0xd4: return fixext(1);
      case 0xd5: return fixext(2);
      case 0xd6: return fixext(4);
      case 0xd7: return fixext(8);
      case 0xd8: return fixext(16);
      case 0xd9: return sized(Value::Type::kStr, 1);
      case 0xda: return sized(Value::Type::kStr, 2);
      case 0xdb: return sized(Value::Type::kStr, 4);
      case 0xdc: return container(false, 2);
      case 0xdd: return container(false, 4);
      case 0xde: return container(true, 2);
      case 0xdf: return container(true, 4);
      default: break;
    }
    return fail(ErrorCode::kMalformed, "msgpack: reserved byte 0xc1 at offset " + std::to_string(pos_ - 1));
  }

  std::span<const uint8_t> in_;
  DecodeLimits limits_;
  size_t pos_ = 0;
  uint64_t items_ = 0;
};

Expected<Value> decode(std::span<const uint8_t> bytes, DecodeLimits limits) {
  return Decoder(bytes, limits).run();
}

// ---- StructReader ----

Expected<StructReader> StructReader::of(const Value& v, std::string context) {
  if (v.type() != Value::Type::kMap) {
    return fail(ErrorCode::kMalformed,
                context + ": expected a map of fields, found " + std::string(Value::typeName(v.type())));
  }
  return StructReader(&v, std::move(context));
}

std::string StructReader::name(std::string_view field) const { return context_ + "." + std::string(field); }

bool StructReader::has(std::string_view field) const {
  const Value* f = map_->find(field);
  return f && !f->isNil();
}

Expected<std::string> StructReader::str(std::string_view field) const {
  const Value* f = map_->find(field);
  if (!f || f->isNil()) return std::string();
  return f->asString(name(field));
}

Expected<Bytes> StructReader::bytes(std::string_view field) const {
  const Value* f = map_->find(field);
  if (!f || f->isNil()) return Bytes();
  return f->asBytes(name(field));
}

Expected<bool> StructReader::boolean(std::string_view field) const {
  const Value* f = map_->find(field);
  if (!f || f->isNil()) return false;
  return f->asBool(name(field));
}

Expected<int64_t> StructReader::int64(std::string_view field) const {
  const Value* f = map_->find(field);
  if (!f || f->isNil()) return int64_t{0};
  return f->asInt(name(field));
}

Expected<uint64_t> StructReader::uint64(std::string_view field) const {
  const Value* f = map_->find(field);
  if (!f || f->isNil()) return uint64_t{0};
  return f->asUInt(name(field));
}

Expected<int64_t> StructReader::ranged(std::string_view field, int64_t lo, int64_t hi) const {
  auto v = int64(field);
  if (!v) return v;
  if (*v < lo || *v > hi) {
    return fail(ErrorCode::kMalformed, name(field) + ": " + std::to_string(*v) + " is outside [" +
                                           std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

Expected<std::vector<std::string>> StructReader::strings(std::string_view field) const {
  const Value* f = map_->find(field);
  if (!f || f->isNil()) return std::vector<std::string>();
  return f->asStringArray(name(field));
}

Expected<std::map<std::string, std::string>> StructReader::stringMap(std::string_view field) const {
  const Value* f = map_->find(field);
  if (!f || f->isNil()) return std::map<std::string, std::string>();
  return f->asStringMap(name(field));
}

}  // namespace stratus::codec
