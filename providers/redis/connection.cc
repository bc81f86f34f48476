#include "connection.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace stratus::providers::redis {
namespace {

timeval toTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string millis(std::chrono::milliseconds ms) {
  std::string out = std::to_string(ms.count());
  out += " ms";
  return out;
}

// hiredis writes with write(2): a write to a connection the server reset raises SIGPIPE, whose default action kills
// the whole host. A library must not change the process's disposition, so the calling thread blocks SIGPIPE for
// the duration of the command and swallows one it caused (the usual technique for libraries on Linux, which has no
// SO_NOSIGPIPE).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    if (!was_pending_) pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (was_pending_) return;  // not ours to consume; the mask was left alone
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

// Sends argv without going through hiredis's printf-style formatting, so keys and values are binary-safe. `err`
// receives errno as the command left it (the guard's cleanup may change errno).
ReplyPtr runArgv(redisContext* ctx, std::span<const std::string_view> argv, int* err) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (std::string_view a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  SigpipeGuard guard;
  errno = 0;
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(argv.size()), ptrs.data(), lens.data())));
  *err = errno;
  return reply;
}

// Whether a failed command ran out of time: SO_RCVTIMEO/SO_SNDTIMEO make a blocking read or write fail with EAGAIN.
bool timedOut(const redisContext* ctx, int err) {
  return ctx->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK);
}

}  // namespace

Connection::~Connection() { close(); }

void Connection::close() {
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
}

bool Connection::stale() const {
  if (ctx_->err != 0) return true;
  pollfd p{};
  p.fd = ctx_->fd;
  p.events = POLLIN;
  return ::poll(&p, 1, 0) != 0;  // readable (EOF), hung up, error, or poll itself failed
}

std::optional<Failure> Connection::connect() {
  if (ctx_ != nullptr && !stale()) return std::nullopt;
  close();
  const timeval tv = toTimeval(settings_.timeout);
  ctx_ = redisConnectWithTimeout(settings_.url.host.c_str(), settings_.url.port, tv);
  if (ctx_ == nullptr) return Failure{Fault::kConnect, "out of memory allocating the connection"};
  if (ctx_->err != 0) {
    std::string detail = "connect failed: ";
    detail += ctx_->errstr;
    if (std::strstr(ctx_->errstr, "timed out") != nullptr) {
      detail += " (no answer within TIMEOUT_MS = ";
      detail += millis(settings_.timeout);
      detail += ")";
    }
    close();
    return Failure{Fault::kConnect, std::move(detail)};
  }
  // hiredis 0.14 applies the connect timeout to connect() only; every later read and write gets its own.
  if (redisSetTimeout(ctx_, tv) != REDIS_OK) {
    std::string detail = "setting the socket timeout failed: ";
    detail += ctx_->errstr;
    close();
    return Failure{Fault::kConnect, std::move(detail)};
  }
  redisEnableKeepAlive(ctx_);  // finds a peer that vanished without closing while the connection sits idle

  const RedisUrl& url = settings_.url;
  if (!url.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!url.user.empty()) auth.push_back(url.user);
    auth.push_back(url.password);
    if (auto failed = handshake("AUTH", auth)) return failed;
  }
  if (url.db != 0) {
    const std::string db = std::to_string(url.db);
    const std::string_view select[] = {"SELECT", db};
    std::string what = "SELECT ";
    what += db;
    if (auto failed = handshake(what, select)) return failed;
  }
  return std::nullopt;
}

std::optional<Failure> Connection::handshake(std::string_view what, std::span<const std::string_view> argv) {
  int err = 0;
  ReplyPtr reply = runArgv(ctx_, argv, &err);
  std::string detail(what);
  if (!reply) {
    detail += " got no answer: ";
    detail += ctx_->errstr;
    if (timedOut(ctx_, err)) {
      detail += " (nothing within TIMEOUT_MS = ";
      detail += millis(settings_.timeout);
      detail += ")";
    }
  } else if (reply->type == REDIS_REPLY_ERROR) {
    detail += " refused: ";
    detail.append(reply->str, reply->len);  // Redis never echoes the password in its errors
  } else {
    return std::nullopt;
  }
  close();
  return Failure{Fault::kConnect, std::move(detail)};
}

CommandResult Connection::command(std::span<const std::string_view> argv) {
  if (auto failed = connect()) return {nullptr, std::move(failed)};
  int err = 0;
  ReplyPtr reply = runArgv(ctx_, argv, &err);
  if (reply) return {std::move(reply), std::nullopt};

  Failure failure;
  if (timedOut(ctx_, err)) {
    failure.fault = Fault::kTimeout;
    failure.detail = "no reply within TIMEOUT_MS = ";
    failure.detail += millis(settings_.timeout);
  } else {
    failure.fault = Fault::kLost;
    failure.detail = ctx_->err == REDIS_ERR_EOF ? std::string("the server closed the connection")
                                                : std::string(ctx_->errstr);
  }
  close();
  return {nullptr, std::move(failure)};
}

ConnectionPool::Lease::~Lease() {
  if (connection_) pool_->giveBack(std::move(connection_));
}

Expected<ConnectionPool::Lease> ConnectionPool::acquire() {
  MutexLock lock(mu_);
  const bool ready = returned_.wait_for(lock.native(), settings_.timeout, [&]() STRATUS_NO_THREAD_SAFETY_ANALYSIS {
    return !idle_.empty() || created_ < settings_.pool_size;
  });
  if (!ready) {
    std::string msg = "all ";
    msg += std::to_string(settings_.pool_size);
    msg += " connections to ";
    msg += settings_.url.redacted;
    msg += " stayed busy for TIMEOUT_MS = ";
    msg += millis(settings_.timeout);
    msg += " (raise POOL_SIZE?)";
    return fail(ErrorCode::kDeadlineExceeded, std::move(msg));
  }
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(connection));
  }
  ++created_;
  lock.unlock();
  return Lease(this, std::make_unique<Connection>(settings_));  // it connects on first use, outside the lock
}

void ConnectionPool::giveBack(std::unique_ptr<Connection> connection) {
  {
    MutexLock lock(mu_);
    idle_.push_back(std::move(connection));
  }
  returned_.notify_one();
}

}  // namespace stratus::providers::redis
