// What NativeProvider drives: one provider instance behind one of the two provider ABIs (stratus's C function
// table, or the seeds' Rust trait object). NativeProvider owns the call/stop protocol and fault containment; a
// backend only translates calls.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "stratus/capability/native_provider.h"
#include "stratus/common/expected.h"
#include "stratus/provider.h"

namespace stratus::capability {

/// The host side of a provider's dispatcher. Owned by NativeProvider, and kept alive for good when a provider
/// hangs (its threads may still call it). `c_table` is the C ABI's view of it; the Rust ABI's Box<dyn Dispatcher>
/// points here too.
struct DispatchContext {
  ActorDispatch dispatch;
  ProviderLog log;
  stratus_dispatcher c_table{};
};

class ProviderBackend {
 public:
  virtual ~ProviderBackend() = default;

  /// Which ABI and, for Rust, which layouts ("C ABI v1", "Rust ABI: rustc 1.63.0, ...").
  virtual std::string describe() const = 0;
  /// Hands the provider its dispatcher. Runs inside NativeProvider's fault guard.
  virtual Expected<void> configureDispatch(DispatchContext& context) = 0;
  /// One call, its result copied out and the provider's memory released. Runs inside the fault guard. Errors:
  /// kHostError with the provider's message; kMalformed "it returned ..." for a result that breaks the ABI.
  virtual Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                                     std::span<const uint8_t> msg) = 0;
  /// Stops the provider and releases its instance. Runs once, on a thread of its own, inside the fault guard.
  virtual void stop() = 0;
};

}  // namespace stratus::capability
