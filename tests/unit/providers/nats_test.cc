// The wasmcloud:messaging NATS provider, loaded from its .so, against a real nats-server on a free loopback port
// (started per test) and a raw libnats client playing the other side.
#include <nats/nats.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "stratus/claims/jwt.h"
#include "stratus/claims/nkeys.h"
#include "stratus/codec/core.h"
#include "stratus/codec/messaging.h"
#include "support/gate.h"
#include "support/server_process.h"
#include "unit/providers/provider_harness.h"

namespace stratus {
namespace {

using codec::BrokerMessage;
using codec::PublishArgs;
using codec::RequestArgs;
using testing::actorKey;
using testing::ProviderHarness;
using testing::ServerProcess;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }
Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::string natsUrl(uint16_t port) {
  std::string url = "nats://127.0.0.1:";
  url += std::to_string(port);
  return url;
}

/// A plain libnats connection: the "other side" of the provider in these tests.
class Client {
 public:
  explicit Client(uint16_t port) {
    natsOptions* opts = nullptr;
    natsOptions_Create(&opts);
    natsOptions_SetURL(opts, natsUrl(port).c_str());
    natsOptions_SetSendAsap(opts, true);
    natsOptions_SetAllowReconnect(opts, false);
    status_ = natsConnection_Connect(&nc_, opts);
    natsOptions_Destroy(opts);
  }
  ~Client() {
    for (natsSubscription* s : subs_) natsSubscription_Destroy(s);
    natsConnection_Destroy(nc_);
  }
  bool ok() const { return status_ == NATS_OK; }
  natsConnection* nc() { return nc_; }

  /// A synchronous subscription (read with next()); flushed so the server has it.
  natsSubscription* subscribeSync(const std::string& subject) {
    natsSubscription* sub = nullptr;
    EXPECT_EQ(natsConnection_SubscribeSync(&sub, nc_, subject.c_str()), NATS_OK);
    subs_.push_back(sub);
    EXPECT_EQ(natsConnection_Flush(nc_), NATS_OK);
    return sub;
  }
  /// A responder answering every request on `subject` with `prefix` + its body.
  void respond(const std::string& subject, const std::string& prefix) {
    prefix_ = prefix;
    natsSubscription* sub = nullptr;
    EXPECT_EQ(natsConnection_Subscribe(&sub, nc_, subject.c_str(), &Client::onRequest, this), NATS_OK);
    subs_.push_back(sub);
    EXPECT_EQ(natsConnection_Flush(nc_), NATS_OK);
  }
  void publish(const std::string& subject, const std::string& body, const char* reply = nullptr) {
    const int len = static_cast<int>(body.size());
    EXPECT_EQ(reply ? natsConnection_PublishRequest(nc_, subject.c_str(), reply, body.data(), len)
                    : natsConnection_Publish(nc_, subject.c_str(), body.data(), len),
              NATS_OK);
  }
  void flush() { EXPECT_EQ(natsConnection_Flush(nc_), NATS_OK); }

  /// The next message of a sync subscription: {subject, reply, body}, or an empty subject on timeout.
  static BrokerMessage next(natsSubscription* sub, std::chrono::milliseconds timeout = 3s) {
    natsMsg* m = nullptr;
    if (natsSubscription_NextMsg(&m, sub, timeout.count()) != NATS_OK) return {};
    BrokerMessage out{natsMsg_GetSubject(m), natsMsg_GetReply(m) ? natsMsg_GetReply(m) : "",
                      Bytes(natsMsg_GetData(m), natsMsg_GetData(m) + natsMsg_GetDataLength(m))};
    natsMsg_Destroy(m);
    return out;
  }

 private:
  static void onRequest(natsConnection* nc, natsSubscription*, natsMsg* m, void* closure) {
    auto* self = static_cast<Client*>(closure);
    std::string reply = self->prefix_ + std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m));
    natsConnection_Publish(nc, natsMsg_GetReply(m), reply.data(), static_cast<int>(reply.size()));
    natsMsg_Destroy(m);
  }

  natsConnection* nc_ = nullptr;
  natsStatus status_ = NATS_ERR;
  std::vector<natsSubscription*> subs_;
  std::string prefix_;
};

class NatsProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = testing::freeLoopbackPort();
    ASSERT_NE(port_, 0);
    auto server = startServer(port_);
    ASSERT_TRUE(server) << server.error().toString();
    server_ = std::make_unique<ServerProcess>(std::move(*server));
    h_ = ProviderHarness::load("nats");
    ASSERT_TRUE(h_);
  }
  void TearDown() override {
    h_.reset();  // stop the provider before its server goes
    server_.reset();
  }

  static Expected<ServerProcess> startServer(uint16_t port, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {"nats-server", "-a", "127.0.0.1", "-p", std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return ServerProcess::start(std::move(argv), port);
  }

  std::map<std::string, std::string> link(std::map<std::string, std::string> values = {}) const {
    values.emplace("URL", natsUrl(port_));
    return values;
  }
  void bind(const std::string& actor, std::map<std::string, std::string> values = {}) {
    auto r = h_->bind(actor, link(std::move(values)));
    ASSERT_TRUE(r) << r.error().toString();
  }

  Expected<Bytes> publish(const std::string& actor, const std::string& subject, const std::string& body,
                          const std::string& reply_to = "") {
    return h_->call(actor, codec::kOpPublish, codec::encode(PublishArgs{subject, reply_to, bytes(body)}));
  }
  Expected<BrokerMessage> request(const std::string& actor, const std::string& subject, const std::string& body,
                                  int64_t timeout_ms) {
    auto r = h_->call(actor, codec::kOpMessagingRequest, codec::encode(RequestArgs{subject, bytes(body), timeout_ms}));
    if (!r) return fail(r.takeError());
    return codec::decodeBrokerMessage(*r);
  }

  /// The HandleMessage dispatches so far, decoded, optionally only those to `actor`.
  std::vector<BrokerMessage> delivered(const std::string& actor = "") {
    std::vector<BrokerMessage> out;
    for (const auto& d : h_->dispatched()) {
      if (d.operation != codec::kOpHandleMessage || (!actor.empty() && d.actor != actor)) continue;
      auto m = codec::decodeBrokerMessage(d.msg);
      EXPECT_TRUE(m) << m.error().toString();
      if (m) out.push_back(*m);
    }
    return out;
  }
  bool waitDelivered(size_t n, std::chrono::milliseconds timeout = 5s) {
    return h_->waitFor(
        [&](const auto& d, const auto&) {
          return static_cast<size_t>(std::count_if(
                     d.begin(), d.end(), [](const auto& x) { return x.operation == codec::kOpHandleMessage; })) >= n;
        },
        timeout);
  }
  bool waitLog(const std::string& needle, std::chrono::milliseconds timeout = 10s) {
    return h_->waitFor(
        [&](const auto&, const auto& logs) {
          return std::any_of(logs.begin(), logs.end(),
                             [&](const auto& l) { return l.text.find(needle) != std::string::npos; });
        },
        timeout);
  }
  codec::HealthResponse health() {
    auto r = h_->call(codec::kSystemActor, codec::kOpHealthRequest, codec::encode(codec::HealthRequest{}));
    EXPECT_TRUE(r);
    auto decoded = r ? codec::decodeHealthResponse(*r) : Expected<codec::HealthResponse>(codec::HealthResponse{});
    return decoded ? *decoded : codec::HealthResponse{};
  }

  uint16_t port_ = 0;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<ProviderHarness> h_;
  const std::string a_ = actorKey('A');
  const std::string b_ = actorKey('B');
};

TEST_F(NatsProviderTest, PublishReachesARawSubscriber) {
  Client client(port_);
  ASSERT_TRUE(client.ok());
  natsSubscription* sub = client.subscribeSync("stratus.test.pub");
  bind(a_);

  auto r = publish(a_, "stratus.test.pub", "hello", "stratus.test.reply");
  ASSERT_TRUE(r) << r.error().toString();
  auto response = codec::decodePublishResponse(*r);
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->published);

  BrokerMessage m = Client::next(sub);
  EXPECT_EQ(m.subject, "stratus.test.pub");
  EXPECT_EQ(m.reply_to, "stratus.test.reply");
  EXPECT_EQ(text(m.body), "hello");

  ASSERT_TRUE(publish(a_, "stratus.test.pub", ""));  // an empty body, no reply subject
  m = Client::next(sub);
  EXPECT_EQ(m.subject, "stratus.test.pub");
  EXPECT_EQ(m.reply_to, "");
  EXPECT_TRUE(m.body.empty());
}

TEST_F(NatsProviderTest, SubscribedMessagesReachTheActorAsHandleMessage) {
  bind(a_, {{"SUBSCRIPTION", "stratus.test.in, stratus.wild.*"}});
  Client client(port_);
  ASSERT_TRUE(client.ok());
  client.publish("stratus.test.in", "payload", "stratus.test.answer");
  client.publish("stratus.wild.x", std::string("\0\xff", 2));
  client.publish("stratus.other", "not subscribed");
  client.flush();
  ASSERT_TRUE(waitDelivered(2));

  auto all = h_->dispatched();
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[0].actor, a_);
  EXPECT_EQ(all[0].operation, "HandleMessage");
  auto msgs = delivered();
  ASSERT_EQ(msgs.size(), 2u);
  std::sort(msgs.begin(), msgs.end(), [](const auto& x, const auto& y) { return x.subject < y.subject; });
  EXPECT_EQ(msgs[0].subject, "stratus.test.in");
  EXPECT_EQ(msgs[0].reply_to, "stratus.test.answer");
  EXPECT_EQ(text(msgs[0].body), "payload");
  EXPECT_EQ(msgs[1].subject, "stratus.wild.x");
  EXPECT_EQ(msgs[1].reply_to, "");
  EXPECT_EQ(msgs[1].body, (Bytes{0, 0xff}));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(delivered().size(), 2u);  // nothing from the subject it did not subscribe to
}

TEST_F(NatsProviderTest, ActorAnswersARequestByPublishingToReplyTo) {
  // The wasmCloud 0.18 pattern: HandleMessage publishes the answer to the message's replyTo.
  h_->setReply([this](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    auto m = codec::decodeBrokerMessage(d.msg);
    if (m && !m->reply_to.empty()) (void)publish(d.actor, m->reply_to, std::string("echo: ").append(text(m->body)));
    return Bytes{0xc0};  // ()
  });
  bind(a_, {{"SUBSCRIPTION", "stratus.echo"}});
  Client client(port_);
  ASSERT_TRUE(client.ok());
  natsMsg* reply = nullptr;
  ASSERT_EQ(natsConnection_RequestString(&reply, client.nc(), "stratus.echo", "hi", 3000), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetData(reply), natsMsg_GetDataLength(reply)), "echo: hi");
  natsMsg_Destroy(reply);
}

TEST_F(NatsProviderTest, QueueGroupMembersShareTheMessages) {
  bind(a_, {{"SUBSCRIPTION", "stratus.work"}, {"QUEUEGROUP_NAME", "workers"}});
  bind(b_, {{"SUBSCRIPTION", "stratus.work"}, {"QUEUEGROUP_NAME", "workers"}});
  Client client(port_);
  ASSERT_TRUE(client.ok());
  constexpr int kMessages = 40;
  for (int i = 0; i < kMessages; ++i) client.publish("stratus.work", std::string("job ").append(std::to_string(i)));
  client.flush();
  ASSERT_TRUE(waitDelivered(kMessages));
  std::this_thread::sleep_for(150ms);  // a duplicate would show up by now

  std::set<std::string> seen;
  for (const auto& m : delivered()) EXPECT_TRUE(seen.insert(text(m.body)).second) << "twice: " << text(m.body);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
  // The server picks a member at random per message: both get some of 40 (each has 1 in 2^40 to get none).
  EXPECT_GT(delivered(a_).size(), 0u);
  EXPECT_GT(delivered(b_).size(), 0u);
}

TEST_F(NatsProviderTest, RequestReturnsTheRespondersReply) {
  Client client(port_);
  ASSERT_TRUE(client.ok());
  client.respond("stratus.svc", "pong: ");
  bind(a_);
  auto reply = request(a_, "stratus.svc", "ping", 2000);
  ASSERT_TRUE(reply) << reply.error().toString();
  EXPECT_EQ(text(reply->body), "pong: ping");
  EXPECT_EQ(reply->subject.rfind("_INBOX.", 0), 0u) << reply->subject;  // the reply came to the request's inbox
}

TEST_F(NatsProviderTest, RequestWithoutResponderFailsAtOnce) {
  bind(a_);
  const auto start = Clock::now();
  auto reply = request(a_, "stratus.nobody", "x", 5000);
  ASSERT_FALSE(reply);
  EXPECT_NE(reply.error().message.find("no responders"), std::string::npos) << reply.error().message;
  EXPECT_NE(reply.error().message.find("stratus.nobody"), std::string::npos) << reply.error().message;
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST_F(NatsProviderTest, RequestTimesOut) {
  Client client(port_);
  ASSERT_TRUE(client.ok());
  client.subscribeSync("stratus.slow");  // a subscriber that never answers
  bind(a_, {{"REQUEST_TIMEOUT_MS", "200"}});

  auto start = Clock::now();
  auto reply = request(a_, "stratus.slow", "x", 300);
  auto took = Clock::now() - start;
  ASSERT_FALSE(reply);
  EXPECT_NE(reply.error().message.find("Request to 'stratus.slow'"), std::string::npos) << reply.error().message;
  EXPECT_NE(reply.error().message.find("within 300 ms (timeout)"), std::string::npos) << reply.error().message;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);

  start = Clock::now();  // timeout 0: the link's REQUEST_TIMEOUT_MS
  reply = request(a_, "stratus.slow", "x", 0);
  took = Clock::now() - start;
  ASSERT_FALSE(reply);
  EXPECT_NE(reply.error().message.find("within 200 ms"), std::string::npos) << reply.error().message;
  EXPECT_LT(took, 3s);
}

TEST_F(NatsProviderTest, ReconnectsAfterTheServerRestarts) {
  bind(a_, {{"SUBSCRIPTION", "stratus.again"}});
  {
    Client client(port_);
    ASSERT_TRUE(client.ok());
    client.publish("stratus.again", "before");
    client.flush();
    ASSERT_TRUE(waitDelivered(1));
  }
  EXPECT_TRUE(health().healthy);

  // A request waiting for its reply when the server goes fails then, not at its (long) timeout.
  Client silent(port_);
  ASSERT_TRUE(silent.ok());
  natsSubscription* never = silent.subscribeSync("stratus.never");  // never answers: no "no responders"
  std::string pending_error;
  Clock::duration pending_took{};
  std::thread pending([&] {
    const auto begin = Clock::now();
    auto r = request(a_, "stratus.never", "x", 8000);
    pending_took = Clock::now() - begin;
    pending_error = r ? "it got a reply" : r.error().message;
  });
  // The request is in flight once the silent subscriber has it.
  EXPECT_EQ(text(Client::next(never, 5s).body), "x") << "the request did not reach the server";

  server_->stop();
  pending.join();
  EXPECT_NE(pending_error.find("Request to 'stratus.never' failed: the connection to NATS was lost"), std::string::npos)
      << pending_error;
  EXPECT_LT(pending_took, 4s);
  ASSERT_TRUE(waitLog("disconnected from NATS")) << "no disconnect logged";
  // While the server is down, operations fail at once instead of hanging.
  auto start = Clock::now();
  auto down = publish(a_, "stratus.out", "lost");
  ASSERT_FALSE(down);
  EXPECT_NE(down.error().message.find("Publish to 'stratus.out' failed: not connected to NATS (reconnecting to"),
            std::string::npos)
      << down.error().message;
  auto req = request(a_, "stratus.svc", "x", 5000);
  ASSERT_FALSE(req);
  EXPECT_NE(req.error().message.find("not connected"), std::string::npos) << req.error().message;
  EXPECT_LT(Clock::now() - start, 1s);
  auto sick = health();
  EXPECT_FALSE(sick.healthy);
  EXPECT_NE(sick.message.find("reconnecting"), std::string::npos) << sick.message;

  auto restarted = server_->restart();
  ASSERT_TRUE(restarted) << restarted.error().toString();
  ASSERT_TRUE(waitLog("reconnected to")) << "no reconnect logged";

  // Deliveries resume on the restored subscription (retry: the SUB may reach the server just after the log line).
  Client client(port_);
  ASSERT_TRUE(client.ok());
  const auto deadline = Clock::now() + 10s;
  bool got = false;
  while (!got && Clock::now() < deadline) {
    client.publish("stratus.again", "after");
    client.flush();
    got = h_->waitFor(
        [](const auto& d, const auto&) {
          return std::any_of(d.begin(), d.end(), [](const auto& x) {
            auto m = codec::decodeBrokerMessage(x.msg);
            return m && text(m->body) == "after";
          });
        },
        200ms);
  }
  EXPECT_TRUE(got) << "no delivery after the restart";

  // And Publish works again.
  natsSubscription* sub = client.subscribeSync("stratus.out");
  auto r = publish(a_, "stratus.out", "back");
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(text(Client::next(sub).body), "back");
  EXPECT_TRUE(health().healthy);
}

TEST_F(NatsProviderTest, ServerDownAtBindConnectsInTheBackground) {
  const uint16_t later = testing::freeLoopbackPort();
  ASSERT_NE(later, 0);
  auto r = h_->bind(a_, {{"URL", natsUrl(later)}, {"SUBSCRIPTION", "stratus.late"}});
  ASSERT_TRUE(r) << "a server that is down at BindActor must not fail the link: " << r.error().toString();
  EXPECT_TRUE(waitLog(std::string("no NATS server answers at ").append(natsUrl(later)), 1s));
  auto early = publish(a_, "stratus.late", "too early");
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().message.find(std::string("not connected to NATS (connecting to ").append(natsUrl(later))),
            std::string::npos)
      << early.error().message;

  auto server = startServer(later);
  ASSERT_TRUE(server) << server.error().toString();
  ASSERT_TRUE(waitLog(natsUrl(later).append(" (the server came up)")));
  Client client(later);
  ASSERT_TRUE(client.ok());
  const auto deadline = Clock::now() + 10s;
  bool got = false;
  while (!got && Clock::now() < deadline) {
    client.publish("stratus.late", "finally");
    client.flush();
    got = waitDelivered(1, 200ms);
  }
  EXPECT_TRUE(got);
  ASSERT_TRUE(publish(a_, "stratus.late", "now it works"));
  h_.reset();  // stop before this test's server goes
}

TEST_F(NatsProviderTest, BadLinksFailBindActorClearly) {
  auto r = h_->bind(a_, link({{"CREDSFILE", "/nonexistent/user.creds"}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("CREDSFILE='/nonexistent/user.creds' cannot be read: No such file or directory"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(a_), std::string::npos) << r.error().message;

  char path[] = "/tmp/stratus-nats-creds-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "not a creds file\n", 17), 17);
  ::close(fd);
  r = h_->bind(a_, link({{"CREDSFILE", path}}));
  ::unlink(path);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot connect"), std::string::npos) << r.error().message;

  r = h_->bind(a_, link({{"CLIENT_JWT", "eyJ0eXAiOiJKV1QifQ.e30.sig"}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("CLIENT_JWT needs CLIENT_SEED"), std::string::npos) << r.error().message;
  r = h_->bind(a_, link({{"CLIENT_JWT", "eyJ0eXAiOiJKV1QifQ.e30.sig"}, {"CLIENT_SEED", "SUNOTASEED"}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("CLIENT_SEED is not a valid nkey seed"), std::string::npos) << r.error().message;

  r = h_->bind(a_, {{"URL", "nats://127.0.0.1:notaport"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("invalid port"), std::string::npos) << r.error().message;
  r = h_->bind(a_, {{"URL", " , "}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("URL"), std::string::npos) << r.error().message;
  r = h_->bind(a_, link({{"MAX_PENDING", "0"}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("MAX_PENDING"), std::string::npos) << r.error().message;
  r = h_->bind(a_, link({{"SUBSCRIPTION", "has space"}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot subscribe to 'has space'"), std::string::npos) << r.error().message;
}

TEST_F(NatsProviderTest, ServerRejectingTheCredentialsFailsBindActor) {
  const uint16_t port = testing::freeLoopbackPort();
  auto secured = startServer(port, {"--user", "someone", "--pass", "secret"});
  ASSERT_TRUE(secured) << secured.error().toString();
  auto r = h_->bind(a_, {{"URL", natsUrl(port)}});
  ASSERT_FALSE(r) << "an authorization failure is the link's fault, not a server to wait for";
  EXPECT_NE(r.error().message.find("Authorization Violation"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(natsUrl(port)), std::string::npos) << r.error().message;
}

/// A NATS 2 decentralized-auth setup: operator → account → user JWTs (nkeys-signed, "ed25519-nkey"), a server
/// config trusting the operator with the account preloaded, and the user's .creds file.
struct NatsOperatorSetup {
  std::string dir;
  std::string config_path, creds_path;
  std::string user_jwt, user_seed;

  static std::string jwt(const std::string& claims_json, const claims::KeyPair& issuer) {
    std::string input = claims::base64UrlEncode(std::string_view(R"({"typ":"JWT","alg":"ed25519-nkey"})"));
    input += '.';
    input += claims::base64UrlEncode(claims_json);
    auto sig = issuer.sign(input);
    input += '.';
    input += claims::base64UrlEncode(std::span<const uint8_t>(sig->data(), sig->size()));
    return input;
  }
  static std::string claimsJson(const claims::KeyPair& issuer, const claims::KeyPair& subject, const char* name,
                                const std::string& nats) {
    std::string j = R"({"jti":")";
    j += claims::generateTokenId();
    j += R"(","iat":)";
    j += std::to_string(claims::unixNow());
    j += R"(,"iss":")";
    j += issuer.publicKey();
    j += R"(","name":")";
    j += name;
    j += R"(","sub":")";
    j += subject.publicKey();
    j += R"(","nats":)";
    j += nats;
    j += "}";
    return j;
  }

  static NatsOperatorSetup make() {
    NatsOperatorSetup s;
    char tmpl[] = "/tmp/stratus-nats-auth-XXXXXX";
    s.dir = ::mkdtemp(tmpl);
    auto op = *claims::KeyPair::generate(claims::KeyType::kOperator);
    auto account = *claims::KeyPair::generate(claims::KeyType::kAccount);
    auto user = *claims::KeyPair::generate(claims::KeyType::kUser);
    const std::string op_jwt =
        jwt(claimsJson(op, op, "stratus-test-operator", R"({"type":"operator","version":2})"), op);
    const std::string account_jwt =
        jwt(claimsJson(op, account, "stratus-test-account",
                       R"({"limits":{"subs":-1,"data":-1,"payload":-1,"imports":-1,"exports":-1,"wildcards":true,)"
                       R"("conn":-1,"leaf":-1},"type":"account","version":2})"),
            op);
    s.user_jwt = jwt(claimsJson(account, user, "stratus-test-user",
                                R"({"pub":{},"sub":{},"subs":-1,"data":-1,"payload":-1,"type":"user","version":2})"),
                     account);
    s.user_seed = *user.seed();
    s.config_path = s.dir + "/server.conf";
    std::ofstream(s.config_path) << "operator: " << op_jwt << "\nresolver: MEMORY\nresolver_preload: {\n  "
                                 << account.publicKey() << ": " << account_jwt << "\n}\n";
    s.creds_path = s.dir + "/user.creds";
    std::ofstream(s.creds_path) << "-----BEGIN NATS USER JWT-----\n"
                                << s.user_jwt << "\n------END NATS USER JWT------\n\n"
                                << "-----BEGIN USER NKEY SEED-----\n"
                                << s.user_seed << "\n------END USER NKEY SEED------\n";
    return s;
  }
  ~NatsOperatorSetup() {
    if (dir.empty()) return;
    ::unlink(config_path.c_str());
    ::unlink(creds_path.c_str());
    ::rmdir(dir.c_str());
  }
};

TEST_F(NatsProviderTest, UserJwtCredentialsAuthenticate) {
  const NatsOperatorSetup auth = NatsOperatorSetup::make();
  const uint16_t port = testing::freeLoopbackPort();
  auto secured = startServer(port, {"-c", auth.config_path});
  ASSERT_TRUE(secured) << secured.error().toString();

  // Without credentials the server says no; BindActor fails instead of retrying forever.
  auto r = h_->bind(a_, {{"URL", natsUrl(port)}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("Authorization Violation"), std::string::npos) << r.error().message;

  // CLIENT_JWT + CLIENT_SEED (the nonce signed through libnats' callbacks) and CREDSFILE both get in.
  r = h_->bind(a_, {{"URL", natsUrl(port)},
                    {"CLIENT_JWT", auth.user_jwt},
                    {"CLIENT_SEED", auth.user_seed},
                    {"SUBSCRIPTION", "stratus.secure"}});
  ASSERT_TRUE(r) << r.error().toString();
  r = h_->bind(b_, {{"URL", natsUrl(port)}, {"CREDSFILE", auth.creds_path}});
  ASSERT_TRUE(r) << r.error().toString();
  ASSERT_TRUE(publish(b_, "stratus.secure", "signed"));
  ASSERT_TRUE(waitDelivered(1));
  EXPECT_EQ(text(delivered(a_).at(0).body), "signed");

  // A seed that does not belong to the JWT: the signature check fails at the server.
  auto stranger = *claims::KeyPair::generate(claims::KeyType::kUser);
  r = h_->bind(actorKey('C'),
               {{"URL", natsUrl(port)}, {"CLIENT_JWT", auth.user_jwt}, {"CLIENT_SEED", *stranger.seed()}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("Authorization Violation"), std::string::npos) << r.error().message;
  h_.reset();  // stop before this test's server goes
}

TEST_F(NatsProviderTest, RemoveActorUnsubscribesAndClosesIdempotently) {
  bind(a_, {{"SUBSCRIPTION", "stratus.rm"}});
  bind(a_, {{"SUBSCRIPTION", "stratus.rm"}});  // the same link again: kept as is
  Client client(port_);
  ASSERT_TRUE(client.ok());
  client.publish("stratus.rm", "one");
  client.flush();
  ASSERT_TRUE(waitDelivered(1));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(delivered().size(), 1u) << "a repeated BindActor must not subscribe twice";

  ASSERT_TRUE(h_->remove(a_));
  client.publish("stratus.rm", "two");
  client.flush();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(delivered().size(), 1u);
  auto r = publish(a_, "stratus.x", "y");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("has no wasmcloud:messaging link"), std::string::npos) << r.error().message;
  ASSERT_TRUE(h_->remove(a_));

  // Changed values replace the link.
  bind(a_, {{"SUBSCRIPTION", "stratus.rm"}});
  bind(a_, {{"SUBSCRIPTION", "stratus.rm2"}});
  client.publish("stratus.rm", "old subject");
  client.publish("stratus.rm2", "new subject");
  client.flush();
  ASSERT_TRUE(waitDelivered(2));
  std::this_thread::sleep_for(100ms);
  auto msgs = delivered();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(text(msgs[1].body), "new subject");
}

TEST_F(NatsProviderTest, FullQueueDropsAndSaysSo) {
  auto gate = std::make_shared<testing::Gate>();
  h_->setReply([gate](const ProviderHarness::Dispatched&) -> Expected<Bytes> {
    gate->waitFor(std::chrono::seconds(10));
    return Bytes{};
  });
  bind(a_, {{"SUBSCRIPTION", "stratus.flood"}, {"MAX_PENDING", "2"}});
  Client client(port_);
  ASSERT_TRUE(client.ok());
  client.publish("stratus.flood", "first");  // taken by the worker, which the actor then blocks
  client.flush();
  const bool first = waitDelivered(1);
  for (int i = 0; i < 9; ++i) client.publish("stratus.flood", std::to_string(i));
  client.flush();
  const bool logged = waitLog("delivery queue full (MAX_PENDING=2", 5s);  // two of the nine queued, the next dropped
  gate->open();
  ASSERT_TRUE(first);
  ASSERT_TRUE(logged);
  ASSERT_TRUE(waitDelivered(3));  // delivery goes on with the two that waited
  // One delivery thread keeps the subscription's order: once a later message is delivered, so is every one of the
  // ten the provider kept. The queue may still be full when it arrives, so send it until one gets through.
  auto isEnd = [](const auto& d) {
    auto m = codec::decodeBrokerMessage(d.msg);
    return m && text(m->body) == "end";
  };
  bool ended = false;
  for (const auto deadline = Clock::now() + 10s; !ended && Clock::now() < deadline;) {
    client.publish("stratus.flood", "end");
    client.flush();
    ended = h_->waitFor([&](const auto& d, const auto&) { return std::any_of(d.begin(), d.end(), isEnd); }, 200ms);
  }
  ASSERT_TRUE(ended) << "no message delivered after the flood";
  const auto all = h_->dispatched();
  const auto flood = static_cast<size_t>(std::count_if(all.begin(), all.end(), [&](const auto& d) {
    return d.operation == codec::kOpHandleMessage && !isEnd(d);
  }));
  // The first, the two queued, and any of the nine that reached the queue after it drained; the logged drop was
  // lost for good, so never all ten.
  EXPECT_GE(flood, 3u);
  EXPECT_LT(flood, 10u);
}

TEST_F(NatsProviderTest, ActorFailuresAreLoggedAndDeliveryGoesOn) {
  h_->setReply([](const ProviderHarness::Dispatched&) -> Expected<Bytes> {
    return fail(ErrorCode::kGuestError, "No handler registered for function \"HandleMessage\"");
  });
  bind(a_, {{"SUBSCRIPTION", "stratus.fails"}});
  Client client(port_);
  ASSERT_TRUE(client.ok());
  client.publish("stratus.fails", "1");
  client.publish("stratus.fails", "2");
  client.flush();
  ASSERT_TRUE(waitDelivered(2));
  EXPECT_TRUE(waitLog("HandleMessage for subject 'stratus.fails' failed: No handler registered", 2s));
}

TEST_F(NatsProviderTest, BadCallsFailWithClearErrors) {
  auto r = publish(a_, "stratus.x", "unbound");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("has no wasmcloud:messaging link"), std::string::npos) << r.error().message;
  bind(a_);
  r = h_->call(a_, "Subscribe", codec::encode(PublishArgs{"s", "", {}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unknown wasmcloud:messaging operation 'Subscribe'"), std::string::npos);
  r = h_->call(a_, codec::kOpPublish, Bytes{0xc1});
  ASSERT_FALSE(r);
  r = publish(a_, "", "no subject");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("subject"), std::string::npos) << r.error().message;
  r = publish(a_, "bad subject", "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("Publish to 'bad subject' failed"), std::string::npos) << r.error().message;
  auto q = request(a_, "", "x", 100);
  ASSERT_FALSE(q);
}

}  // namespace
}  // namespace stratus
