// The bus: the one path every invocation travels. The host's dispatcher resolves and authorizes each call, then
// hands it to the bus; the standalone (local) bus delivers to this host's actors and providers, and a bus given to
// the HostBuilder (the lattice's) may send it to another host instead. Nothing above the bus knows which it uses.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "stratus/claims/claims.h"
#include "stratus/claims/nkeys.h"
#include "stratus/common/expected.h"

namespace stratus::host {

/// Origin id of calls made by the host itself (wasmCloud's SYSTEM_ACTOR).
inline constexpr std::string_view kSystemOrigin = "system";

/// The two kinds of things that send and receive invocations.
enum class EntityKind { kActor, kCapability };

/// An actor (by module public key, or kSystemOrigin for the host) or a capability provider (by service public
/// key, contract and link name). Non-owning: valid for the duration of the call it describes.
struct Entity {
  EntityKind kind = EntityKind::kActor;
  std::string_view public_key;
  std::string_view contract_id;  ///< capabilities only
  std::string_view link_name;    ///< capabilities only
};

/// The id of one invocation: a UUID v4, as wasmCloud's invocation ids. Kept as bytes; a bus that sends the
/// invocation elsewhere writes text().
struct InvocationId {
  std::array<uint8_t, 16> bytes{};
  /// The 36-character text form (lowercase hex with dashes).
  std::string text() const;
  bool operator==(const InvocationId&) const = default;
};

/// One call, resolved and authorized. Non-owning views, valid during Bus::invoke only; a bus copies what it keeps.
struct Invocation {
  InvocationId id;               ///< unique per invocation
  std::string_view origin_host;  ///< server public key ('N…') of the host the call started on
  Entity origin;
  Entity target;
  std::string_view operation;
  std::span<const uint8_t> msg;
  /// The calling actor's verified claims when the origin is an actor; nullptr for the host and for providers.
  const claims::ActorClaims* caller_claims = nullptr;
};

/// Delivers invocations to their targets. Implementations are thread-safe.
class Bus {
 public:
  virtual ~Bus() = default;
  /// Delivers `invocation` and returns the target's reply, or an error naming the unreachable target or the
  /// target's own failure. Authorization has already happened when this is called.
  virtual Expected<Bytes> invoke(const Invocation& invocation) = 0;
};

/// What a host hands to the bus it is built with.
struct BusContext {
  /// Delivers to this host's own actors and providers; errors kNotFound / kUnavailable name a target that does
  /// not run here. Outlives the bus.
  Bus& local;
  /// The host's server public key ('N…') and key pair (with its seed), to sign what it sends.
  const std::string& host_id;
  const claims::KeyPair& host_key;
  /// Whether `target` runs on this host now (an actor by key; a provider by key, contract and link name): a call
  /// to it stays in process. Thread-safe, cheap (one table lookup).
  std::function<bool(const Entity& target)> runs_here;
};

/// Makes the bus of a host (see HostBuilder::withBus). Called once, while the host is built.
using BusFactory = std::function<Expected<std::unique_ptr<Bus>>(const BusContext& context)>;

}  // namespace stratus::host
