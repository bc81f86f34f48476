// The bus: the one interface every invocation travels through. The standalone bus delivers in process; a lattice
// bus (later) sends over NATS when the target lives on another host. Nothing above the bus knows which it uses.
#pragma once

#include <span>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::host {

/// Origin id of calls made by the host itself (wasmCloud's SYSTEM_ACTOR).
inline constexpr std::string_view kSystemOrigin = "system";

/// The two kinds of things that send and receive invocations.
enum class EntityKind { kActor, kCapability };

/// An actor (by module public key) or a capability provider (by service public key, contract and link name).
/// Non-owning: valid for the duration of the call it describes.
struct Entity {
  EntityKind kind = EntityKind::kActor;
  std::string_view public_key;
  std::string_view contract_id;  ///< capabilities only
  std::string_view link_name;    ///< capabilities only
};

/// One call. Non-owning views, valid during Bus::invoke only; the bus copies what it must keep.
struct Invocation {
  Entity origin;
  Entity target;
  std::string_view operation;
  std::span<const uint8_t> msg;
};

/// Delivers invocations to their targets. Implementations are thread-safe.
class Bus {
 public:
  virtual ~Bus() = default;
  /// Delivers `invocation` and returns the target's reply, or an error naming the unreachable target or the
  /// target's own failure. Authorization has already happened when this is called.
  virtual Expected<Bytes> invoke(const Invocation& invocation) = 0;
};

}  // namespace stratus::host
