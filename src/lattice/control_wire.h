// The JSON wire structs of the lattice control interface, exactly as wasmCloud 0.18.2 speaks them
// (crate wasmcloud-control-interface 0.3.1, serde_json): queries and their replies, auctions, commands and their
// acknowledgements on `wasmbus.ctl.{ns}.*`, and the events published on `wasmbus.ctl.{ns}.events`.
//
// Writing follows serde_derive: fields in declaration order, compact text, `Option` fields written as `null` unless
// the Rust field has `skip_serializing_if = "Option::is_none"` (then omitted), maps as JSON objects (Rust's
// HashMaps have no order; ours are sorted). Reading is for untrusted input and follows serde_derive too: unknown
// fields are ignored, a missing or `null` Option field reads as empty, every other field is required and must
// have the right JSON type and range. Every parse error is kMalformed with a message naming the struct and the
// field, e.g. "StartActorCommand: field 'actor_ref': expected a string"; no exception escapes.
//
// Private to src/lattice. Plain value types; the functions are stateless and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stratus/claims/claims.h"
#include "stratus/common/expected.h"
#include "stratus/host/host.h"

namespace stratus::lattice::ctl {

/// Keys and values of a label, constraint or claims map (a Rust HashMap<String, String>).
using StringMap = std::map<std::string, std::string>;

// ---- queries --------------------------------------------------------------------------------------------------

/// Reply of every host to `get.hosts`. JSON {"id", "uptime"}: the Rust field `uptime_seconds` is renamed "uptime".
struct Host {
  std::string id;       ///< the host's public key ('N…')
  uint64_t uptime = 0;  ///< seconds since the host started
};

/// One actor in a HostInventory. JSON {"id", "image_ref"?, "name"?, "revision"}; image_ref and name are omitted
/// when empty.
struct ActorDescription {
  std::string id;                        ///< actor public key ('M…')
  std::optional<std::string> image_ref;  ///< OCI reference it was started from, if any
  std::optional<std::string> name;       ///< friendly name from its claims, if any
  int32_t revision = 0;                  ///< `rev` of its claims (0 when none)
};

/// One provider in a HostInventory. JSON {"id", "link_name", "image_ref"?, "name"?, "revision"}; image_ref and
/// name are omitted when empty.
struct ProviderDescription {
  std::string id;                        ///< provider public key ('V…')
  std::string link_name;                 ///< link name it serves
  std::optional<std::string> image_ref;  ///< OCI reference it was started from, if any
  std::optional<std::string> name;       ///< friendly name from its claims, if any
  int32_t revision = 0;                  ///< `rev` of its claims (0 when none)
};

/// Reply to `get.{host}.inv`. JSON {"host_id", "labels", "actors", "providers"}.
struct HostInventory {
  std::string host_id;
  StringMap labels;  ///< the host's labels, built-in hostcore.* ones included
  std::vector<ActorDescription> actors;
  std::vector<ProviderDescription> providers;
};

/// Reply to `get.links`. JSON {"links": [{"actor_id", "provider_id", "link_name", "contract_id", "values"}]} —
/// note the wire order puts link_name before contract_id, unlike the fields of host::LinkDefinition.
struct LinkDefinitionList {
  std::vector<::stratus::host::LinkDefinition> links;
};

/// One actor's claims in a ClaimsList, flattened to strings. JSON {"values": {...}}; see claimsValues().
struct Claims {
  StringMap values;
};

/// Reply to `get.claims`. JSON {"claims": [Claims...]}.
struct ClaimsList {
  std::vector<Claims> claims;
};

/// What wasmCloud 0.18.2's host puts in a ClaimsList entry for an actor (control_interface/handlers.rs
/// `claims_to_if`): exactly "sub", "iss", "caps" (the caps joined with ',', "" when none), "rev" (decimal, "0"
/// when none) and "version" (`ver`, "" when none). Name, tags, call alias and times are not included.
Claims claimsValues(const claims::ActorClaims& claims);

// ---- auctions -------------------------------------------------------------------------------------------------

/// Published on `auction.actor`. JSON {"actor_ref", "constraints"}.
struct ActorAuctionRequest {
  std::string actor_ref;  ///< OCI reference or public key of the actor
  StringMap constraints;  ///< labels a host must have (equal values) to answer
};

/// A host's answer to an ActorAuctionRequest. JSON {"actor_ref", "constraints", "host_id"}.
struct ActorAuctionAck {
  std::string actor_ref;
  StringMap constraints;
  std::string host_id;
};

/// Published on `auction.provider`. JSON {"provider_ref", "link_name", "constraints"}.
struct ProviderAuctionRequest {
  std::string provider_ref;
  std::string link_name;
  StringMap constraints;
};

/// A host's answer to a ProviderAuctionRequest. JSON {"provider_ref", "link_name", "host_id"}.
struct ProviderAuctionAck {
  std::string provider_ref;
  std::string link_name;
  std::string host_id;
};

// ---- commands and acknowledgements ----------------------------------------------------------------------------

/// `cmd.{host}.la`. JSON {"actor_ref", "host_id"}.
struct StartActorCommand {
  std::string actor_ref;
  std::string host_id;
};

/// Reply to StartActorCommand (sent before the actor is fetched). JSON {"host_id", "actor_ref", "failure"}; failure
/// is written as null when there is none.
struct StartActorAck {
  std::string host_id;
  std::string actor_ref;
  std::optional<std::string> failure;
};

/// `cmd.{host}.sa`. JSON {"host_id", "actor_ref"}. (0.3.1 has no `count`; later crates' `count` is ignored.)
struct StopActorCommand {
  std::string host_id;
  std::string actor_ref;
};

/// Reply to StopActorCommand. JSON {"failure"}, null when there is none.
struct StopActorAck {
  std::optional<std::string> failure;
};

/// `cmd.{host}.lp`. JSON {"host_id", "provider_ref", "link_name"}.
struct StartProviderCommand {
  std::string host_id;
  std::string provider_ref;
  std::string link_name;
};

/// Reply to StartProviderCommand (sent before the archive is fetched). JSON {"host_id", "provider_ref",
/// "failure"}; failure is null when there is none.
struct StartProviderAck {
  std::string host_id;
  std::string provider_ref;
  std::optional<std::string> failure;
};

/// `cmd.{host}.sp`. JSON {"host_id", "provider_ref", "link_name", "contract_id"}.
struct StopProviderCommand {
  std::string host_id;
  std::string provider_ref;
  std::string link_name;
  std::string contract_id;
};

/// Reply to StopProviderCommand. JSON {"failure"}, null when there is none.
struct StopProviderAck {
  std::optional<std::string> failure;
};

/// `cmd.{host}.upd`: live-update a running actor from a new OCI reference. JSON {"host_id", "actor_id",
/// "new_actor_ref"}.
struct UpdateActorCommand {
  std::string host_id;
  std::string actor_id;  ///< public key of the running actor
  std::string new_actor_ref;
};

/// Reply to UpdateActorCommand: whether the update was accepted (the actor runs here). JSON {"accepted"}; 0.3.1
/// has no error field (the reason is only logged).
struct UpdateActorAck {
  bool accepted = false;
};

// ---- events ---------------------------------------------------------------------------------------------------

/// Health of one entity in a Heartbeat: Rust `enum RunState { Running, Unhealthy(String) }`, on the wire "Running"
/// or {"Unhealthy": "why"}.
struct RunState {
  bool running = true;  ///< false: unhealthy
  std::string message;  ///< why it is unhealthy ("" when running)
};

/// The host started (a unit variant: JSON "HostStarted").
struct HostStarted {};
/// The host is stopping (JSON "HostStopped").
struct HostStopped {};
/// JSON {"ActorStarted": {"actor", "image_ref"}}; image_ref is null when none.
struct ActorStarted {
  std::string actor;
  std::optional<std::string> image_ref;
};
/// JSON {"ActorStopped": {"actor"}}.
struct ActorStopped {
  std::string actor;
};
/// A live update started. JSON {"ActorUpdateBegan": {"actor", "old_revision", "new_revision"}}.
struct ActorUpdateBegan {
  std::string actor;
  uint32_t old_revision = 0;
  uint32_t new_revision = 0;
};
/// A live update finished. JSON {"ActorUpdateCompleted": {"actor", "old_revision", "new_revision"}}.
struct ActorUpdateCompleted {
  std::string actor;
  uint32_t old_revision = 0;
  uint32_t new_revision = 0;
};
/// JSON {"ProviderStarted": {"contract_id", "link_name", "provider_id", "image_ref"}}; image_ref null when none.
struct ProviderStarted {
  std::string contract_id;
  std::string link_name;
  std::string provider_id;
  std::optional<std::string> image_ref;
};
/// JSON {"ProviderStopped": {"contract_id", "link_name", "provider_id"}}.
struct ProviderStopped {
  std::string contract_id;
  std::string link_name;
  std::string provider_id;
};
/// Periodic (HEARTBEAT_INTERVAL_S) state of a host. JSON {"Heartbeat": {"claims": [wascap claims objects],
/// "entities": {public key: RunState}}}. 0.18.2 lists the claims of every actor in the lattice cache and keys
/// entities by public key only (a provider serving two link names appears once).
struct Heartbeat {
  std::vector<claims::ActorClaims> claims;   ///< each written as claims::claimsToJson writes it
  std::map<std::string, RunState> entities;  ///< public key -> health
};

/// Rust `enum ControlEvent` of 0.3.1, externally tagged: these nine variants are all there are in 0.18.2.
using ControlEvent = std::variant<HostStarted, HostStopped, ActorStarted, ActorStopped, ActorUpdateBegan,
                                  ActorUpdateCompleted, ProviderStarted, ProviderStopped, Heartbeat>;
/// Another name for ControlEvent.
using EventBody = ControlEvent;

/// The variant name of an event ("HostStarted", "Heartbeat", ...), as it appears on the wire.
std::string_view eventName(const ControlEvent& event);

/// Metadata of a published event. JSON {"host_origin", "timestamp"}.
struct EventHeader {
  std::string host_origin;  ///< public key of the host that published it
  uint64_t timestamp = 0;   ///< seconds since the Unix epoch (UTC), a JSON integer
};

/// What goes on `wasmbus.ctl.{ns}.events`. JSON {"event", "header"}.
struct PublishedEvent {
  ControlEvent event;
  EventHeader header;
};

// ---- JSON text ------------------------------------------------------------------------------------------------
// toJson: compact serde_json-style text (invalid UTF-8 in a string is replaced by U+FFFD, never thrown).
// parseX: reads untrusted JSON text; errors kMalformed as described at the top of this file.

/// Writes a Host.
std::string toJson(const Host& v);
/// Writes a HostInventory.
std::string toJson(const HostInventory& v);
/// Writes a LinkDefinitionList.
std::string toJson(const LinkDefinitionList& v);
/// Writes a ClaimsList.
std::string toJson(const ClaimsList& v);
/// Writes an ActorAuctionRequest.
std::string toJson(const ActorAuctionRequest& v);
/// Writes an ActorAuctionAck.
std::string toJson(const ActorAuctionAck& v);
/// Writes a ProviderAuctionRequest.
std::string toJson(const ProviderAuctionRequest& v);
/// Writes a ProviderAuctionAck.
std::string toJson(const ProviderAuctionAck& v);
/// Writes a StartActorCommand.
std::string toJson(const StartActorCommand& v);
/// Writes a StartActorAck.
std::string toJson(const StartActorAck& v);
/// Writes a StopActorCommand.
std::string toJson(const StopActorCommand& v);
/// Writes a StopActorAck.
std::string toJson(const StopActorAck& v);
/// Writes a StartProviderCommand.
std::string toJson(const StartProviderCommand& v);
/// Writes a StartProviderAck.
std::string toJson(const StartProviderAck& v);
/// Writes a StopProviderCommand.
std::string toJson(const StopProviderCommand& v);
/// Writes a StopProviderAck.
std::string toJson(const StopProviderAck& v);
/// Writes an UpdateActorCommand.
std::string toJson(const UpdateActorCommand& v);
/// Writes an UpdateActorAck.
std::string toJson(const UpdateActorAck& v);
/// Writes a PublishedEvent.
std::string toJson(const PublishedEvent& v);

/// Reads a Host.
Expected<Host> parseHost(std::string_view json);
/// Reads a HostInventory.
Expected<HostInventory> parseHostInventory(std::string_view json);
/// Reads a LinkDefinitionList.
Expected<LinkDefinitionList> parseLinkDefinitionList(std::string_view json);
/// Reads a ClaimsList.
Expected<ClaimsList> parseClaimsList(std::string_view json);
/// Reads an ActorAuctionRequest.
Expected<ActorAuctionRequest> parseActorAuctionRequest(std::string_view json);
/// Reads an ActorAuctionAck.
Expected<ActorAuctionAck> parseActorAuctionAck(std::string_view json);
/// Reads a ProviderAuctionRequest.
Expected<ProviderAuctionRequest> parseProviderAuctionRequest(std::string_view json);
/// Reads a ProviderAuctionAck.
Expected<ProviderAuctionAck> parseProviderAuctionAck(std::string_view json);
/// Reads a StartActorCommand.
Expected<StartActorCommand> parseStartActorCommand(std::string_view json);
/// Reads a StartActorAck.
Expected<StartActorAck> parseStartActorAck(std::string_view json);
/// Reads a StopActorCommand.
Expected<StopActorCommand> parseStopActorCommand(std::string_view json);
/// Reads a StopActorAck.
Expected<StopActorAck> parseStopActorAck(std::string_view json);
/// Reads a StartProviderCommand.
Expected<StartProviderCommand> parseStartProviderCommand(std::string_view json);
/// Reads a StartProviderAck.
Expected<StartProviderAck> parseStartProviderAck(std::string_view json);
/// Reads a StopProviderCommand.
Expected<StopProviderCommand> parseStopProviderCommand(std::string_view json);
/// Reads a StopProviderAck.
Expected<StopProviderAck> parseStopProviderAck(std::string_view json);
/// Reads an UpdateActorCommand.
Expected<UpdateActorCommand> parseUpdateActorCommand(std::string_view json);
/// Reads an UpdateActorAck.
Expected<UpdateActorAck> parseUpdateActorAck(std::string_view json);
/// Reads a PublishedEvent. `event` is a variant name string for the unit variants (serde also accepts
/// {"HostStarted": null}) or an object with exactly one key, the variant name; an unknown variant is an error.
/// Heartbeat claims are read like claims::decodeClaims reads a token's claims (not verified: the heartbeat carries
/// no signatures).
Expected<PublishedEvent> parsePublishedEvent(std::string_view json);

}  // namespace stratus::lattice::ctl
