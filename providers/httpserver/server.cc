#include "server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <exception>
#include <future>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "call_pool.h"
#include "stratus/codec/http.h"
#include "stratus/common/strings.h"
#include "stratus/common/thread_annotations.h"

namespace stratus::httpserver {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Request = http::request<http::vector_body<uint8_t>>;
using Response = http::response<http::vector_body<uint8_t>>;

// Bounds on a peer that stops reading (write) or keeps sending after we answered with an error (linger).
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::chrono::seconds kLingerTimeout{1};
// How long close() waits for the io threads to close a listening socket before giving up on them.
constexpr std::chrono::seconds kCloseWait{2};
constexpr std::string_view kDefaultCorsMethods = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";

auto redirect(beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 9110 token characters: what a header name may consist of.
bool isToken(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// Header values and reason phrases from the actor are untrusted: a CR or LF in them would let an actor inject
// headers or split the response.
bool isFieldValue(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::string sanitizeReason(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u == '\t' || (u >= 0x20 && u != 0x7f)) out.push_back(c);
  }
  return out;
}

// Framing and connection management stay ours: an actor's Content-Length could disagree with its body, and
// hop-by-hop headers describe our connection, not the actor's reply.
bool isManagedHeader(std::string_view lowered) {
  static constexpr std::array<std::string_view, 8> kManaged = {"content-length", "transfer-encoding", "connection",
                                                               "keep-alive",     "upgrade",           "te",
                                                               "trailer",        "proxy-connection"};
  return std::find(kManaged.begin(), kManaged.end(), lowered) != kManaged.end();
}

Response plain(http::status status, unsigned version, std::string_view text) {
  Response res{status, version};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body().assign(text.begin(), text.end());
  res.content_length(res.body().size());
  return res;
}

codec::HttpRequest toActorRequest(Request& req) {
  codec::HttpRequest out;
  out.method = std::string(sv(req.method_string()));
  std::string_view target = sv(req.target());
  // absolute-form targets (sent to proxies) carry scheme and authority; the actor only wants the path.
  if (target.starts_with("http://") || target.starts_with("https://")) {
    auto slash = target.find('/', target.find("://") + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  auto question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) out.query_string = std::string(target.substr(question + 1));
  for (const auto& field : req) {
    std::string name = lower(sv(field.name_string()));
    std::string_view value = sv(field.value());
    auto [it, inserted] = out.header.emplace(std::move(name), std::string(value));
    if (!inserted) {
      it->second += ", ";
      it->second += value;
    }
  }
  out.body = std::move(req.body());
  return out;
}

Response fromActorResponse(codec::HttpResponse&& r, unsigned version, bool head) {
  if (r.status_code < 200) {
    return plain(http::status::bad_gateway, version,
                 "actor replied with the informational status " + std::to_string(r.status_code) +
                     ", which cannot end a request");
  }
  Response res;
  res.version(version);
  res.result(r.status_code);
  std::string reason = sanitizeReason(r.status);
  if (!reason.empty()) {
    res.reason(reason);
  } else if (res.result() == http::status::unknown) {
    res.reason("Unknown");
  }
  for (const auto& [name, value] : r.header) {
    if (!isToken(name) || !isFieldValue(value) || isManagedHeader(lower(name))) continue;
    res.insert(name, value);
  }
  res.body() = std::move(r.body);
  if (res.result() == http::status::no_content || res.result() == http::status::not_modified) {
    res.body().clear();
  } else {
    res.content_length(res.body().size());
    if (head) res.body().clear();  // HEAD: announce the length, send no body
  }
  return res;
}

// The value for Access-Control-Allow-Origin when `origin` may see responses, or nullopt.
std::optional<std::string> allowedOrigin(const ListenerConfig& config, std::string_view origin) {
  if (config.cors_origins.empty() || origin.empty()) return std::nullopt;
  std::string_view list = config.cors_origins;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    if (item == "*") return std::string("*");
    if (item == origin) return std::string(origin);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return std::nullopt;
}

void addCorsHeaders(Response& res, const std::optional<std::string>& origin) {
  if (!origin) return;
  if (res.find(http::field::access_control_allow_origin) == res.end()) {
    res.set(http::field::access_control_allow_origin, *origin);
  }
  if (*origin != "*") {
    // Caches must not hand one origin's response to another.
    auto vary = res.find(http::field::vary);
    if (vary == res.end()) {
      res.set(http::field::vary, "Origin");
    } else if (lower(sv(vary->value())).find("origin") == std::string::npos) {
      res.set(http::field::vary, std::string(sv(vary->value())) + ", Origin");
    }
  }
}

Response preflight(const Request& req, const ListenerConfig& config, const std::optional<std::string>& origin) {
  Response res{http::status::no_content, req.version()};
  if (!origin) return res;  // no CORS headers: the browser refuses the actual request
  res.set(http::field::access_control_allow_methods,
          config.cors_methods.empty() ? std::string(kDefaultCorsMethods) : config.cors_methods);
  std::string headers = config.cors_headers;
  if (headers.empty()) headers = std::string(sv(req[http::field::access_control_request_headers]));
  if (!headers.empty() && isFieldValue(headers)) res.set(http::field::access_control_allow_headers, headers);
  res.set(http::field::access_control_max_age, "600");
  return res;
}

std::string formatEndpoint(const tcp::endpoint& ep) {
  std::string address = ep.address().to_string();
  std::string port = std::to_string(ep.port());
  return ep.address().is_v6() ? "[" + address + "]:" + port : address + ":" + port;
}

// One actor call in flight, shared by the connection waiting for it and the pool thread making it. The pool thread
// never touches the connection: it stores the result and wakes the waiter by cancelling the timer on the
// connection's strand.
struct PendingCall {
  explicit PendingCall(net::any_io_executor strand) : timer(std::move(strand)) {}

  net::steady_timer timer;  // used on the connection's strand only
  Mutex mu;
  std::optional<Expected<Bytes>> result STRATUS_GUARDED_BY(mu);
  bool abandoned STRATUS_GUARDED_BY(mu) = false;  // the connection stopped waiting

  bool finished() STRATUS_EXCLUDES(mu) {
    MutexLock lock(mu);
    return result.has_value();
  }
  bool isAbandoned() STRATUS_EXCLUDES(mu) {
    MutexLock lock(mu);
    return abandoned;
  }
  void finish(Expected<Bytes> r) STRATUS_EXCLUDES(mu) {
    MutexLock lock(mu);
    result = std::move(r);
  }
  // The result if the call finished; otherwise marks the call abandoned so a pool thread that has not started it
  // yet skips it.
  std::optional<Expected<Bytes>> takeOrAbandon() STRATUS_EXCLUDES(mu) {
    MutexLock lock(mu);
    if (result) return std::move(result);
    abandoned = true;
    return std::nullopt;
  }
};

class Listener;

class Core {
 public:
  Core(ActorCall call, LogSink log, ServerOptions options);
  ~Core() { stop(); }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  Expected<std::string> bind(const std::string& actor, const ListenerConfig& config) STRATUS_EXCLUDES(mu_);
  bool unbind(const std::string& actor) STRATUS_EXCLUDES(mu_);
  bool healthy() const STRATUS_EXCLUDES(io_mu_);
  void stop() STRATUS_EXCLUDES(mu_, io_mu_);

  net::io_context& ioc() { return *ioc_; }
  void log(stratus_log_level level, std::string_view text) const;
  // Runs the actor call on the blocking pool; `call` gets the result and its timer is cancelled when done.
  void submit(std::shared_ptr<PendingCall> call, std::string actor, Bytes request);

 private:
  void runIo() STRATUS_EXCLUDES(io_mu_);
  Expected<Bytes> invoke(const std::string& actor, const Bytes& request);

  ActorCall call_;
  LogSink log_;
  ServerOptions options_;
  std::unique_ptr<net::io_context> ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::unique_ptr<CallPool> pool_;
  std::vector<std::thread> io_threads_;
  std::atomic<bool> stopping_{false};

  // Serializes bind, unbind and stop, so a port released by unbind is free when a following bind runs.
  Mutex mu_;
  bool stopped_ STRATUS_GUARDED_BY(mu_) = false;
  std::unordered_map<std::string, std::shared_ptr<Listener>> listeners_ STRATUS_GUARDED_BY(mu_);

  mutable Mutex io_mu_;
  std::condition_variable io_cv_;
  unsigned io_running_ STRATUS_GUARDED_BY(io_mu_) = 0;
};

class Session;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(Core& core, std::string actor, ListenerConfig config, tcp::acceptor acceptor, std::string endpoint)
      : core_(core),
        actor_(std::move(actor)),
        config_(std::move(config)),
        endpoint_(std::move(endpoint)),
        acceptor_(std::move(acceptor)) {}

  static net::awaitable<void> acceptLoop(std::shared_ptr<Listener> self);
  // Closes the listening socket (waiting for it, bounded) and asks every connection to close.
  void close() STRATUS_EXCLUDES(mu_);
  // Registers a new connection; false when the listener is closed already.
  bool track(const std::shared_ptr<Session>& session) STRATUS_EXCLUDES(mu_);
  void untrack(const Session* session) STRATUS_EXCLUDES(mu_);

  Core& core() { return core_; }
  const std::string& actor() const { return actor_; }
  const ListenerConfig& config() const { return config_; }
  const std::string& endpoint() const { return endpoint_; }
  net::any_io_executor executor() { return acceptor_.get_executor(); }

 private:
  Core& core_;
  const std::string actor_;
  const ListenerConfig config_;
  const std::string endpoint_;
  tcp::acceptor acceptor_;  // on its strand once the accept loop runs
  Mutex mu_;
  bool closed_ STRATUS_GUARDED_BY(mu_) = false;
  std::unordered_map<const Session*, std::weak_ptr<Session>> sessions_ STRATUS_GUARDED_BY(mu_);
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Listener> listener, tcp::socket socket)
      : listener_(std::move(listener)),
        config_(listener_->config()),
        strand_(socket.get_executor()),
        stream_(std::move(socket)) {}

  static void start(std::shared_ptr<Session> self) {
    auto executor = self->strand_;
    net::co_spawn(executor, run(std::move(self)), net::detached);
  }
  // Thread-safe: closes the connection on its strand, waking whatever it waits for.
  void close() {
    net::post(strand_, [self = shared_from_this()] { self->closeNow(); });
  }

 private:
  static net::awaitable<void> run(std::shared_ptr<Session> self);
  net::awaitable<void> serve();
  net::awaitable<Response> handle(Request& req);
  net::awaitable<std::optional<Expected<Bytes>>> callActor(Bytes request);
  net::awaitable<void> rejectRead(const beast::error_code& ec);
  net::awaitable<void> lingeringClose();
  void closeNow();

  std::shared_ptr<Listener> listener_;
  const ListenerConfig& config_;  // owned by listener_
  net::any_io_executor strand_;
  beast::tcp_stream stream_;
  bool closing_ = false;                  // strand only
  std::shared_ptr<PendingCall> pending_;  // strand only
};

// ---- Core ----

Core::Core(ActorCall call, LogSink log, ServerOptions options)
    : call_(std::move(call)),
      log_(std::move(log)),
      options_(options),
      ioc_(std::make_unique<net::io_context>(static_cast<int>(std::max(1u, options.io_threads)))),
      work_(net::make_work_guard(*ioc_)),
      pool_(std::make_unique<CallPool>(options.call_threads, options.call_stall)) {
  options_.io_threads = std::max(1u, options_.io_threads);
  try {
    for (unsigned i = 0; i < options_.io_threads; ++i) {
      io_threads_.emplace_back([this] { runIo(); });
      MutexLock lock(io_mu_);
      ++io_running_;
    }
  } catch (...) {
    stop();
    throw;
  }
}

void Core::log(stratus_log_level level, std::string_view text) const {
  if (!log_) return;
  try {
    log_(level, text);
  } catch (...) {  // a failing log sink must not take a connection or an io thread down
  }
}

void Core::runIo() {
  for (;;) {
    try {
      ioc_->run();
      break;
    } catch (const std::exception& e) {
      log(STRATUS_LOG_ERROR, std::string("httpserver: unexpected exception on an io thread: ") + e.what());
    } catch (...) {
      log(STRATUS_LOG_ERROR, "httpserver: unexpected exception on an io thread");
    }
  }
  if (!stopping_.load()) log(STRATUS_LOG_ERROR, "httpserver: an io thread stopped unexpectedly");
  {
    MutexLock lock(io_mu_);
    --io_running_;
  }
  io_cv_.notify_all();
}

bool Core::healthy() const {
  MutexLock lock(io_mu_);
  return !stopping_.load() && io_running_ == options_.io_threads;
}

Expected<Bytes> Core::invoke(const std::string& actor, const Bytes& request) {
  try {
    return call_(actor, request);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, std::string("dispatch threw: ") + e.what());
  } catch (...) {
    return fail(ErrorCode::kInternal, "dispatch threw an unknown exception");
  }
}

void Core::submit(std::shared_ptr<PendingCall> call, std::string actor, Bytes request) {
  pool_->post([this, call = std::move(call), actor = std::move(actor), request = std::move(request)] {
    // The client may have had its 504 (or gone) while this waited for a pool thread: don't bother the actor.
    if (call->isAbandoned()) return;
    if (stopping_.load()) {
      call->finish(fail(ErrorCode::kUnavailable, "the httpserver provider is stopping"));
    } else {
      call->finish(invoke(actor, request));
    }
    net::post(call->timer.get_executor(), [call] { call->timer.cancel(); });
  });
}

Expected<std::string> Core::bind(const std::string& actor, const ListenerConfig& config) {
  MutexLock lock(mu_);
  if (stopped_) return fail(ErrorCode::kUnavailable, "the httpserver provider is stopped");
  if (auto it = listeners_.find(actor); it != listeners_.end()) {
    log(STRATUS_LOG_DEBUG,
        "actor " + actor + " is already served on " + it->second->endpoint() + "; keeping that listener");
    return it->second->endpoint();
  }
  beast::error_code ec;
  auto address = net::ip::make_address(config.address, ec);
  if (ec) {
    return fail(ErrorCode::kInvalidArgument,
                "httpserver: '" + config.address + "' (actor " + actor + ") is not an IP address: " + ec.message());
  }
  const tcp::endpoint wanted(address, config.port);
  tcp::acceptor acceptor(net::make_strand(*ioc_));
  auto failed = [&](std::string_view step) {
    return fail(ErrorCode::kIo, "httpserver cannot listen on " + config.endpoint() + " for actor " + actor + ": " +
                                    std::string(step) + " failed: " + ec.message() + " (errno " +
                                    std::to_string(ec.value()) + ")");
  };
  acceptor.open(wanted.protocol(), ec);
  if (ec) return failed("socket");
  // Lets a restarted host reuse a port whose old connections linger in TIME_WAIT; a live listener still conflicts.
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return failed("setsockopt(SO_REUSEADDR)");
  acceptor.bind(wanted, ec);
  if (ec) return failed("bind");
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return failed("listen");
  const tcp::endpoint local = acceptor.local_endpoint(ec);
  if (ec) return failed("getsockname");
  std::string endpoint = formatEndpoint(local);

  auto listener = std::make_shared<Listener>(*this, actor, config, std::move(acceptor), endpoint);
  listeners_.emplace(actor, listener);
  net::co_spawn(listener->executor(), Listener::acceptLoop(listener), net::detached);
  log(STRATUS_LOG_INFO, "actor " + actor + " listening on " + endpoint);
  return endpoint;
}

bool Core::unbind(const std::string& actor) {
  MutexLock lock(mu_);
  auto it = listeners_.find(actor);
  if (it == listeners_.end()) return false;
  std::shared_ptr<Listener> listener = std::move(it->second);
  listeners_.erase(it);
  listener->close();
  log(STRATUS_LOG_INFO, "actor " + actor + " no longer served on " + listener->endpoint());
  return true;
}

void Core::stop() {
  std::unordered_map<std::string, std::shared_ptr<Listener>> listeners;
  {
    MutexLock lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    listeners.swap(listeners_);
    for (auto& [actor, listener] : listeners) listener->close();
  }
  // With the listeners and connections closed the io threads run out of work and return; a straggler must not
  // hold stop up, so after the grace period the io_context is stopped outright.
  work_.reset();
  bool drained = false;
  {
    MutexLock lock(io_mu_);
    drained = io_cv_.wait_for(lock.native(), options_.stop_grace,
                              [&]() STRATUS_NO_THREAD_SAFETY_ANALYSIS { return io_running_ == 0; });
  }
  if (!drained) ioc_->stop();
  for (auto& t : io_threads_) {
    if (t.joinable()) t.join();
  }
  // Actor calls in progress cannot be interrupted; the dispatcher is only valid until we return, so wait for them.
  pool_->join();
  listeners.clear();
  // Destroys what is still suspended (coroutine frames, posted wake-ups) while everything they reference lives.
  ioc_.reset();
}

// ---- Listener ----

net::awaitable<void> Listener::acceptLoop(std::shared_ptr<Listener> self) {
  try {
    for (;;) {
      tcp::socket socket(net::make_strand(self->core_.ioc()));
      beast::error_code ec;
      co_await self->acceptor_.async_accept(socket, redirect(ec));
      if (!self->acceptor_.is_open() || ec == net::error::operation_aborted) co_return;
      if (ec) {
        self->core_.log(STRATUS_LOG_WARN,
                        "actor " + self->actor_ + ": accept on " + self->endpoint_ + " failed: " + ec.message());
        // EMFILE and friends persist until some connection closes: back off instead of spinning.
        net::steady_timer backoff(co_await net::this_coro::executor, std::chrono::milliseconds(100));
        co_await backoff.async_wait(redirect(ec));
        continue;
      }
      auto session = std::make_shared<Session>(self, std::move(socket));
      if (!self->track(session)) co_return;
      Session::start(std::move(session));
    }
  } catch (const std::exception& e) {
    self->core_.log(STRATUS_LOG_ERROR,
                    "actor " + self->actor_ + ": listener on " + self->endpoint_ + " failed: " + e.what());
  }
}

void Listener::close() {
  std::vector<std::weak_ptr<Session>> sessions;
  {
    MutexLock lock(mu_);
    if (closed_) return;
    closed_ = true;
    for (auto& [key, session] : sessions_) sessions.push_back(session);
    sessions_.clear();
  }
  auto closed = std::make_shared<std::promise<void>>();
  auto done = closed->get_future();
  net::post(acceptor_.get_executor(), [self = shared_from_this(), closed] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    closed->set_value();
  });
  for (auto& weak : sessions) {
    if (auto session = weak.lock()) session->close();
  }
  // Callers (unbind) promise the port is free when they return, so wait for the strand to close it.
  if (done.wait_for(kCloseWait) != std::future_status::ready) {
    core_.log(STRATUS_LOG_WARN, "actor " + actor_ + ": listener on " + endpoint_ + " did not close within " +
                                    std::to_string(kCloseWait.count()) + " s");
  }
}

bool Listener::track(const std::shared_ptr<Session>& session) {
  MutexLock lock(mu_);
  if (closed_) return false;
  sessions_.emplace(session.get(), session);
  return true;
}

void Listener::untrack(const Session* session) {
  MutexLock lock(mu_);
  sessions_.erase(session);
}

// ---- Session ----

net::awaitable<void> Session::run(std::shared_ptr<Session> self) {
  try {
    co_await self->serve();
  } catch (const std::exception& e) {
    self->listener_->core().log(STRATUS_LOG_WARN,
                                "actor " + self->listener_->actor() + ": connection failed: " + e.what());
  }
  self->closeNow();
  self->listener_->untrack(self.get());
}

void Session::closeNow() {
  closing_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
  if (pending_) pending_->timer.cancel();
}

net::awaitable<void> Session::serve() {
  beast::flat_buffer buffer;
  for (;;) {
    // A parser serves one message, so each request gets a fresh one (with our body limit).
    http::request_parser<http::vector_body<uint8_t>> parser;
    parser.body_limit(config_.max_body_bytes);
    beast::error_code ec;
    stream_.expires_after(config_.idle_timeout);
    co_await http::async_read_header(stream_, buffer, parser, redirect(ec));
    if (closing_) co_return;
    if (ec) {
      co_await rejectRead(ec);
      co_return;
    }
    if (!parser.is_done()) {
      // Clients such as curl hold a large body back until told to go on.
      if (parser.get().version() >= 11 && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        stream_.expires_after(kWriteTimeout);
        co_await http::async_write(stream_, go_on, redirect(ec));
        if (ec || closing_) co_return;
      }
      stream_.expires_after(config_.idle_timeout);
      co_await http::async_read(stream_, buffer, parser, redirect(ec));
      if (closing_) co_return;
      if (ec) {
        co_await rejectRead(ec);
        co_return;
      }
    }
    stream_.expires_never();
    Request req = parser.release();
    const bool keep_alive = req.keep_alive();
    const auto origin = allowedOrigin(config_, sv(req[http::field::origin]));

    Response res = co_await handle(req);
    if (closing_) co_return;
    addCorsHeaders(res, origin);
    res.keep_alive(keep_alive);
    stream_.expires_after(kWriteTimeout);
    co_await http::async_write(stream_, res, redirect(ec));
    if (ec || closing_) co_return;
    if (!keep_alive) break;
  }
  co_await lingeringClose();
}

net::awaitable<void> Session::rejectRead(const beast::error_code& ec) {
  // Peers that hang up, time out or reset get no reply; requests we cannot or will not read get a status saying
  // why, then the connection ends (the rest of such a request cannot be skipped reliably).
  static const auto& http_category = http::make_error_code(http::error::end_of_stream).category();
  if (ec.category() != http_category || ec == http::error::end_of_stream || ec == http::error::partial_message) {
    co_return;
  }
  Response res;
  if (ec == http::error::body_limit) {
    res = plain(http::status::payload_too_large, 11,
                "request body exceeds the limit of " + std::to_string(config_.max_body_bytes) + " bytes\n");
  } else if (ec == http::error::header_limit) {
    res = plain(http::status::request_header_fields_too_large, 11, "request header too large\n");
  } else {
    res = plain(http::status::bad_request, 11, "malformed HTTP request: " + ec.message() + "\n");
  }
  res.keep_alive(false);
  beast::error_code write_ec;
  stream_.expires_after(kWriteTimeout);
  co_await http::async_write(stream_, res, redirect(write_ec));
  if (write_ec || closing_) co_return;
  co_await lingeringClose();
}

net::awaitable<void> Session::lingeringClose() {
  // Closing with unread request bytes makes the kernel send RST, which can destroy the reply before the client
  // reads it. Half-close instead and drain until the client closes (or briefly stalls).
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  stream_.expires_after(kLingerTimeout);
  // Kept off the coroutine frame: with a 16 KiB array in it GCC 12 (-O2, ASan) reports Asio's frame operator
  // delete as mismatched with its operator new, a false positive that breaks -Werror builds.
  std::vector<char> scratch(16384);
  for (;;) {
    co_await stream_.async_read_some(net::buffer(scratch), redirect(ec));
    if (ec || closing_) co_return;
  }
}

net::awaitable<Response> Session::handle(Request& req) {
  const unsigned version = req.version();
  if (!config_.cors_origins.empty() && req.method() == http::verb::options &&
      req.find(http::field::access_control_request_method) != req.end()) {
    co_return preflight(req, config_, allowedOrigin(config_, sv(req[http::field::origin])));
  }
  const bool head = req.method() == http::verb::head;
  const std::string what = std::string(sv(req.method_string())) + " " + std::string(sv(req.target()));
  Bytes encoded = codec::encode(toActorRequest(req));

  std::optional<Expected<Bytes>> reply = co_await callActor(std::move(encoded));
  const std::string& actor = listener_->actor();
  if (!reply) {
    listener_->core().log(STRATUS_LOG_WARN, "actor " + actor + " did not answer " + what + " within " +
                                                std::to_string(config_.timeout.count()) + " ms");
    co_return plain(http::status::gateway_timeout, version,
                    "actor did not answer within " + std::to_string(config_.timeout.count()) + " ms\n");
  }
  if (!*reply) {
    const std::string& why = reply->error().message;
    listener_->core().log(STRATUS_LOG_WARN, "actor " + actor + " failed " + what + ": " + why);
    co_return plain(http::status::service_unavailable, version, "actor call failed: " + why + "\n");
  }
  auto decoded = codec::decodeHttpResponse(**reply);
  if (!decoded) {
    const std::string& why = decoded.error().message;
    listener_->core().log(STRATUS_LOG_WARN,
                          "actor " + actor + " answered " + what + " with an invalid Response: " + why);
    co_return plain(http::status::bad_gateway, version,
                    "actor reply is not a wasmcloud:httpserver Response: " + why + "\n");
  }
  Response res;
  try {
    res = fromActorResponse(std::move(*decoded), version, head);
  } catch (const std::exception& e) {
    res = plain(http::status::bad_gateway, version, std::string("actor reply cannot be sent: ") + e.what() + "\n");
  }
  co_return res;
}

net::awaitable<std::optional<Expected<Bytes>>> Session::callActor(Bytes request) {
  if (closing_) co_return std::nullopt;
  auto call = std::make_shared<PendingCall>(strand_);
  pending_ = call;
  listener_->core().submit(call, listener_->actor(), std::move(request));
  if (!call->finished()) {
    // The pool thread cancels the timer when the actor answers; expiry means the actor took too long.
    call->timer.expires_after(config_.timeout);
    beast::error_code ec;
    co_await call->timer.async_wait(redirect(ec));
  }
  pending_.reset();
  co_return call->takeOrAbandon();
}

}  // namespace

class Server::Impl {
 public:
  Impl(ActorCall call, LogSink log, ServerOptions options) : core(std::move(call), std::move(log), options) {}
  Core core;
};

Server::Server(ActorCall call, LogSink log, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(call), std::move(log), options)) {}

Server::~Server() { stop(); }

Expected<std::string> Server::bind(const std::string& actor, const ListenerConfig& config) {
  return impl_->core.bind(actor, config);
}

bool Server::unbind(const std::string& actor) { return impl_->core.unbind(actor); }

bool Server::healthy() const { return impl_->core.healthy(); }

void Server::stop() { impl_->core.stop(); }

}  // namespace stratus::httpserver
