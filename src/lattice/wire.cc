#include "lattice/wire.h"

#include <limits>
#include <unordered_set>
#include <utility>

namespace stratus::lattice {
namespace {

using codec::Value;
using Type = codec::Value::Type;

#define WIRE_ASSIGN(out, expr)                                           \
  do {                                                                   \
    auto wire_result_ = (expr);                                          \
    if (!wire_result_) return ::stratus::fail(wire_result_.takeError()); \
    out = std::move(*wire_result_);                                      \
  } while (0)

Unexpected malformed(std::string message) { return fail(ErrorCode::kMalformed, std::move(message)); }

// A short, printable rendering of a value for error messages.
std::string describe(const Value& v) {
  switch (v.type()) {
    case Type::kUInt:
      return std::to_string(*v.asUInt(""));
    case Type::kInt:
      return std::to_string(*v.asInt(""));
    case Type::kStr: {
      std::string s = *v.asString("");
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      for (char& c : s) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
      }
      return "\"" + s + "\"";
    }
    default:
      return "a value of type " + std::string(Value::typeName(v.type()));
  }
}

std::string typeOf(const Value& v) { return std::string(Value::typeName(v.type())); }

Expected<std::string> text(const Value& v, const std::string& what) {
  // serde reads a String from str, or from bin holding UTF-8.
  auto s = v.asString(what);
  if (s && !isUtf8(*s)) return malformed(what + ": not valid UTF-8");
  return s;
}

// serde's Vec<u8> is an array of integers; bin is accepted as well.
Expected<Bytes> byteArray(const Value& v, const std::string& what) {
  if (v.type() == Type::kBin || v.isByteArray()) return v.asBytes(what);
  if (v.type() != Type::kArray) {
    return malformed(what + ": expected an array of byte values or binary, found " + typeOf(v));
  }
  Bytes out;
  out.reserve(v.items().size());
  for (size_t i = 0; i < v.items().size(); ++i) {
    const Value& item = v.items()[i];
    const uint64_t b = item.type() == Type::kUInt ? *item.asUInt(what) : 256;
    if (b > 255) {
      return malformed(what + ": item " + std::to_string(i) + " is not a byte value 0..255 (found " + describe(item) +
                       ")");
    }
    out.push_back(static_cast<uint8_t>(b));
  }
  return out;
}

// The fields of one struct map, read the way serde reads a struct: known fields at most once, unknown fields
// ignored, Option fields absent or nil, other fields required.
class Fields {
 public:
  static Expected<Fields> of(const Value& v, std::string where) {
    if (v.type() != Type::kMap) return malformed(where + ": expected a map of fields, found " + typeOf(v));
    std::unordered_set<std::string> seen;
    for (const auto& entry : v.entries()) {
      if (entry.first.type() != Type::kStr) continue;
      auto name = entry.first.asString(where);
      if (!seen.insert(*name).second) return malformed(where + ": field " + describe(entry.first) + " appears twice");
    }
    return Fields(v, std::move(where));
  }

  std::string name(std::string_view field) const { return where_ + ": field '" + std::string(field) + "'"; }

  Expected<const Value*> required(std::string_view field) const {
    const Value* f = map_->find(field);
    if (f == nullptr) return malformed(name(field) + ": missing");
    return f;
  }
  const Value* optional(std::string_view field) const {
    const Value* f = map_->find(field);
    return f == nullptr || f->isNil() ? nullptr : f;
  }

  Expected<std::string> str(std::string_view field) const {
    auto f = required(field);
    if (!f) return fail(f.takeError());
    return text(**f, name(field));
  }
  Expected<std::optional<std::string>> optStr(std::string_view field) const {
    const Value* f = optional(field);
    if (f == nullptr) return std::optional<std::string>();
    auto s = text(*f, name(field));
    if (!s) return fail(s.takeError());
    return std::optional<std::string>(std::move(*s));
  }
  Expected<Bytes> bytes(std::string_view field) const {
    auto f = required(field);
    if (!f) return fail(f.takeError());
    return byteArray(**f, name(field));
  }
  Expected<std::optional<int64_t>> optInt(std::string_view field, int64_t lo, int64_t hi) const {
    const Value* f = optional(field);
    if (f == nullptr) return std::optional<int64_t>();
    auto v = f->asInt(name(field));
    if (!v) return fail(v.takeError());
    if (*v < lo || *v > hi) {
      return malformed(name(field) + ": " + std::to_string(*v) + " is outside [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]");
    }
    return std::optional<int64_t>(*v);
  }
  Expected<int64_t> int64(std::string_view field, int64_t lo, int64_t hi) const {
    STRATUS_TRY(required(field));
    auto v = optInt(field, lo, hi);
    if (!v) return fail(v.takeError());
    if (!*v) return malformed(name(field) + ": expected an integer, found nil");
    return **v;
  }
  Expected<std::vector<std::string>> optStrings(std::string_view field) const {
    std::vector<std::string> out;
    const Value* f = optional(field);
    if (f == nullptr) return out;
    if (f->type() != Type::kArray) {
      return malformed(name(field) + ": expected an array of strings, found " + typeOf(*f));
    }
    for (size_t i = 0; i < f->items().size(); ++i) {
      auto s = text(f->items()[i], name(field) + "[" + std::to_string(i) + "]");
      if (!s) return fail(s.takeError());
      out.push_back(std::move(*s));
    }
    return out;
  }
  Expected<std::map<std::string, std::string>> stringMap(std::string_view field) const {
    auto f = required(field);
    if (!f) return fail(f.takeError());
    const Value& m = **f;
    if (m.type() != Type::kMap) return malformed(name(field) + ": expected a map of strings, found " + typeOf(m));
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : m.entries()) {
      auto key = text(k, name(field) + " key");
      if (!key) return fail(key.takeError());
      auto value = text(v, name(field) + "['" + *key + "']");
      if (!value) return fail(value.takeError());
      out[std::move(*key)] = std::move(*value);  // serde's HashMap keeps the last of duplicate keys
    }
    return out;
  }

 private:
  Fields(const Value& map, std::string where) : map_(&map), where_(std::move(where)) {}
  const Value* map_;
  std::string where_;
};

Expected<WireEntity> entity(const Value& v, const std::string& what) {
  if (v.type() != Type::kMap || v.entries().size() != 1) {
    return malformed(
        what + ": expected a one-entry map {variant: value}, found " +
        (v.type() == Type::kMap ? "a map of " + std::to_string(v.entries().size()) + " entries" : typeOf(v)));
  }
  const auto& [key, body] = v.entries().front();
  int variant = -1;
  if (key.type() == Type::kUInt) {
    const uint64_t index = *key.asUInt(what);
    variant = index <= 1 ? static_cast<int>(index) : -1;
  } else if (key.type() == Type::kStr) {
    const std::string name = *key.asString(what);
    variant = name == "Actor" ? 0 : name == "Capability" ? 1 : -1;
  }
  if (variant < 0) {
    return malformed(what + ": unknown entity variant " + describe(key) +
                     " (expected 0 or \"Actor\", 1 or \"Capability\")");
  }
  WireEntity e;
  if (variant == 0) {
    e.kind = host::EntityKind::kActor;
    WIRE_ASSIGN(e.public_key, text(body, what + ": Actor"));
    return e;
  }
  e.kind = host::EntityKind::kCapability;
  auto fields = Fields::of(body, what + ": Capability");
  if (!fields) return fail(fields.takeError());
  WIRE_ASSIGN(e.public_key, fields->str("id"));
  WIRE_ASSIGN(e.contract_id, fields->str("contract_id"));
  WIRE_ASSIGN(e.link_name, fields->str("link_name"));
  return e;
}

// Decodes `bytes` as one struct map named `what` and lets `read(fields, out)` fill a T.
template <typename T, typename Read>
Expected<T> decodeStruct(std::span<const uint8_t> bytes, codec::DecodeLimits limits, const std::string& what,
                         Read&& read) {
  auto value = codec::decode(bytes, limits);
  if (!value) return fail(value.takeError().prefixed(what + ": "));
  auto fields = Fields::of(*value, what);
  if (!fields) return fail(fields.takeError());
  T out{};
  STRATUS_TRY(read(*fields, out));
  return out;
}

void writeBytes(codec::Writer& w, std::span<const uint8_t> bytes) {
  w.arrayHeader(static_cast<uint32_t>(bytes.size()));
  for (uint8_t b : bytes) w.uint(b);
}

void writeEntity(codec::Writer& w, const WireEntity& e) {
  w.mapHeader(1);
  if (e.kind == host::EntityKind::kActor) {
    w.uint(0).str(e.public_key);
    return;
  }
  w.uint(1).mapHeader(3);
  w.str("id").str(e.public_key).str("contract_id").str(e.contract_id).str("link_name").str(e.link_name);
}

constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

Expected<void> readInvocation(const Fields& f, WireInvocation& out) {
  auto origin = f.required("origin");
  if (!origin) return fail(origin.takeError());
  WIRE_ASSIGN(out.origin, entity(**origin, f.name("origin")));
  auto target = f.required("target");
  if (!target) return fail(target.takeError());
  WIRE_ASSIGN(out.target, entity(**target, f.name("target")));
  WIRE_ASSIGN(out.operation, f.str("operation"));
  WIRE_ASSIGN(out.msg, f.bytes("msg"));
  WIRE_ASSIGN(out.id, f.str("id"));
  WIRE_ASSIGN(out.encoded_claims, f.str("encoded_claims"));
  WIRE_ASSIGN(out.host_id, f.str("host_id"));
  return ok();
}

Expected<void> readResponse(const Fields& f, WireInvocationResponse& out) {
  WIRE_ASSIGN(out.msg, f.bytes("msg"));
  WIRE_ASSIGN(out.error, f.optStr("error"));
  WIRE_ASSIGN(out.invocation_id, f.str("invocation_id"));
  return ok();
}

Expected<void> readLink(const Fields& f, host::LinkDefinition& out) {
  WIRE_ASSIGN(out.actor_id, f.str("actor_id"));
  WIRE_ASSIGN(out.provider_id, f.str("provider_id"));
  WIRE_ASSIGN(out.link_name, f.str("link_name"));
  WIRE_ASSIGN(out.contract_id, f.str("contract_id"));
  WIRE_ASSIGN(out.values, f.stringMap("values"));
  return ok();
}

Expected<void> readActorClaims(const Fields& f, claims::ActorClaims& out) {
  WIRE_ASSIGN(out.expires, f.optInt("exp", 0, kI64Max));
  WIRE_ASSIGN(out.id, f.str("jti"));
  WIRE_ASSIGN(out.issued_at, f.int64("iat", 0, kI64Max));
  WIRE_ASSIGN(out.issuer, f.str("iss"));
  WIRE_ASSIGN(out.subject, f.str("sub"));
  WIRE_ASSIGN(out.not_before, f.optInt("nbf", 0, kI64Max));
  const Value* wascap = f.optional("wascap");
  if (wascap == nullptr) return malformed(f.name("wascap") + ": missing (actor claims need their metadata)");
  auto m = Fields::of(*wascap, f.name("wascap"));
  if (!m) return fail(m.takeError());
  claims::ActorMetadata& md = out.metadata;
  std::optional<std::string> name;
  WIRE_ASSIGN(name, m->optStr("name"));
  md.name = name.value_or("");
  WIRE_ASSIGN(md.hash, m->str("hash"));
  WIRE_ASSIGN(md.tags, m->optStrings("tags"));
  WIRE_ASSIGN(md.caps, m->optStrings("caps"));
  std::optional<int64_t> rev;
  WIRE_ASSIGN(rev, m->optInt("rev", kI32Min, kI32Max));
  if (rev) md.rev = static_cast<int32_t>(*rev);
  WIRE_ASSIGN(md.ver, m->optStr("ver"));
  WIRE_ASSIGN(md.call_alias, m->optStr("call_alias"));
  if (const Value* prov = m->optional("prov")) WIRE_ASSIGN(md.provider, prov->asBool(m->name("prov")));
  return ok();
}

}  // namespace

bool isUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Bytes encodeInvocation(const WireInvocation& inv) {
  codec::Writer w;
  w.mapHeader(7);
  w.str("origin");
  writeEntity(w, inv.origin);
  w.str("target");
  writeEntity(w, inv.target);
  w.str("operation").str(inv.operation);
  w.str("msg");
  writeBytes(w, inv.msg);
  w.str("id").str(inv.id);
  w.str("encoded_claims").str(inv.encoded_claims);
  w.str("host_id").str(inv.host_id);
  return w.take();
}

Expected<WireInvocation> decodeInvocation(std::span<const uint8_t> bytes, codec::DecodeLimits limits) {
  return decodeStruct<WireInvocation>(bytes, limits, "invocation", readInvocation);
}

Bytes encodeInvocationResponse(const WireInvocationResponse& response) {
  codec::Writer w;
  w.mapHeader(3);
  w.str("msg");
  writeBytes(w, response.msg);
  w.str("error");
  if (response.error) {
    w.str(*response.error);
  } else {
    w.nil();
  }
  w.str("invocation_id").str(response.invocation_id);
  return w.take();
}

Expected<WireInvocationResponse> decodeInvocationResponse(std::span<const uint8_t> bytes, codec::DecodeLimits limits) {
  return decodeStruct<WireInvocationResponse>(bytes, limits, "invocation response", readResponse);
}

Bytes encodeLinkDefinition(const host::LinkDefinition& link) {
  codec::Writer w;
  w.mapHeader(5);
  w.str("actor_id").str(link.actor_id);
  w.str("provider_id").str(link.provider_id);
  w.str("link_name").str(link.link_name);
  w.str("contract_id").str(link.contract_id);
  w.str("values").stringMap(link.values);
  return w.take();
}

Expected<host::LinkDefinition> decodeLinkDefinition(std::span<const uint8_t> bytes, codec::DecodeLimits limits) {
  return decodeStruct<host::LinkDefinition>(bytes, limits, "link definition", readLink);
}

Bytes encodeActorClaims(const claims::ActorClaims& c) {
  const claims::ActorMetadata& m = c.metadata;
  codec::Writer w;
  w.mapHeader(5 + (c.expires ? 1 : 0) + (c.not_before ? 1 : 0));
  if (c.expires) w.str("exp").sint(*c.expires);
  w.str("jti").str(c.id);
  w.str("iat").sint(c.issued_at);
  w.str("iss").str(c.issuer);
  w.str("sub").str(c.subject);
  if (c.not_before) w.str("nbf").sint(*c.not_before);
  w.str("wascap");
  w.mapHeader(2 + (m.name.empty() ? 0 : 1) + (m.tags.empty() ? 0 : 1) + (m.caps.empty() ? 0 : 1) + (m.rev ? 1 : 0) +
              (m.ver ? 1 : 0) + (m.call_alias ? 1 : 0));
  if (!m.name.empty()) w.str("name").str(m.name);
  w.str("hash").str(m.hash);
  if (!m.tags.empty()) w.str("tags").stringArray(m.tags);
  if (!m.caps.empty()) w.str("caps").stringArray(m.caps);
  if (m.rev) w.str("rev").sint(*m.rev);
  if (m.ver) w.str("ver").str(*m.ver);
  if (m.call_alias) w.str("call_alias").str(*m.call_alias);
  w.str("prov").boolean(m.provider);
  return w.take();
}

Expected<claims::ActorClaims> decodeActorClaims(std::span<const uint8_t> bytes, codec::DecodeLimits limits) {
  return decodeStruct<claims::ActorClaims>(bytes, limits, "actor claims", readActorClaims);
}

#undef WIRE_ASSIGN

}  // namespace stratus::lattice
