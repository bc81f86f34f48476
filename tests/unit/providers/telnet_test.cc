// The wasmcloud:telnet provider, loaded from its .so, driven by real loopback sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "stratus/codec/telnet.h"
#include "unit/providers/provider_harness.h"

namespace stratus {
namespace {

using testing::actorKey;
using testing::ProviderHarness;
using namespace std::chrono_literals;

/// A connected client socket, closed on destruction.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  void send(std::string_view s) { ASSERT_EQ(::send(fd_, s.data(), s.size(), MSG_NOSIGNAL), ssize_t(s.size())); }

  /// Reads until `want` has arrived (returns everything read) or the timeout/EOF hits (returns what came).
  std::string readUntil(std::string_view want, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.find(want) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        eof_ = true;
        break;
      }
      received_.append(buf, static_cast<size_t>(n));
    }
    return received_;
  }
  /// True when the server closed the connection within the timeout.
  bool closedByServer(std::chrono::milliseconds timeout = 5s) {
    readUntil(std::string(1, '\x01') + "never", timeout);
    return eof_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string received_;
};

class TelnetProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_ = ProviderHarness::load("telnet");
    ASSERT_TRUE(h_);
  }

  // Binds `actor` with PORT=0 (plus `values`) and returns the port the provider logged.
  uint16_t bindEphemeral(const std::string& actor, std::map<std::string, std::string> values = {}) {
    values["PORT"] = "0";
    auto bound = h_->bind(actor, values);
    EXPECT_TRUE(bound) << bound.error().toString();
    const std::string prefix = "telnet: actor " + actor + " listens on port ";
    for (const auto& line : h_->logs()) {
      if (line.text.rfind(prefix, 0) == 0) port_ = static_cast<uint16_t>(std::stoi(line.text.substr(prefix.size())));
    }
    EXPECT_NE(port_, 0);
    return port_;
  }

  // Waits for the n-th (0-based) dispatch of `op` and returns it.
  ProviderHarness::Dispatched waitDispatch(std::string_view op, size_t n = 0) {
    auto count = [&](const std::vector<ProviderHarness::Dispatched>& d) {
      return static_cast<size_t>(std::count_if(d.begin(), d.end(), [&](const auto& x) { return x.operation == op; }));
    };
    bool seen = h_->waitFor([&](const auto& d, const auto&) { return count(d) > n; });
    EXPECT_TRUE(seen) << "no dispatch #" << n << " of " << op;
    size_t i = 0;
    for (const auto& d : h_->dispatched()) {
      if (d.operation == op && i++ == n) return d;
    }
    return {};
  }

  codec::TelnetResult sendText(const std::string& actor, const std::string& session, const std::string& text) {
    auto reply = h_->call(actor, codec::kOpSendText, codec::encode(codec::TelnetText{session, text}, true));
    EXPECT_TRUE(reply) << reply.error().toString();
    if (!reply) return {false, "call failed"};
    auto result = codec::decodeTelnetResult(*reply);
    EXPECT_TRUE(result) << result.error().toString();
    return result ? *result : codec::TelnetResult{false, "bad reply"};
  }

  std::unique_ptr<ProviderHarness> h_;
  const std::string a_ = actorKey('A');
  uint16_t port_ = 0;
};

TEST_F(TelnetProviderTest, SessionLifecycle) {
  const uint16_t port = bindEphemeral(a_, {{"MOTD", "Welcome to stratus!\r\n"}});
  ASSERT_NE(port, 0);
  Client client(port);
  ASSERT_TRUE(client.connected());
  EXPECT_NE(client.readUntil("Welcome to stratus!\r\n").find("Welcome to stratus!\r\n"), std::string::npos);

  auto started = waitDispatch(codec::kOpSessionStarted);
  EXPECT_EQ(started.actor, a_);
  auto session = codec::decodeTelnetText(started.msg);
  ASSERT_TRUE(session) << session.error().toString();
  ASSERT_EQ(session->session.size(), 36u);  // a UUID

  client.send("hello world\r\n");
  auto line = waitDispatch(codec::kOpReceiveText);
  EXPECT_EQ(line.actor, a_);
  auto text = codec::decodeTelnetText(line.msg);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->session, session->session);
  EXPECT_EQ(text->text, "hello world");

  // Two lines in one packet, a bare LF, telnet negotiation (IAC WILL ECHO, IAC SB ... IAC SE) and a split line.
  client.send("one\ntwo\r\n\xff\xfb\x01\xff\xfa\x18\x01\xff\xf0thr");
  client.send("ee\r\n");
  EXPECT_EQ(codec::decodeTelnetText(waitDispatch(codec::kOpReceiveText, 1).msg)->text, "one");
  EXPECT_EQ(codec::decodeTelnetText(waitDispatch(codec::kOpReceiveText, 2).msg)->text, "two");
  EXPECT_EQ(codec::decodeTelnetText(waitDispatch(codec::kOpReceiveText, 3).msg)->text, "three");

  auto result = sendText(a_, session->session, "reply from actor\r\n");
  EXPECT_TRUE(result.success) << result.error.value_or("");
  EXPECT_NE(client.readUntil("reply from actor\r\n").find("reply from actor\r\n"), std::string::npos);
}

TEST_F(TelnetProviderTest, SendTextToUnknownOrForeignSessionFails) {
  const uint16_t port = bindEphemeral(a_);
  Client client(port);
  ASSERT_TRUE(client.connected());
  auto session = codec::decodeTelnetText(waitDispatch(codec::kOpSessionStarted).msg);
  ASSERT_TRUE(session);

  auto result = sendText(a_, "no-such-session", "x");
  EXPECT_FALSE(result.success);
  EXPECT_NE(result.error.value_or("").find("no-such-session"), std::string::npos);

  const std::string b = actorKey('B');
  ASSERT_NE(bindEphemeral(b), 0);
  result = sendText(b, session->session, "not yours");
  EXPECT_FALSE(result.success);
  EXPECT_TRUE(sendText(a_, session->session, "yours").success);
}

TEST_F(TelnetProviderTest, ActorCanAnswerFromInsideReceiveText) {
  // The actor echoes every line back with SendText while the provider's dispatch is still waiting on it.
  h_->setReply([this](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    if (d.operation == codec::kOpReceiveText) {
      auto t = codec::decodeTelnetText(d.msg);
      if (t)
        (void)h_->call(d.actor, codec::kOpSendText,
                       codec::encode(codec::TelnetText{t->session, "echo: " + t->text + "\r\n"}, true));
    }
    return Bytes{};
  });
  Client client(bindEphemeral(a_));
  ASSERT_TRUE(client.connected());
  waitDispatch(codec::kOpSessionStarted);
  client.send("ping\r\n");
  EXPECT_NE(client.readUntil("echo: ping\r\n").find("echo: ping\r\n"), std::string::npos);
}

TEST_F(TelnetProviderTest, MotdFromFile) {
  char path[] = "/tmp/stratus-motd-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string banner = "banner from a file\r\n";
  ASSERT_EQ(::write(fd, banner.data(), banner.size()), ssize_t(banner.size()));
  ::close(fd);
  Client client(bindEphemeral(a_, {{"MOTD", path}}));
  ASSERT_TRUE(client.connected());
  EXPECT_NE(client.readUntil(banner).find(banner), std::string::npos);
  ::unlink(path);
}

TEST_F(TelnetProviderTest, ClientDisconnectEndsSession) {
  std::string id;
  {
    Client client(bindEphemeral(a_));
    ASSERT_TRUE(client.connected());
    id = codec::decodeTelnetText(waitDispatch(codec::kOpSessionStarted).msg)->session;
    client.send("last words");  // no newline: still delivered when the client goes
  }
  EXPECT_EQ(codec::decodeTelnetText(waitDispatch(codec::kOpReceiveText).msg)->text, "last words");
  // The loop drops the session right after delivering; allow it a moment.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !sendText(a_, id, "anyone?").success;
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone);
}

TEST_F(TelnetProviderTest, RemoveActorClosesThePortAndSessions) {
  const uint16_t port = bindEphemeral(a_);
  Client client(port);
  ASSERT_TRUE(client.connected());
  waitDispatch(codec::kOpSessionStarted);
  ASSERT_TRUE(h_->remove(a_));
  EXPECT_TRUE(client.closedByServer());
  Client refused(port);
  EXPECT_FALSE(refused.connected());
  ASSERT_TRUE(h_->remove(a_));  // idempotent
}

TEST_F(TelnetProviderTest, FixedPortAndRebind) {
  // Find a free port by binding port 0 ourselves and closing it.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const uint16_t port = ntohs(addr.sin_port);
  ::close(s);

  ASSERT_TRUE(h_->bind(a_, {{"PORT", std::to_string(port)}, {"MOTD", "v1\n"}}));
  {
    Client c(port);
    ASSERT_TRUE(c.connected());
    EXPECT_NE(c.readUntil("v1\n").find("v1\n"), std::string::npos);
  }
  // The same link again keeps the listener (and takes the new MOTD).
  ASSERT_TRUE(h_->bind(a_, {{"PORT", std::to_string(port)}, {"MOTD", "v2\n"}}));
  Client c(port);
  ASSERT_TRUE(c.connected());
  EXPECT_NE(c.readUntil("v2\n").find("v2\n"), std::string::npos);

  // Another actor cannot take the same port.
  auto clash = h_->bind(actorKey('B'), {{"PORT", std::to_string(port)}});
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message.find("cannot bind"), std::string::npos) << clash.error().message;
}

TEST_F(TelnetProviderTest, MaxSessions) {
  const uint16_t port = bindEphemeral(a_, {{"MAX_SESSIONS", "1"}});
  Client first(port);
  ASSERT_TRUE(first.connected());
  waitDispatch(codec::kOpSessionStarted);
  Client second(port);
  ASSERT_TRUE(second.connected());  // the kernel accepts; the provider then says no and closes
  EXPECT_NE(second.readUntil("too many sessions").find("too many sessions"), std::string::npos);
  EXPECT_TRUE(second.closedByServer());
}

TEST_F(TelnetProviderTest, BadConfigurationAndOperations) {
  auto r = h_->bind(a_, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("PORT is required"), std::string::npos);
  for (const char* bad : {"-1", "65536", "http", ""}) {
    r = h_->bind(a_, {{"PORT", bad}});
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("PORT"), std::string::npos);
  }
  r = h_->call(a_, "Broadcast", Bytes{0x80});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("Broadcast"), std::string::npos);
  r = h_->call(a_, codec::kOpSendText, Bytes{0xc1});
  ASSERT_FALSE(r);
}

}  // namespace
}  // namespace stratus
