// The lattice's bus: calls to targets on this host stay in process; the others go over NATS.
#pragma once

#include <chrono>
#include <functional>

#include "lattice/nats_client.h"
#include "lattice/subjects.h"
#include "lattice/wire.h"
#include "stratus/claims/nkeys.h"
#include "stratus/host/bus.h"

namespace stratus::lattice {

/// Delivers an invocation whose target runs here through the host's local bus (no NATS hop); sends any other as a
/// wasmCloud 0.18 msgpack Invocation, signed by `signer` (the host's server key, or the cluster key), to the
/// target's subject and waits up to `timeout` for the InvocationResponse. Errors name the target: kNotFound when
/// nothing in the lattice serves it, kUnavailable when the connection is down, kDeadlineExceeded when no reply came,
/// kHostError carrying the remote side's error. Runs on the caller's thread; thread-safe.
class LatticeBus final : public host::Bus {
 public:
  LatticeBus(host::Bus& local, std::function<bool(const host::Entity&)> runs_here, NatsClient& rpc,
             Subjects subjects, const claims::KeyPair& signer, std::chrono::milliseconds timeout)
      : local_(local),
        runs_here_(std::move(runs_here)),
        rpc_(rpc),
        subjects_(std::move(subjects)),
        signer_(signer),
        timeout_(timeout) {}

  Expected<Bytes> invoke(const host::Invocation& invocation) override;

 private:
  Expected<Bytes> remote(const host::Invocation& invocation);

  host::Bus& local_;
  const std::function<bool(const host::Entity&)> runs_here_;
  NatsClient& rpc_;
  const Subjects subjects_;
  const claims::KeyPair& signer_;
  const std::chrono::milliseconds timeout_;
};

/// The wire form of a host entity (owning copies of its strings).
WireEntity toWire(const host::Entity& entity);
/// A display name for errors: "actor M…" or "provider V… (wasmcloud:keyvalue, link name 'default')".
std::string describeEntity(const WireEntity& entity);

}  // namespace stratus::lattice
