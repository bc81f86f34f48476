// The embedding API of a stratus host, in the spirit of wasmcloud_host 0.18: build a host, start actors from
// signed wasm, call them, stop them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/claims/claims.h"
#include "stratus/common/expected.h"
#include "stratus/engine/engine.h"
#include "stratus/host/bus.h"

namespace stratus::host {

/// Pluggable policy consulted after the built-in checks (claims verified at load; on invocation the caller's
/// claims hold the target contract and a link exists). Implementations must be thread-safe.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  /// May the host start an actor with these (already verified) claims?
  virtual bool canLoad(const claims::ActorClaims& actor) const { return true; }
  /// May `caller` invoke `operation` on `target`? Not consulted for calls from the host itself (origin "system").
  virtual bool canInvoke(const claims::ActorClaims& caller, const Entity& target,
                         std::string_view operation) const {
    return true;
  }
};

/// How each actor's instances are pooled and limited.
struct ActorOptions {
  /// Instances created when the actor starts (at least 1: the first one also proves the module instantiates).
  size_t min_instances = 1;
  /// Upper bound of instances, i.e. of concurrent calls into one actor. 0 = the number of hardware threads.
  size_t max_instances = 0;
  /// Memory cap and per-call deadline of every instance.
  engine::InstanceOptions instance{.max_memory_pages = 1024, .call_timeout = std::chrono::seconds(30)};
  /// How long a call waits for a free instance when all are busy before failing.
  std::chrono::milliseconds acquire_timeout{30000};
};

/// A running actor as the host reports it.
struct ActorInfo {
  std::string public_key;
  claims::ActorClaims claims;
  size_t instances = 0;  ///< instances currently alive in the pool
};

class Host;

/// Configures and builds a Host.
class HostBuilder {
 public:
  HostBuilder();
  ~HostBuilder();
  HostBuilder(HostBuilder&&) noexcept;
  HostBuilder& operator=(HostBuilder&&) noexcept;

  /// Engine backend by name ("interp"; see engine::availableEngines()). Default: the first available.
  HostBuilder& withEngine(std::string name);
  /// Policy hook; default allows everything the built-in checks allow.
  HostBuilder& withAuthorizer(std::shared_ptr<const Authorizer> authorizer);
  /// Pool and limits applied to every actor.
  HostBuilder& withActorOptions(ActorOptions options);
  /// A host label (e.g. "region" = "eu").
  HostBuilder& withLabel(std::string key, std::string value);
  /// Clock used to check claims expiry (seconds since the Unix epoch); default the system clock. For tests.
  HostBuilder& withClock(std::function<int64_t()> now);

  /// Builds the host, or an error naming a bad setting (e.g. an unknown engine).
  Expected<std::unique_ptr<Host>> build();

 private:
  struct Config;
  std::unique_ptr<Config> config_;
};

/// A standalone host. Thread-safe: actors may be started, stopped and called from any thread.
class Host {
 public:
  virtual ~Host() = default;

  /// The host's server public key (a fresh 'N' key per run).
  virtual const std::string& id() const = 0;
  virtual const std::map<std::string, std::string>& labels() const = 0;

  /// Verifies the module's embedded claims (section present, signature, module hash, expiry, not-before), asks
  /// the Authorizer, compiles it and starts its instance pool. Returns the actor's public key. Errors:
  /// kInvalidClaims (with the reason), kPermissionDenied, kAlreadyExists, kMalformed (bad wasm), engine errors.
  virtual Expected<std::string> startActor(std::span<const uint8_t> wasm) = 0;
  /// startActor with the bytes of a file.
  virtual Expected<std::string> startActorFromFile(const std::string& path) = 0;
  /// Stops an actor: it takes no new calls; calls in flight finish. kNotFound if it isn't running.
  virtual Expected<void> stopActor(std::string_view public_key) = 0;

  /// Calls an actor by public key or call alias, as the host ("system" origin).
  virtual Expected<Bytes> callActor(std::string_view actor, std::string_view operation,
                                    std::span<const uint8_t> payload) = 0;

  /// The running actors, sorted by public key.
  virtual std::vector<ActorInfo> actors() const = 0;
  /// Claims of the running actors.
  virtual std::vector<claims::ActorClaims> actorClaims() const = 0;
};

}  // namespace stratus::host
