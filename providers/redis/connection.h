// Connections to one Redis server (hiredis 0.14, blocking API with timeouts) and the small pool an actor's calls
// share.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redis_url.h"
#include "stratus/common/expected.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::providers::redis {

/// How one actor's connections reach Redis.
struct ConnectionSettings {
  RedisUrl url;
  /// Limit of a TCP connect, of the AUTH/SELECT handshake and of each command's reply; also the longest wait for a
  /// free connection when all of the pool's are in use.
  std::chrono::milliseconds timeout{2000};
  /// Most connections open at once (one per concurrent call).
  size_t pool_size = 4;
};

/// Frees a hiredis reply.
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
/// An owned reply; a Redis error reply (REDIS_REPLY_ERROR) is a reply too.
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

/// Why a command got no reply. Redis error replies (WRONGTYPE, ...) are not failures: they come back as replies.
enum class Fault {
  kConnect,  ///< no usable connection (refused, unreachable, connect timeout, AUTH or SELECT failed): not sent
  kTimeout,  ///< sent, no reply within the timeout: the server may still run it later
  kLost,     ///< sent, then the connection broke (server closed it, reset, protocol error): it may or may not have run
};

/// A command that got no reply: what happened and the OS's or the server's words for it.
struct Failure {
  Fault fault = Fault::kConnect;
  std::string detail;
};

/// The outcome of one command: a reply (possibly a Redis error reply) or a failure.
struct CommandResult {
  ReplyPtr reply;                  ///< set when Redis answered
  std::optional<Failure> failure;  ///< set when it did not
};

/// One connection to Redis. Not thread-safe: a ConnectionPool lends it to one call at a time. Connects lazily and
/// reconnects by itself: before each command, and after any failure.
class Connection {
 public:
  /// `settings` must outlive the connection (the pool owns both).
  explicit Connection(const ConnectionSettings& settings) : settings_(settings) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one command; `argv` items are binary-safe. Connects first when there is no connection, or when the idle
  /// socket shows the server closed it (e.g. it restarted): such a reconnect happens before anything is sent, so it
  /// is safe for every command. After a failure the connection is closed (a late reply would answer the wrong
  /// command) and the next command reconnects.
  CommandResult command(std::span<const std::string_view> argv);

  /// Connects now if not connected (used to check a link at BindActor); the failure when it cannot.
  std::optional<Failure> connect();

 private:
  void close();
  /// Whether an idle connection is unusable: hiredis saw an error, or the socket is readable although no command is
  /// outstanding, which on a plain Redis connection means end-of-file (or an error) from a server that went away.
  bool stale() const;
  std::optional<Failure> handshake(std::string_view what, std::span<const std::string_view> argv);

  const ConnectionSettings& settings_;
  redisContext* ctx_ = nullptr;
};

/// Up to settings.pool_size connections to one server, lent to one call each. Thread-safe.
class ConnectionPool {
 public:
  explicit ConnectionPool(ConnectionSettings settings) : settings_(std::move(settings)) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  const ConnectionSettings& settings() const { return settings_; }

  /// A connection lent to one call; it goes back to the pool when the lease is destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  /// An idle connection, a new one while fewer than pool_size exist, or else the first one returned within the
  /// timeout. Error kDeadlineExceeded when every connection stayed busy that long.
  Expected<Lease> acquire() STRATUS_EXCLUDES(mu_);

 private:
  void giveBack(std::unique_ptr<Connection> connection) STRATUS_EXCLUDES(mu_);

  const ConnectionSettings settings_;
  Mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Connection>> idle_ STRATUS_GUARDED_BY(mu_);
  size_t created_ STRATUS_GUARDED_BY(mu_) = 0;
};

}  // namespace stratus::providers::redis
