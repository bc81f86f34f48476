// wasmcloud:telnet: a line-oriented socket server per linked actor.
//
// Link values (per actor):
//   PORT          TCP port to listen on, all interfaces (required; 0 picks a free port, which is logged)
//   MOTD          banner sent when a session opens: the contents of the file it names (as wasmCloud's telnet
//                 provider read it) when such a file exists, else the value itself as text; optional
//   MAX_SESSIONS  concurrent sessions per actor (default 256); more connections are told so and closed
//
// Each bound actor gets one thread running a poll loop over its listener and its sessions. A new connection gets a
// session id (a UUID), the MOTD, and the actor gets SessionStarted {session}; every line received (CR/LF
// stripped, telnet negotiation removed) becomes ReceiveText {session, text}. The actor answers with SendText
// {session, text}, written as-is to that session; the reply is TelnetResult {success, error?}. Calls to the actor
// are made from the actor's loop thread, one at a time, in the order the lines arrived.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/link_values.h"
#include "stratus/codec/telnet.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/provider.hpp"

namespace stratus::providers::telnet {
namespace {

constexpr size_t kMaxLineBytes = 64 * 1024;  // a longer line is delivered in pieces of this size
constexpr size_t kMaxMotdFileBytes = 64 * 1024;
constexpr uint64_t kDefaultMaxSessions = 256;
constexpr int kSendTimeoutSeconds = 5;  // a client that stops reading cannot block SendText for long

std::string errnoText(int err) { return std::strerror(err); }

std::string newSessionId() {
  std::random_device rd;
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < b.size(); i += 4) {
    uint32_t r = rd();
    std::memcpy(&b[i], &r, 4);
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    id += kHex[b[i] >> 4];
    id += kHex[b[i] & 0xf];
  }
  return id;
}

// A required number when `fallback` is empty, else an optional one.
Expected<uint64_t> numberValue(const std::map<std::string, std::string>& values, const std::string& name, uint64_t lo,
                               uint64_t hi, std::optional<uint64_t> fallback) {
  if (!fallback && !values.count(name)) {
    return fail(ErrorCode::kInvalidArgument, "telnet: link value " + name + " is required");
  }
  return linkNumber(values, name, fallback.value_or(0), lo, hi, "telnet");
}

// MOTD names a file (wasmCloud's meaning) or, when no such file exists, is the banner itself.
Expected<std::string> motdValue(const std::map<std::string, std::string>& values) {
  auto it = values.find("MOTD");
  if (it == values.end() || it->second.empty()) return std::string();
  const std::string& value = it->second;
  struct stat st {};
  if (value.find('\0') != std::string::npos || ::stat(value.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return value;
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxMotdFileBytes) {
    return fail(ErrorCode::kInvalidArgument, "telnet: MOTD file " + value + " has " + std::to_string(st.st_size) +
                                                 " bytes, more than the limit of " + std::to_string(kMaxMotdFileBytes));
  }
  std::ifstream in(value, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return fail(ErrorCode::kIo, "telnet: cannot read MOTD file " + value);
  return text.str();
}

/// One client connection. The socket closes when the last reference goes, so a SendText holding the session
/// never writes to a descriptor that was closed (and maybe reused) under it.
struct Session {
  Session(std::string session_id, std::string owner, int socket_fd)
      : id(std::move(session_id)), actor(std::move(owner)), fd(socket_fd) {}
  ~Session() { ::close(fd); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Writes all of `text`; errors name the session and the cause.
  Expected<void> write(std::string_view text) {
    std::lock_guard lock(write_mu);
    while (!text.empty()) {
      ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        const bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
        return fail(ErrorCode::kIo, "telnet session " + id + ": " +
                                        (timed_out ? "the client is not reading (send timed out)"
                                                   : "send failed: " + errnoText(errno)));
      }
      text.remove_prefix(static_cast<size_t>(n));
    }
    return ok();
  }

  const std::string id;
  const std::string actor;
  const int fd;
  std::mutex write_mu;
};

/// Strips telnet commands (IAC sequences, RFC 854) from the incoming byte stream, across reads.
class TelnetFilter {
 public:
  /// Appends the data bytes of `in` to `out`.
  void feed(std::string_view in, std::string& out) {
    constexpr uint8_t kIac = 255, kSb = 250, kSe = 240, kWill = 251, kDont = 254;
    for (char ch : in) {
      const auto b = static_cast<uint8_t>(ch);
      switch (state_) {
        case State::kData:
          if (b == kIac) {
            state_ = State::kIac;
          } else {
            out += ch;
          }
          break;
        case State::kIac:
          if (b == kIac) {
            out += ch;  // IAC IAC is a literal 0xff
            state_ = State::kData;
          } else if (b >= kWill && b <= kDont) {
            state_ = State::kOption;
          } else if (b == kSb) {
            state_ = State::kSub;
          } else {
            state_ = State::kData;  // a two-byte command (NOP, AYT, ...)
          }
          break;
        case State::kOption:
          state_ = State::kData;
          break;
        case State::kSub:
          state_ = b == kIac ? State::kSubIac : State::kSub;
          break;
        case State::kSubIac:
          state_ = b == kSe ? State::kData : State::kSub;
          break;
      }
    }
  }

 private:
  enum class State { kData, kIac, kOption, kSub, kSubIac };
  State state_ = State::kData;
};

class TelnetProvider final : public provider::CapabilityProvider {
 public:
  ~TelnetProvider() override { stop(); }

  std::string_view capabilityId() const override { return codec::kTelnetContract; }
  std::string_view name() const override { return "stratus telnet"; }

  Expected<void> bindActor(std::string_view actor, const std::map<std::string, std::string>& values) override {
    auto port = numberValue(values, "PORT", 0, 65535, std::nullopt);
    if (!port) return fail(port.takeError());
    auto max_sessions = numberValue(values, "MAX_SESSIONS", 1, 65536, kDefaultMaxSessions);
    if (!max_sessions) return fail(max_sessions.takeError());
    auto motd = motdValue(values);
    if (!motd) return fail(motd.takeError());

    MutexLock control(control_mu_);
    if (stopped_) return fail(ErrorCode::kUnavailable, "telnet: the provider is stopping");
    auto it = listeners_.find(actor);
    if (it != listeners_.end()) {
      Listener& l = *it->second;
      if (l.requested_port == *port) {  // the same link again: keep the listener and its sessions
        MutexLock lock(l.config_mu);
        l.motd = std::move(*motd);
        l.max_sessions = *max_sessions;
        return ok();
      }
      stopListener(l);  // the port changed: start over
      listeners_.erase(it);
    }
    auto listener = std::make_unique<Listener>(actor, static_cast<uint16_t>(*port), std::move(*motd), *max_sessions);
    STRATUS_TRY(openListener(*listener));
    Listener* l = listener.get();
    l->thread = std::thread([this, l] { serve(*l); });
    dispatcher().log(STRATUS_LOG_INFO, "telnet: actor " + l->actor + " listens on port " + std::to_string(l->port));
    listeners_.emplace(std::string(actor), std::move(listener));
    return ok();
  }

  Expected<void> removeActor(std::string_view actor) override {
    MutexLock control(control_mu_);
    auto it = listeners_.find(actor);
    if (it == listeners_.end()) return ok();
    stopListener(*it->second);
    listeners_.erase(it);
    return ok();
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    if (operation != codec::kOpSendText) {
      return fail(ErrorCode::kNotFound,
                  "unknown wasmcloud:telnet operation '" + std::string(operation) + "' (known: SendText)");
    }
    auto text = codec::decodeTelnetText(msg);
    if (!text) return fail(text.takeError());
    std::shared_ptr<Session> session;
    {
      MutexLock lock(sessions_mu_);
      auto it = sessions_.find(text->session);
      // Another actor's session is as unknown to this actor as one that never existed.
      if (it != sessions_.end() && it->second->actor == actor) session = it->second;
    }
    if (!session) {
      return codec::encode(codec::TelnetResult{false, "unknown telnet session '" + text->session + "'"});
    }
    auto written = session->write(text->text);
    if (!written) return codec::encode(codec::TelnetResult{false, written.error().message});
    return codec::encode(codec::TelnetResult{true, std::nullopt});
  }

  void stop() override {
    MutexLock control(control_mu_);
    stopped_ = true;
    for (auto& [actor, listener] : listeners_) stopListener(*listener);
    listeners_.clear();
  }

 private:
  struct Listener {
    Listener(std::string_view owner, uint16_t port_wanted, std::string first_motd, uint64_t first_max_sessions)
        : actor(owner), requested_port(port_wanted), motd(std::move(first_motd)), max_sessions(first_max_sessions) {}

    std::string actor;
    uint16_t requested_port = 0;
    uint16_t port = 0;  // the bound port (differs from requested_port when that was 0)
    int listen_fd = -1;
    int wake_read = -1, wake_write = -1;  // a byte on this pipe tells the loop to end
    std::thread thread;
    Mutex config_mu;
    std::string motd STRATUS_GUARDED_BY(config_mu);
    uint64_t max_sessions STRATUS_GUARDED_BY(config_mu) = 0;
  };

  // One connection as the loop thread sees it.
  struct Connection {
    std::shared_ptr<Session> session;
    TelnetFilter filter;
    std::string pending;  // data bytes of an unfinished line
  };

  Expected<void> openListener(Listener& l) {
    auto failWith = [&](const std::string& what) -> Expected<void> {
      const int err = errno;
      for (int fd : {l.listen_fd, l.wake_read, l.wake_write}) {
        if (fd >= 0) ::close(fd);
      }
      l.listen_fd = l.wake_read = l.wake_write = -1;
      return fail(ErrorCode::kUnavailable, "telnet: actor " + l.actor + ": " + what + " port " +
                                               std::to_string(l.requested_port) + ": " + errnoText(err));
    };
    l.listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l.listen_fd < 0) return failWith("cannot create a socket for");
    int one = 1;
    ::setsockopt(l.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(l.requested_port);
    if (::bind(l.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return failWith("cannot bind");
    if (::listen(l.listen_fd, 64) != 0) return failWith("cannot listen on");
    socklen_t len = sizeof addr;
    if (::getsockname(l.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return failWith("cannot read the address of");
    }
    l.port = ntohs(addr.sin_port);
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return failWith("cannot create a wake pipe for");
    l.wake_read = pipe_fds[0];
    l.wake_write = pipe_fds[1];
    return ok();
  }

  // Ends the loop of `l`, which closes its sessions, and joins it.
  void stopListener(Listener& l) STRATUS_REQUIRES(control_mu_) {
    if (l.thread.joinable()) {
      const char byte = 1;
      while (::write(l.wake_write, &byte, 1) < 0 && errno == EINTR) {
      }
      l.thread.join();
    }
    for (int* fd : {&l.listen_fd, &l.wake_read, &l.wake_write}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
  }

  void serve(Listener& l) {
    std::vector<Connection> conns;
    std::vector<pollfd> fds;
    for (;;) {
      fds.assign({{l.wake_read, POLLIN, 0}, {l.listen_fd, POLLIN, 0}});
      for (const Connection& c : conns) fds.push_back({c.session->fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        dispatcher().log(STRATUS_LOG_ERROR, "telnet: actor " + l.actor + ": poll failed: " + errnoText(errno));
        break;
      }
      if (fds[0].revents) break;
      // Sessions first: fds[2 + i] belongs to conns[i] until accept appends.
      for (size_t i = conns.size(); i-- > 0;) {
        if (fds[2 + i].revents && !receive(l, conns[i])) {
          endSession(conns[i]);
          conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
      if (fds[1].revents & POLLIN) acceptOne(l, conns);
    }
    for (Connection& c : conns) endSession(c);
  }

  void acceptOne(Listener& l, std::vector<Connection>& conns) {
    const int fd = ::accept4(l.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;  // the client may have gone already (ECONNABORTED) or we are out of descriptors
    std::string motd;
    uint64_t max_sessions = 0;
    {
      MutexLock lock(l.config_mu);
      motd = l.motd;
      max_sessions = l.max_sessions;
    }
    timeval tv{kSendTimeoutSeconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    auto session = std::make_shared<Session>(newSessionId(), l.actor, fd);
    if (conns.size() >= max_sessions) {
      (void)session->write("too many sessions, try again later\r\n");
      dispatcher().log(STRATUS_LOG_WARN, "telnet: actor " + l.actor + " has " + std::to_string(conns.size()) +
                                             " sessions (MAX_SESSIONS); refused a connection");
      return;
    }
    {
      MutexLock lock(sessions_mu_);
      sessions_[session->id] = session;
    }
    conns.push_back(Connection{session, {}, {}});
    if (!motd.empty()) (void)session->write(motd);
    callActor(l.actor, codec::kOpSessionStarted, codec::encode(codec::TelnetText{session->id, ""}, false));
  }

  // Reads what is there and delivers complete lines; false when the session is over.
  bool receive(Listener& l, Connection& c) {
    char buf[4096];
    const ssize_t n = ::recv(c.session->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK;
    if (n == 0) {
      if (!c.pending.empty()) deliver(l, c, c.pending);  // the last line had no newline
      return false;
    }
    c.filter.feed(std::string_view(buf, static_cast<size_t>(n)), c.pending);
    size_t start = 0;
    for (size_t nl; (nl = c.pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      deliver(l, c, std::string_view(c.pending).substr(start, nl - start));
    }
    c.pending.erase(0, start);
    while (c.pending.size() >= kMaxLineBytes) {
      deliver(l, c, std::string_view(c.pending).substr(0, kMaxLineBytes));
      c.pending.erase(0, kMaxLineBytes);
    }
    return true;
  }

  void deliver(Listener& l, Connection& c, std::string_view line) {
    // Telnet ends lines with CR LF (or CR NUL); keep only the text.
    while (!line.empty() && (line.back() == '\r' || line.back() == '\0')) line.remove_suffix(1);
    callActor(l.actor, codec::kOpReceiveText, codec::encode(codec::TelnetText{c.session->id, std::string(line)}, true));
  }

  void callActor(const std::string& actor, std::string_view op, const Bytes& msg) {
    auto r = dispatcher().call(actor, op, msg);
    if (!r) {
      dispatcher().log(STRATUS_LOG_WARN,
                       "telnet: actor " + actor + " failed to handle " + std::string(op) + ": " + r.error().message);
    }
  }

  void endSession(Connection& c) {
    {
      MutexLock lock(sessions_mu_);
      sessions_.erase(c.session->id);
    }
    ::shutdown(c.session->fd, SHUT_RDWR);  // a SendText still holding the session now fails instead of writing
  }

  Mutex control_mu_;  // serializes bind, remove and stop (which join loop threads)
  std::map<std::string, std::unique_ptr<Listener>, std::less<>> listeners_ STRATUS_GUARDED_BY(control_mu_);
  bool stopped_ STRATUS_GUARDED_BY(control_mu_) = false;
  Mutex sessions_mu_;  // never held while calling an actor
  std::map<std::string, std::shared_ptr<Session>> sessions_ STRATUS_GUARDED_BY(sessions_mu_);  // by session id
};

}  // namespace
}  // namespace stratus::providers::telnet

STRATUS_PROVIDER(stratus::providers::telnet::TelnetProvider)
