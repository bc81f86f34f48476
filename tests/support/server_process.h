// Real servers for integration tests (redis-server, nats-server, s3rver, ...): started as child processes on a free
// loopback port, waited for until they accept connections, stopped (and restartable) by the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::testing {

/// A TCP port on 127.0.0.1 that was free a moment ago: a random one in 10000..32000 that binds and that nothing
/// listens on (below the ephemeral range, so concurrent test processes rarely pick the same one).
uint16_t freeLoopbackPort();

/// Whether something accepts TCP connections on 127.0.0.1:port.
bool acceptsConnections(uint16_t port);

/// The full path of `program` on PATH, or "" when it is not installed.
std::string findProgram(const std::string& program);

/// A child process running a server that listens on 127.0.0.1:port. Stopped (SIGTERM, then SIGKILL after 5 s)
/// when destroyed. Not thread-safe.
class ServerProcess {
 public:
  /// Starts `argv` (argv[0] is looked up on PATH) with stdout/stderr appended to `log_path` (or discarded when
  /// empty) and waits up to `timeout` until it accepts connections on `port`. Errors: kNotFound when the program is
  /// not installed, kUnavailable when it exits or never listens (the message carries the log's tail).
  static Expected<ServerProcess> start(std::vector<std::string> argv, uint16_t port, std::string log_path = {},
                                       std::chrono::milliseconds timeout = std::chrono::seconds(15));

  ServerProcess(ServerProcess&& other) noexcept;
  ServerProcess& operator=(ServerProcess&& other) noexcept;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  /// Stops the server and waits for it to exit (the port is closed when this returns).
  void stop();
  /// Stops it and starts it again with the same command on the same port.
  Expected<void> restart(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  /// SIGSTOP / SIGCONT: a server that accepts connections but never answers (a "slow server").
  void pause();
  void resume();

 private:
  ServerProcess(std::vector<std::string> argv, uint16_t port, std::string log_path)
      : argv_(std::move(argv)), port_(port), log_path_(std::move(log_path)) {}
  Expected<void> launch(std::chrono::milliseconds timeout);

  std::vector<std::string> argv_;
  uint16_t port_ = 0;
  std::string log_path_;
  pid_t pid_ = -1;
};

}  // namespace stratus::testing
