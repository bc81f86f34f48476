// The msgpack structs wasmCloud 0.18.2 hosts exchange on the lattice RPC subjects (`wasmbus.rpc.{ns}.*`), byte for
// byte as rmp-serde 0.15.4 writes them with `with_struct_map()`: every struct is a map keyed by field name, in
// declaration order; Option fields without `skip_serializing_if` are written as nil; enum variants are keyed by their
// integer index; Vec<u8> without serde_bytes is an array of integers.
//
// What was checked against the public sources:
// - wasmCloud crates/wasmcloud-host/src/dispatch.rs (the late-0.18 version with resolve_target_from_reference):
//   `Invocation {origin, target, operation, msg: Vec<u8>, id, encoded_claims, host_id}`,
//   `InvocationResponse {msg: Vec<u8>, error: Option<String>, invocation_id}` (no skip attribute, so `error` is
//   always present: nil or a string), `enum WasmCloudEntity { Actor(String), Capability {id, contract_id,
//   link_name} }` with plain `#[derive(Serialize, Deserialize)]` (external tagging).
// - rmp-serde 0.15 src/config.rs: StructMapConfig writes struct maps and delegates `write_variant_ident` to
//   DefaultConfig, which writes the variant index (`serialize_u32`); src/encode.rs: newtype and struct variants are
//   a one-entry map {index: value}, `serialize_none` writes nil, integers use the smallest encoding.
// - wasmcloud-control-interface src/generated/ctliface.rs: `LinkDefinition {actor_id, provider_id, link_name,
//   contract_id, values}`, which the spec (§7) says 0.18.2 publishes on `.links` / `.remlinks`. Not seen in the host
//   itself: the only host rpc_client.rs versions found are older and publish {actor, contract_id, link_name,
//   provider_id, values}.
// - wascap 0.6 src/jwt.rs: `Claims<T> {exp?, jti, iat, iss, sub, nbf?, wascap?}` (exp, nbf and wascap skipped when
//   None) and `Actor {name?, hash, tags?, caps?, rev?, ver?, call_alias?, prov}` (all `?` fields skipped when None;
//   `prov` always written, `#[serde(default)]` when read).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "stratus/claims/claims.h"
#include "stratus/codec/msgpack.h"
#include "stratus/common/expected.h"
#include "stratus/host/bus.h"
#include "stratus/host/host.h"

namespace stratus::lattice {

/// wasmCloud's WasmCloudEntity: an actor (only `public_key` is used; "system" for the host itself) or a capability
/// provider (`public_key` is its service key, plus its contract id and link name). Plain value type.
struct WireEntity {
  host::EntityKind kind = host::EntityKind::kActor;
  std::string public_key;
  std::string contract_id;  ///< capabilities only
  std::string link_name;    ///< capabilities only
  bool operator==(const WireEntity&) const = default;
};

/// One lattice RPC request (wasmCloud's dispatch::Invocation). Plain value type.
struct WireInvocation {
  WireEntity origin;
  WireEntity target;
  std::string operation;
  Bytes msg;
  std::string id;              ///< UUID v4 text; the `sub` of encoded_claims
  std::string encoded_claims;  ///< JWT signed by the sending host (see antiforgery.h)
  std::string host_id;         ///< server public key of the sending host
  bool operator==(const WireInvocation&) const = default;
};

/// The reply to a WireInvocation (wasmCloud's dispatch::InvocationResponse). Plain value type.
struct WireInvocationResponse {
  Bytes msg;
  std::optional<std::string> error;  ///< set when the call failed; `msg` is then empty
  std::string invocation_id;
  bool operator==(const WireInvocationResponse&) const = default;
};

/// Encodes an invocation as a 0.18.2 host does: a 7-entry map; entities as {0: "M…"} / {1: {id, contract_id,
/// link_name}}; `msg` as an array of integers. Never fails.
Bytes encodeInvocation(const WireInvocation& invocation);

/// Decodes an invocation from untrusted bytes. Accepts what a 0.18 host's serde decoder accepts and a little more:
/// entities keyed by variant index (0/1) or name ("Actor"/"Capability"); `msg` as an array of integers 0..255 or as
/// bin; unknown fields are ignored. Errors (kMalformed, prefixed "invocation: "): bad msgpack (truncated, trailing
/// bytes, nesting or item count beyond `limits`), not a map, a duplicated field, a missing field ("field 'id':
/// missing"), a field of the wrong type or a string that is not UTF-8, each naming the field.
Expected<WireInvocation> decodeInvocation(std::span<const uint8_t> bytes, codec::DecodeLimits limits = {});

/// Encodes a response as a 0.18.2 host does: {msg: [ints…], error: nil | "text", invocation_id}. Never fails.
Bytes encodeInvocationResponse(const WireInvocationResponse& response);

/// Decodes a response from untrusted bytes; `error` may be absent, nil or a string, `msg` an array of integers or
/// bin. Errors (kMalformed, prefixed "invocation response: "): as decodeInvocation.
Expected<WireInvocationResponse> decodeInvocationResponse(std::span<const uint8_t> bytes,
                                                          codec::DecodeLimits limits = {});

/// Encodes a link definition as published on `wasmbus.rpc.{ns}.links` and `.remlinks`: {actor_id, provider_id,
/// link_name, contract_id, values} with the values in key order. Never fails.
Bytes encodeLinkDefinition(const host::LinkDefinition& link);

/// Decodes a link definition from untrusted bytes; all five fields are required and `values` must map strings to
/// strings. Errors (kMalformed, prefixed "link definition: "): as decodeInvocation.
Expected<host::LinkDefinition> decodeLinkDefinition(std::span<const uint8_t> bytes, codec::DecodeLimits limits = {});

/// Encodes actor claims as published on `wasmbus.rpc.{ns}.claims` (wascap 0.6 Claims<Actor>): {exp?, jti, iat, iss,
/// sub, nbf?, wascap: {name?, hash, tags?, caps?, rev?, ver?, call_alias?, prov}}. Absent optionals, an empty
/// `name` and empty `tags` / `caps` lists are left out, as wascap leaves out None. Never fails.
Bytes encodeActorClaims(const claims::ActorClaims& actor_claims);

/// Decodes actor claims from untrusted bytes. jti, iat, iss, sub and wascap.hash are required (as in serde);
/// `wascap` is required too (an actor without metadata has no capabilities to check); exp, nbf, iat must be
/// non-negative 64-bit integers and rev a 32-bit one. Nothing is verified: the signature is not part of this message.
/// Errors (kMalformed, prefixed "actor claims: "): as decodeInvocation.
Expected<claims::ActorClaims> decodeActorClaims(std::span<const uint8_t> bytes, codec::DecodeLimits limits = {});

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), as a Rust
/// String must be.
bool isUtf8(std::string_view text);

}  // namespace stratus::lattice
