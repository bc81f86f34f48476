// A real nats-server with JetStream for the lattice tests, on a free loopback port, in a folder of its own.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "support/server_process.h"

namespace stratus::testing {

/// nats-server -js on 127.0.0.1 (a free port), its store in dir()/jetstream and its log in dir()/nats.log. dir()
/// is a fresh folder the test may use too; it is removed with the server.
class NatsServer {
 public:
  /// Errors: kNotFound when nats-server is not installed (scripts/install-deps.sh --test), kUnavailable when it
  /// does not start (the message holds its log's tail).
  static Expected<std::unique_ptr<NatsServer>> start(const std::string& name);
  ~NatsServer();

  uint16_t port() const { return process_.port(); }
  const std::filesystem::path& dir() const { return dir_; }
  /// The process, to stop, restart, pause or resume it.
  ServerProcess& process() { return process_; }

 private:
  NatsServer(ServerProcess process, std::filesystem::path dir) : process_(std::move(process)), dir_(std::move(dir)) {}
  ServerProcess process_;
  std::filesystem::path dir_;
};

}  // namespace stratus::testing
