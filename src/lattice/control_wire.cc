#include "lattice/control_wire.h"

#include <nlohmann/json.hpp>

#include <array>
#include <concepts>
#include <exception>
#include <limits>
#include <type_traits>
#include <utility>

#include "stratus/claims/jwt.h"

namespace stratus::lattice::ctl {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// ---- the fields of each struct, in Rust declaration order (= serde's order) -----------------------------------
// fields(s, v) calls v(key, member) for each field; the writer and the reader below are the two visitors, so the
// order and names are written once. kOmitIfNone marks `skip_serializing_if = "Option::is_none"`.

struct OmitIfNone {};
constexpr OmitIfNone kOmitIfNone;

template <typename S, typename T>
concept Is = std::same_as<std::remove_const_t<S>, T>;

template <Is<Host> S, typename V>
void fields(S& s, V& v) {
  v("id", s.id);
  v("uptime", s.uptime);  // Rust: uptime_seconds, renamed
}
template <Is<ActorDescription> S, typename V>
void fields(S& s, V& v) {
  v("id", s.id);
  v("image_ref", s.image_ref, kOmitIfNone);
  v("name", s.name, kOmitIfNone);
  v("revision", s.revision);
}
template <Is<ProviderDescription> S, typename V>
void fields(S& s, V& v) {
  v("id", s.id);
  v("link_name", s.link_name);
  v("image_ref", s.image_ref, kOmitIfNone);
  v("name", s.name, kOmitIfNone);
  v("revision", s.revision);
}
template <Is<HostInventory> S, typename V>
void fields(S& s, V& v) {
  v("host_id", s.host_id);
  v("labels", s.labels);
  v("actors", s.actors);
  v("providers", s.providers);
}
template <Is<::stratus::host::LinkDefinition> S, typename V>
void fields(S& s, V& v) {
  v("actor_id", s.actor_id);
  v("provider_id", s.provider_id);
  v("link_name", s.link_name);
  v("contract_id", s.contract_id);
  v("values", s.values);
}
template <Is<LinkDefinitionList> S, typename V>
void fields(S& s, V& v) {
  v("links", s.links);
}
template <Is<Claims> S, typename V>
void fields(S& s, V& v) {
  v("values", s.values);
}
template <Is<ClaimsList> S, typename V>
void fields(S& s, V& v) {
  v("claims", s.claims);
}
template <Is<ActorAuctionRequest> S, typename V>
void fields(S& s, V& v) {
  v("actor_ref", s.actor_ref);
  v("constraints", s.constraints);
}
template <Is<ActorAuctionAck> S, typename V>
void fields(S& s, V& v) {
  v("actor_ref", s.actor_ref);
  v("constraints", s.constraints);
  v("host_id", s.host_id);
}
template <Is<ProviderAuctionRequest> S, typename V>
void fields(S& s, V& v) {
  v("provider_ref", s.provider_ref);
  v("link_name", s.link_name);
  v("constraints", s.constraints);
}
template <Is<ProviderAuctionAck> S, typename V>
void fields(S& s, V& v) {
  v("provider_ref", s.provider_ref);
  v("link_name", s.link_name);
  v("host_id", s.host_id);
}
template <Is<StartActorCommand> S, typename V>
void fields(S& s, V& v) {
  v("actor_ref", s.actor_ref);
  v("host_id", s.host_id);
}
template <Is<StartActorAck> S, typename V>
void fields(S& s, V& v) {
  v("host_id", s.host_id);
  v("actor_ref", s.actor_ref);
  v("failure", s.failure);
}
template <Is<StopActorCommand> S, typename V>
void fields(S& s, V& v) {
  v("host_id", s.host_id);
  v("actor_ref", s.actor_ref);
}
template <typename S, typename V>
requires Is<S, StopActorAck> || Is<S, StopProviderAck>
void fields(S& s, V& v) { v("failure", s.failure); }
template <Is<StartProviderCommand> S, typename V>
void fields(S& s, V& v) {
  v("host_id", s.host_id);
  v("provider_ref", s.provider_ref);
  v("link_name", s.link_name);
}
template <Is<StartProviderAck> S, typename V>
void fields(S& s, V& v) {
  v("host_id", s.host_id);
  v("provider_ref", s.provider_ref);
  v("failure", s.failure);
}
template <Is<StopProviderCommand> S, typename V>
void fields(S& s, V& v) {
  v("host_id", s.host_id);
  v("provider_ref", s.provider_ref);
  v("link_name", s.link_name);
  v("contract_id", s.contract_id);
}
template <Is<UpdateActorCommand> S, typename V>
void fields(S& s, V& v) {
  v("host_id", s.host_id);
  v("actor_id", s.actor_id);
  v("new_actor_ref", s.new_actor_ref);
}
template <Is<UpdateActorAck> S, typename V>
void fields(S& s, V& v) {
  v("accepted", s.accepted);
}

template <typename S, typename V>
requires Is<S, HostStarted> || Is<S, HostStopped>
void fields(S&, V&) {}
template <Is<ActorStarted> S, typename V>
void fields(S& s, V& v) {
  v("actor", s.actor);
  v("image_ref", s.image_ref);
}
template <Is<ActorStopped> S, typename V>
void fields(S& s, V& v) {
  v("actor", s.actor);
}
template <typename S, typename V>
requires Is<S, ActorUpdateBegan> || Is<S, ActorUpdateCompleted>
void fields(S& s, V& v) {
  v("actor", s.actor);
  v("old_revision", s.old_revision);
  v("new_revision", s.new_revision);
}
template <Is<ProviderStarted> S, typename V>
void fields(S& s, V& v) {
  v("contract_id", s.contract_id);
  v("link_name", s.link_name);
  v("provider_id", s.provider_id);
  v("image_ref", s.image_ref);
}
template <Is<ProviderStopped> S, typename V>
void fields(S& s, V& v) {
  v("contract_id", s.contract_id);
  v("link_name", s.link_name);
  v("provider_id", s.provider_id);
}
template <Is<Heartbeat> S, typename V>
void fields(S& s, V& v) {
  v("claims", s.claims);
  v("entities", s.entities);
}
template <Is<EventHeader> S, typename V>
void fields(S& s, V& v) {
  v("host_origin", s.host_origin);
  v("timestamp", s.timestamp);
}
template <Is<PublishedEvent> S, typename V>
void fields(S& s, V& v) {
  v("event", s.event);
  v("header", s.header);
}

// The wire names of ControlEvent's alternatives, by index.
constexpr std::array<std::string_view, std::variant_size_v<ControlEvent>> kEventNames = {
    "HostStarted",          "HostStopped",     "ActorStarted",    "ActorStopped", "ActorUpdateBegan",
    "ActorUpdateCompleted", "ProviderStarted", "ProviderStopped", "Heartbeat"};

template <typename T>
inline constexpr bool kIsVector = false;
template <typename T>
inline constexpr bool kIsVector<std::vector<T>> = true;
template <typename T>
inline constexpr bool kIsMap = false;
template <typename T>
inline constexpr bool kIsMap<std::map<std::string, T>> = true;

// Map keys and variant names come from untrusted input; keep the ones quoted in errors short.
std::string clip(std::string_view s) {
  constexpr size_t kMax = 64;
  return s.size() <= kMax ? std::string(s) : std::string(s.substr(0, kMax)) + "...";
}

// ---- writing --------------------------------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(ordered_json& j) : j_(j) {}

  template <typename T>
  void operator()(std::string_view key, const T& value) {
    j_[std::string(key)] = toValue(value);
  }
  void operator()(std::string_view key, const std::optional<std::string>& value, OmitIfNone) {
    if (value) j_[std::string(key)] = *value;
  }

  template <typename T>
  static ordered_json toValue(const T& v) {
    if constexpr (std::is_same_v<T, std::string> || std::is_arithmetic_v<T>) {
      return v;
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      return v ? ordered_json(*v) : ordered_json(nullptr);
    } else if constexpr (kIsVector<T>) {
      ordered_json a = ordered_json::array();
      for (const auto& e : v) a.push_back(toValue(e));
      return a;
    } else if constexpr (kIsMap<T>) {
      ordered_json o = ordered_json::object();
      for (const auto& [k, e] : v) o[k] = toValue(e);
      return o;
    } else if constexpr (std::is_same_v<T, claims::ActorClaims>) {
      return ordered_json::parse(claims::claimsToJson(v), nullptr, false);
    } else if constexpr (std::is_same_v<T, RunState>) {
      if (v.running) return "Running";
      ordered_json o = ordered_json::object();
      o["Unhealthy"] = v.message;
      return o;
    } else if constexpr (std::is_same_v<T, ControlEvent>) {
      // Externally tagged, serde's default: unit variants are strings, the others {"Name": {fields}}.
      const std::string name(kEventNames[v.index()]);
      return std::visit(
          [&name](const auto& e) -> ordered_json {
            if constexpr (std::is_empty_v<std::decay_t<decltype(e)>>) {
              return name;
            } else {
              ordered_json o = ordered_json::object();
              o[name] = toValue(e);
              return o;
            }
          },
          v);
    } else {
      ordered_json o = ordered_json::object();
      Writer w(o);
      fields(v, w);
      return o;
    }
  }

 private:
  ordered_json& j_;
};

template <typename T>
std::string write(const T& value) {
  // serde_json writes UTF-8 as is; a Rust String cannot hold invalid UTF-8, so replace rather than throw.
  return Writer::toValue(value).dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

// ---- reading --------------------------------------------------------------------------------------------------

// The first error of one parse; reads after it are skipped.
class Ctx {
 public:
  explicit Ctx(std::string_view type) : type_(type) {}
  bool failed() const { return failed_; }
  const std::string& message() const { return message_; }
  void expected(const std::string& path, std::string_view what) {
    set("field '" + path + "': expected " + std::string(what));
  }
  void set(const std::string& what) {
    if (failed_) return;
    failed_ = true;
    message_ = type_ + ": " + what;
  }

 private:
  std::string type_;
  bool failed_ = false;
  std::string message_;
};

template <typename T>
bool readInteger(const json& v, T& out) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    out = static_cast<T>(u);
    return true;
  }
  if constexpr (std::is_signed_v<T>) {
    if (v.is_number_integer()) {  // negative
      const int64_t s = v.get<int64_t>();
      if (s < static_cast<int64_t>(std::numeric_limits<T>::min())) return false;
      out = static_cast<T>(s);
      return true;
    }
  }
  return false;  // floats (serde_json refuses 1.0 for an integer too), strings, ...
}

template <typename T>
constexpr std::string_view integerName() {
  if constexpr (std::is_same_v<T, uint64_t>) return "an unsigned 64-bit integer";
  if constexpr (std::is_same_v<T, uint32_t>) return "an unsigned 32-bit integer";
  if constexpr (std::is_same_v<T, int32_t>) return "a 32-bit integer";
}

// One JSON object being read; `prefix` is its path followed by '.' ("" at the top).
class Reader {
 public:
  Reader(Ctx& ctx, const json& j, std::string prefix) : ctx_(ctx), j_(j), prefix_(std::move(prefix)) {}

  template <typename T>
  void operator()(std::string_view key, T& out) {
    if (ctx_.failed()) return;
    const std::string p = prefix_ + std::string(key);
    auto it = j_.find(std::string(key));
    if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      // serde reads a missing Option field, and null, as None.
      if (it == j_.end() || it->is_null()) return out.reset();
    }
    if (it == j_.end()) return ctx_.set("missing field '" + p + "'");
    read(*it, p, out);
  }
  template <typename T>
  void operator()(std::string_view key, T& out, OmitIfNone) {
    (*this)(key, out);
  }

 private:
  template <typename T>
  void read(const json& v, const std::string& p, T& out) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) return ctx_.expected(p, "a string");
      out = v.get<std::string>();
    } else if constexpr (std::is_same_v<T, std::optional<std::string>>) {
      if (!v.is_string()) return ctx_.expected(p, "a string or null");
      out = v.get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) return ctx_.expected(p, "a boolean");
      out = v.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!readInteger(v, out)) ctx_.expected(p, integerName<T>());
    } else if constexpr (kIsVector<T>) {
      if (!v.is_array()) return ctx_.expected(p, "an array");
      out.clear();
      for (size_t i = 0; i < v.size() && !ctx_.failed(); ++i) {
        typename T::value_type e{};
        read(v[i], p + "[" + std::to_string(i) + "]", e);
        out.push_back(std::move(e));
      }
    } else if constexpr (kIsMap<T>) {
      if (!v.is_object()) return ctx_.expected(p, std::is_same_v<T, StringMap> ? "an object of strings" : "an object");
      out.clear();
      for (const auto& [k, e] : v.items()) {
        typename T::mapped_type value{};
        read(e, p + "." + clip(k), value);
        if (ctx_.failed()) return;
        out.emplace(k, std::move(value));
      }
    } else if constexpr (std::is_same_v<T, claims::ActorClaims>) {
      readClaims(v, p, out);
    } else if constexpr (std::is_same_v<T, RunState>) {
      readRunState(v, p, out);
    } else if constexpr (std::is_same_v<T, ControlEvent>) {
      readEvent(v, p, out);
    } else {
      if (!v.is_object()) return ctx_.expected(p, "an object");
      Reader r(ctx_, v, p + ".");
      fields(out, r);
    }
  }

  // wascap Claims<Actor> objects. claims::decodeClaims holds the one reader of that JSON shape: hand it the object
  // as an unsigned token (it verifies nothing; a heartbeat carries no signatures).
  void readClaims(const json& v, const std::string& p, claims::ActorClaims& out) {
    if (!v.is_object()) return ctx_.expected(p, "a claims object");
    static const std::array<uint8_t, 64> kNoSignature{};
    const std::string token = claims::base64UrlEncode(claims::kJwtHeaderJson) + "." +
                              claims::base64UrlEncode(v.dump(-1, ' ', false, json::error_handler_t::replace)) + "." +
                              claims::base64UrlEncode(kNoSignature);
    auto decoded = claims::decodeClaims<claims::ActorMetadata>(token);
    if (!decoded) return ctx_.set("field '" + p + "': " + decoded.error().message);
    out = std::move(*decoded);
  }

  void readRunState(const json& v, const std::string& p, RunState& out) {
    constexpr std::string_view kWhat = R"("Running" or {"Unhealthy": message})";
    if (v.is_string() && v.get<std::string>() == "Running") {
      out = RunState{};
    } else if (v.is_object() && v.size() == 1 && v.contains("Running") && v["Running"].is_null()) {
      out = RunState{};
    } else if (v.is_object() && v.size() == 1 && v.contains("Unhealthy") && v["Unhealthy"].is_string()) {
      out = RunState{false, v["Unhealthy"].get<std::string>()};
    } else {
      ctx_.expected(p, kWhat);
    }
  }

  void readEvent(const json& v, const std::string& p, ControlEvent& out) {
    std::string name;
    const json* body = nullptr;
    if (v.is_string()) {
      name = v.get<std::string>();
    } else if (v.is_object() && v.size() == 1) {
      name = v.begin().key();
      body = &v.begin().value();
    } else {
      return ctx_.expected(p, "a variant name or an object with exactly one key");
    }
    readVariant(name, body, p, out);
  }

  // Finds the alternative named `name` and reads its fields from `body` (nullptr: the name came as a string).
  template <size_t I = 0>
  void readVariant(const std::string& name, const json* body, const std::string& p, ControlEvent& out) {
    if constexpr (I == std::variant_size_v<ControlEvent>) {
      ctx_.set("field '" + p + "': unknown variant '" + clip(name) + "'");
    } else {
      using Alt = std::variant_alternative_t<I, ControlEvent>;
      if (kEventNames[I] != name) return readVariant<I + 1>(name, body, p, out);
      const std::string path = p + "." + name;
      Alt alt{};
      if constexpr (std::is_empty_v<Alt>) {
        // serde also accepts a unit variant as {"Name": null}.
        if (body != nullptr && !body->is_null()) return ctx_.expected(path, "null (a unit variant)");
      } else {
        if (body == nullptr) return ctx_.expected(p, "an object: variant '" + name + "' has fields");
        read(*body, path, alt);
      }
      out = std::move(alt);
    }
  }

  Ctx& ctx_;
  const json& j_;
  std::string prefix_;
};

// Parses `text` as the JSON object of struct `type`.
template <typename T>
Expected<T> parse(std::string_view text, std::string_view type) {
  const std::string name(type);
  try {
    json j;
    try {
      j = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
      return fail(ErrorCode::kMalformed, name + ": invalid JSON: " + e.what());
    }
    if (!j.is_object()) return fail(ErrorCode::kMalformed, name + ": expected a JSON object");
    Ctx ctx(type);
    Reader r(ctx, j, "");
    T value{};
    fields(value, r);
    if (ctx.failed()) return fail(ErrorCode::kMalformed, ctx.message());
    return value;
  } catch (const std::exception& e) {  // allocation failures; nothing else is expected to throw
    return fail(ErrorCode::kMalformed, name + ": " + e.what());
  }
}

}  // namespace

Claims claimsValues(const claims::ActorClaims& c) {
  std::string caps;
  for (const auto& cap : c.metadata.caps) {
    if (!caps.empty()) caps += ',';
    caps += cap;
  }
  Claims out;
  out.values["sub"] = c.subject;
  out.values["iss"] = c.issuer;
  out.values["caps"] = std::move(caps);
  out.values["rev"] = std::to_string(c.metadata.rev.value_or(0));
  out.values["version"] = c.metadata.ver.value_or("");
  return out;
}

std::string_view eventName(const ControlEvent& event) { return kEventNames[event.index()]; }

std::string toJson(const Host& v) { return write(v); }
std::string toJson(const HostInventory& v) { return write(v); }
std::string toJson(const LinkDefinitionList& v) { return write(v); }
std::string toJson(const ClaimsList& v) { return write(v); }
std::string toJson(const ActorAuctionRequest& v) { return write(v); }
std::string toJson(const ActorAuctionAck& v) { return write(v); }
std::string toJson(const ProviderAuctionRequest& v) { return write(v); }
std::string toJson(const ProviderAuctionAck& v) { return write(v); }
std::string toJson(const StartActorCommand& v) { return write(v); }
std::string toJson(const StartActorAck& v) { return write(v); }
std::string toJson(const StopActorCommand& v) { return write(v); }
std::string toJson(const StopActorAck& v) { return write(v); }
std::string toJson(const StartProviderCommand& v) { return write(v); }
std::string toJson(const StartProviderAck& v) { return write(v); }
std::string toJson(const StopProviderCommand& v) { return write(v); }
std::string toJson(const StopProviderAck& v) { return write(v); }
std::string toJson(const UpdateActorCommand& v) { return write(v); }
std::string toJson(const UpdateActorAck& v) { return write(v); }
std::string toJson(const PublishedEvent& v) { return write(v); }

Expected<Host> parseHost(std::string_view j) { return parse<Host>(j, "Host"); }
Expected<HostInventory> parseHostInventory(std::string_view j) { return parse<HostInventory>(j, "HostInventory"); }
Expected<LinkDefinitionList> parseLinkDefinitionList(std::string_view j) {
  return parse<LinkDefinitionList>(j, "LinkDefinitionList");
}
Expected<ClaimsList> parseClaimsList(std::string_view j) { return parse<ClaimsList>(j, "ClaimsList"); }
Expected<ActorAuctionRequest> parseActorAuctionRequest(std::string_view j) {
  return parse<ActorAuctionRequest>(j, "ActorAuctionRequest");
}
Expected<ActorAuctionAck> parseActorAuctionAck(std::string_view j) {
  return parse<ActorAuctionAck>(j, "ActorAuctionAck");
}
Expected<ProviderAuctionRequest> parseProviderAuctionRequest(std::string_view j) {
  return parse<ProviderAuctionRequest>(j, "ProviderAuctionRequest");
}
Expected<ProviderAuctionAck> parseProviderAuctionAck(std::string_view j) {
  return parse<ProviderAuctionAck>(j, "ProviderAuctionAck");
}
Expected<StartActorCommand> parseStartActorCommand(std::string_view j) {
  return parse<StartActorCommand>(j, "StartActorCommand");
}
Expected<StartActorAck> parseStartActorAck(std::string_view j) { return parse<StartActorAck>(j, "StartActorAck"); }
Expected<StopActorCommand> parseStopActorCommand(std::string_view j) {
  return parse<StopActorCommand>(j, "StopActorCommand");
}
Expected<StopActorAck> parseStopActorAck(std::string_view j) { return parse<StopActorAck>(j, "StopActorAck"); }
Expected<StartProviderCommand> parseStartProviderCommand(std::string_view j) {
  return parse<StartProviderCommand>(j, "StartProviderCommand");
}
Expected<StartProviderAck> parseStartProviderAck(std::string_view j) {
  return parse<StartProviderAck>(j, "StartProviderAck");
}
Expected<StopProviderCommand> parseStopProviderCommand(std::string_view j) {
  return parse<StopProviderCommand>(j, "StopProviderCommand");
}
Expected<StopProviderAck> parseStopProviderAck(std::string_view j) {
  return parse<StopProviderAck>(j, "StopProviderAck");
}
Expected<UpdateActorCommand> parseUpdateActorCommand(std::string_view j) {
  return parse<UpdateActorCommand>(j, "UpdateActorCommand");
}
Expected<UpdateActorAck> parseUpdateActorAck(std::string_view j) { return parse<UpdateActorAck>(j, "UpdateActorAck"); }
Expected<PublishedEvent> parsePublishedEvent(std::string_view j) { return parse<PublishedEvent>(j, "PublishedEvent"); }

}  // namespace stratus::lattice::ctl
