// The operator side of a lattice: a client of the control interface (wasmbus.ctl.{ns}.*) that lists hosts, reads
// their inventories, the lattice's links and claims, runs auctions, starts and stops actors and providers, sets and
// removes links, and calls actors — what wasmCloud 0.18's control-interface crate (0.3.1) and `wash ctl` do, and
// understood by wasmCloud 0.18 hosts and stratus hosts alike. Wire formats: spec §7, docs/cli-ctl.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stratus/common/expected.h"
#include "stratus/host/host.h"
#include "stratus/lattice/lattice.h"

namespace stratus::lattice {

/// Labels a host must carry (with equal values) to bid in an auction.
using Constraints = std::map<std::string, std::string>;

/// One host that answered `get.hosts`.
struct HostSummary {
  std::string id;               ///< the host's server public key ('N…')
  uint64_t uptime_seconds = 0;  ///< seconds since it started
};

/// An actor in a host's inventory.
struct InventoryActor {
  std::string id;                        ///< module public key ('M…')
  std::optional<std::string> image_ref;  ///< the reference (OCI or file path) it was started from, if known
  std::optional<std::string> name;       ///< the name in its claims, if any
  int32_t revision = 0;                  ///< `rev` of its claims (0 when none)
};

/// A provider in a host's inventory.
struct InventoryProvider {
  std::string id;                        ///< service public key ('V…')
  std::string link_name;                 ///< the link name it serves
  std::optional<std::string> image_ref;  ///< the reference it was started from, if known
  std::optional<std::string> name;       ///< the name in its claims, if any
  int32_t revision = 0;                  ///< `rev` of its claims (0 when none)
};

/// What one host runs: the reply to `get.{host}.inv`.
struct HostInventory {
  std::string host_id;
  std::map<std::string, std::string> labels;  ///< built-in hostcore.* labels included
  std::vector<InventoryActor> actors;
  std::vector<InventoryProvider> providers;
};

/// One actor's claims as a 0.18 host lists them in `get.claims`: exactly the keys "sub", "iss", "caps" (joined with
/// ','), "rev" and "version", all strings.
using ClaimsValues = std::map<std::string, std::string>;

/// A connection to a lattice's control interface. Each call waits at most the client's timeout (one timeout per
/// NATS round trip). Errors name the host, the subject or the server and what failed. Thread-safe; destroying it
/// closes the connection (what was published has been flushed by then).
class ControlClient {
 public:
  /// Connects to the NATS server of the lattice's control interface. `ns` is the lattice namespace ("default" as
  /// wasmCloud); `timeout` bounds every query, command and call. The client signs the invocations of call() with a
  /// server key ('N…') of its own, made here, as wasmCloud's control client does — or, for a lattice whose hosts
  /// accept only cluster issuers (LatticeOptions::cluster_issuers), with `cluster_seed` ('SC…'). Errors:
  /// kInvalidArgument for an empty namespace, a non-positive timeout, unusable credentials or a seed that is not a
  /// cluster seed; kUnavailable naming the server when nothing answers there; kPermissionDenied when it refuses the
  /// credentials.
  static Expected<std::unique_ptr<ControlClient>> connect(NatsEndpoint endpoint, std::string ns = "default",
                                                          std::chrono::milliseconds timeout = std::chrono::seconds(2),
                                                          std::string cluster_seed = {});
  virtual ~ControlClient() = default;

  /// The lattice namespace, the timeout, and "nats://host:port" (for messages).
  virtual const std::string& ns() const = 0;
  virtual std::chrono::milliseconds timeout() const = 0;
  virtual const std::string& server() const = 0;
  /// The client's own server key: the `host_id` of call()'s invocations (and their signer, without a cluster seed).
  virtual const std::string& id() const = 0;

  // ---- queries ------------------------------------------------------------------------------------------------

  /// Every host that answers `get.hosts` within the timeout (the call always waits that long unless no one
  /// subscribes), sorted by id. Replies that do not parse are skipped with a warning in the log. Errors:
  /// kUnavailable "no host answered get.hosts within N ms on nats://… (namespace 'ns')" when none did;
  /// kMalformed when every reply was unreadable.
  virtual Expected<std::vector<HostSummary>> hosts() = 0;
  /// What host `host_id` runs (its first reply). Errors: kInvalidArgument when `host_id` is not a server public
  /// key; kNotFound when no such host is in the namespace; kDeadlineExceeded when it did not answer in time;
  /// kMalformed when its reply is unreadable.
  virtual Expected<HostInventory> inventory(const std::string& host_id) = 0;
  /// The lattice's links, as the first host to answer knows them. Errors: kNotFound when no host answers;
  /// kDeadlineExceeded; kMalformed.
  virtual Expected<std::vector<host::LinkDefinition>> links() = 0;
  /// The claims of every actor known in the lattice, as the first host to answer knows them. Errors as links().
  virtual Expected<std::vector<ClaimsValues>> claims() = 0;

  // ---- auctions -----------------------------------------------------------------------------------------------

  /// Asks every host whether it would run actor `ref` (OCI reference, file path or public key) under
  /// `constraints`; gathers the bids for the whole timeout. Returns the ids of the hosts that bid (possibly none),
  /// in the order they answered. Errors: the request could not be sent.
  virtual Expected<std::vector<std::string>> actorAuction(const std::string& ref, const Constraints& constraints) = 0;
  /// The same for provider `ref` under `link_name` ("" = "default").
  virtual Expected<std::vector<std::string>> providerAuction(const std::string& ref, const std::string& link_name,
                                                             const Constraints& constraints) = 0;

  // ---- commands (each answered by one host's acknowledgement) --------------------------------------------------

  /// Asks host `host_id` to start actor `ref`. A host reads a file path from its own file system. Success means the
  /// host accepted the command (0.18 hosts acknowledge before fetching an OCI image; stratus hosts after starting
  /// a file). Errors: kHostError "host N… refused to start actor REF: <the ack's failure>"; kInvalidArgument,
  /// kNotFound, kDeadlineExceeded, kMalformed as inventory().
  virtual Expected<void> startActor(const std::string& host_id, const std::string& ref) = 0;
  /// Asks host `host_id` to stop the actor started from `ref_or_key` (its reference or public key). Errors as
  /// startActor().
  virtual Expected<void> stopActor(const std::string& host_id, const std::string& ref_or_key) = 0;
  /// Asks host `host_id` to start provider `ref` (an archive) under `link_name` ("" = "default"). Errors as
  /// startActor().
  virtual Expected<void> startProvider(const std::string& host_id, const std::string& ref,
                                       const std::string& link_name) = 0;
  /// Asks host `host_id` to stop the provider `ref_or_key` serving `contract_id` under `link_name` ("" =
  /// "default"). Errors as startActor().
  virtual Expected<void> stopProvider(const std::string& host_id, const std::string& ref_or_key,
                                      const std::string& link_name, const std::string& contract_id) = 0;
  /// Asks host `host_id` to live-update running actor `actor_id` to `new_ref`. A 0.18 acknowledgement carries no
  /// reason: a refusal (kHostError) names the host and the actor and points at the host's log. Otherwise errors
  /// as startActor().
  virtual Expected<void> updateActor(const std::string& host_id, const std::string& actor_id,
                                     const std::string& new_ref) = 0;

  /// Runs an actor auction and starts `ref` on one bidder chosen at random. Returns that host's id. Errors:
  /// kNotFound "no host bid for actor REF …" when none bid; otherwise as actorAuction() and startActor().
  virtual Expected<std::string> startActorAnywhere(const std::string& ref, const Constraints& constraints) = 0;
  /// The same for a provider.
  virtual Expected<std::string> startProviderAnywhere(const std::string& ref, const std::string& link_name,
                                                      const Constraints& constraints) = 0;

  // ---- links --------------------------------------------------------------------------------------------------

  /// Sets a link lattice-wide, as wasmCloud 0.18's control client does: publishes the msgpack LinkDefinition on
  /// `wasmbus.rpc.{ns}.links` (what 0.18 hosts apply), and, when the server has JetStream, first stores it in the
  /// namespace's key-value bucket (what stratus hosts watch), so that the link outlives every host. An empty
  /// link name means "default". No host acknowledges: check links() to see it applied. Errors: kInvalidArgument
  /// for an empty actor, provider or contract id; kUnavailable naming the server or bucket when the store or the
  /// publish failed.
  virtual Expected<void> putLink(const host::LinkDefinition& link) = 0;
  /// Removes a link lattice-wide: publishes on `wasmbus.rpc.{ns}.remlinks` and erases it from the bucket. Errors as
  /// putLink().
  virtual Expected<void> deleteLink(const std::string& actor_id, const std::string& contract_id,
                                    const std::string& link_name) = 0;

  // ---- calls --------------------------------------------------------------------------------------------------

  /// Calls `operation` on actor `actor_key` (a module public key) wherever it runs, as wasmCloud's control client
  /// does: an invocation from the "system" actor, signed by this client's server key (which is also its
  /// `host_id`), sent on `wasmbus.rpc.{ns}.{actor_key}`; one host running the actor answers. Returns the actor's
  /// reply. Errors: kInvalidArgument when `actor_key` is not a module public key; kNotFound when the actor runs
  /// nowhere in the namespace; kDeadlineExceeded when no reply came in time; kHostError carrying the remote error
  /// text (the actor failed, or the host refused the invocation); kMalformed for an unreadable reply.
  virtual Expected<Bytes> call(const std::string& actor_key, const std::string& operation,
                               std::span<const uint8_t> payload) = 0;
};

}  // namespace stratus::lattice
