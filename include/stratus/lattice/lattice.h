// A host in a lattice: stratus hosts (and wasmCloud 0.18 hosts and clients) joined over NATS into one distributed
// runtime. RPC between actors and providers on different hosts (msgpack, signed invocations), the control interface
// (JSON), events and heartbeats, and links and claims shared by every host. Wire formats: wasmCloud 0.18.2, see
// docs/lattice.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stratus/common/expected.h"
#include "stratus/host/host.h"

namespace stratus::lattice {

/// Where a NATS server is and how to log in to it.
struct NatsEndpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 4222;
  /// A .creds file (user JWT and nkey seed), as `nats` and wasmCloud use; "" for none.
  std::string creds_file;
  /// A user JWT and the nkey seed ('SU…') that signs the server's nonce; both or neither. A seed alone logs in
  /// as an nkey user.
  std::string jwt;
  std::string seed;

  /// "nats://host:port".
  std::string url() const;
  bool operator==(const NatsEndpoint&) const = default;
};

/// How a host joins its lattice.
struct LatticeOptions {
  /// The NATS server for RPC (invocations, link and claims adverts) and the one for the control interface (commands,
  /// queries, events). Often the same.
  NatsEndpoint rpc;
  NatsEndpoint control;
  /// The lattice namespace: subjects are wasmbus.rpc.{ns}.… and wasmbus.ctl.{ns}.… ("default" as wasmCloud).
  std::string ns = "default";
  /// How long a call to an actor or provider on another host waits for its reply (2 s, as wasmCloud 0.18).
  std::chrono::milliseconds rpc_timeout{2000};
  /// How often the host publishes a Heartbeat event (30 s, as wasmCloud 0.18).
  std::chrono::milliseconds heartbeat_interval{30000};
  /// Beyond wasmCloud 0.18, which accepts an invocation signed by any server key: when not empty, only invocations
  /// signed by one of these cluster keys ('C…') are accepted, and this host signs its own with `cluster_seed`
  /// (which must be the seed of one of them).
  std::vector<std::string> cluster_issuers;
  std::string cluster_seed;
  /// Upper bound of threads running received invocations and control commands at once (others wait their turn).
  size_t max_inbound_threads = 64;
};

/// A running host joined to a lattice. Owns the host and its NATS connections; thread-safe. Destroying it stops
/// taking invocations and commands (those running finish), publishes HostStopped, stops the host, then leaves.
class LatticeHost {
 public:
  /// Connects to the RPC and control servers (errors name the server and why: unreachable, credentials refused),
  /// builds the host from `builder` with the lattice's bus and event listener, subscribes its subjects and
  /// publishes HostStarted. kInvalidArgument for bad options (e.g. a cluster seed that is not among the issuers).
  static Expected<std::unique_ptr<LatticeHost>> start(host::HostBuilder builder, LatticeOptions options);
  virtual ~LatticeHost() = default;

  /// The host: start actors and providers, set links, call actors, all lattice-wide.
  virtual host::Host& host() = 0;
  /// The lattice namespace.
  virtual const std::string& ns() const = 0;
};

}  // namespace stratus::lattice
