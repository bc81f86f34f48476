// The HTTP side of the wasmcloud:httpserver provider: one listener per linked actor, all served by one small
// io_context thread group with a coroutine per connection; actor calls run on a separate blocking pool (CallPool).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config.h"
#include "stratus/common/expected.h"
#include "stratus/provider.h"

namespace stratus::httpserver {

/// Delivers one encoded wasmcloud:httpserver Request to `actor` and returns the actor's encoded Response (or why
/// it failed). Runs on the server's blocking pool and may block for as long as the actor takes; called from
/// several threads at once.
using ActorCall = std::function<Expected<Bytes>(const std::string& actor, const Bytes& request)>;

/// Receives the server's log lines; called from any of the server's threads and from bind's caller.
using LogSink = std::function<void(stratus_log_level level, std::string_view text)>;

/// Thread counts and shutdown bounds of a Server.
struct ServerOptions {
  /// Threads running the io_context shared by every listener and connection.
  unsigned io_threads = 2;
  /// Threads making (blocking) actor calls; bounds how many requests are with actors at once.
  unsigned call_threads = 16;
  /// How long a queued actor call waits for a busy call thread before another one is woken (see CallPool).
  std::chrono::microseconds call_stall{1000};
  /// How long stop() lets connections close on their own before it stops the io_context outright.
  std::chrono::milliseconds stop_grace{1000};
};

/// An HTTP/1.1 server with one listener per actor. All members are thread-safe. The io and call threads start in
/// the constructor; stop() (or the destructor) closes everything and joins them.
class Server {
 public:
  /// `call` and `log` must stay callable until stop() returns; neither is called after that.
  Server(ActorCall call, LogSink log, ServerOptions options = {});
  /// Calls stop().
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Starts serving `actor` on `config`'s address and returns the bound endpoint ("IP:PORT", with the actual port
  /// when config.port is 0). Logs "actor <key> listening on <endpoint>" at info level. Idempotent: when `actor`
  /// is already bound, its listener is kept unchanged (even if `config` differs) and its endpoint returned.
  /// Errors: kIo naming the actor, the address and the OS reason (e.g. "Address already in use");
  /// kUnavailable after stop().
  Expected<std::string> bind(const std::string& actor, const ListenerConfig& config);

  /// Stops serving `actor`: closes its listening socket before returning (new connections are refused), and
  /// closes its open connections (asynchronously; a request with the actor is answered by nobody). Returns false
  /// when the actor was not bound, which is not an error.
  bool unbind(const std::string& actor);

  /// Whether every io thread is still running (false after stop()).
  bool healthy() const;

  /// Stops accepting, closes listeners and connections, and joins all threads. Returns promptly with idle
  /// keep-alive connections open; it does wait for actor calls already in progress, since those cannot be
  /// interrupted. Idempotent.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::httpserver
