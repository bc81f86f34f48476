// The Redis wasmcloud:keyvalue provider, loaded from its .so, against real redis-servers this test starts, stops,
// restarts and pauses (SIGSTOP): link values, faults and their messages. The operations themselves are in the
// shared contract suite, keyvalue_conformance.cc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "unit/providers/keyvalue_conformance.h"

namespace stratus {
namespace {

using testing::actorKey;
using testing::ProviderHarness;
using testing::ServerProcess;
using namespace testing::kv;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Every call that waits on a dead or paused server must return within this many timeouts: a generous bound that
// tells "bounded by the timeout" from "hangs", not a performance figure.
constexpr int kBoundInTimeouts = 10;

// The commands (lowercase) of the clients redis-server holds blocked, e.g. postponed by CLIENT PAUSE: CLIENT LIST
// marks them with flag b.
std::vector<std::string> blockedCommands(uint16_t port) {
  std::vector<std::string> out;
  auto list = redisCommand(port, {"CLIENT", "LIST"});
  EXPECT_TRUE(list) << list.error().toString();
  if (!list) return out;
  auto field = [](std::string_view line, std::string_view name) {
    const size_t at = line.find(" " + std::string(name) + "=");
    if (at == std::string_view::npos) return std::string_view();
    std::string_view value = line.substr(at + name.size() + 2);
    return value.substr(0, value.find(' '));
  };
  std::string_view rest = *list;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    if (field(line, "flags").find('b') != std::string_view::npos) out.emplace_back(field(line, "cmd"));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  return out;
}

class RedisProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = startRedis();
    ASSERT_TRUE(started) << started.error().toString();
    redis_.emplace(std::move(*started));
    h_ = ProviderHarness::load("redis");
    ASSERT_TRUE(h_);
  }

  std::string url(int db = 0) const { return redisUrl(redis_->port(), db); }

  codec::Value ok(const KeyValueRequest& q, const std::string& actor = "") {
    return expectOk(*h_, actor.empty() ? a_ : actor, q);
  }
  std::string failure(const KeyValueRequest& q, const std::string& actor = "") {
    return expectFailure(*h_, actor.empty() ? a_ : actor, q);
  }
  /// failure(), also checking it came back within kBoundInTimeouts × timeout.
  std::string boundedFailure(const KeyValueRequest& q, milliseconds timeout) {
    const auto start = Clock::now();
    std::string e = failure(q);
    EXPECT_LT(Clock::now() - start, timeout * kBoundInTimeouts) << e;
    return e;
  }

  std::optional<ServerProcess> redis_;
  std::unique_ptr<ProviderHarness> h_;
  const std::string a_ = actorKey('A');
};

TEST_F(RedisProviderTest, KeysAreNotPrefixedAndLiveInTheLinkedDatabase) {
  ASSERT_TRUE(h_->bind(a_, {{"URL", url()}}));
  ok(set("k", "from A"));
  ok(req(KeyValueOp::kPush, "l", "x"));
  // The key is stored under its own name: wasmCloud's provider did not prefix keys per actor either.
  EXPECT_EQ(redisCommand(redis_->port(), {"GET", "k"}).value(), "from A");
  EXPECT_EQ(redisCommand(redis_->port(), {"LRANGE", "l", "0", "-1"}).value(), "x");

  // Another actor linked to the same URL shares the keys; one linked to another database does not.
  const std::string b = actorKey('B'), c = actorKey('C');
  ASSERT_TRUE(h_->bind(b, {{"URL", url()}}));
  ASSERT_TRUE(h_->bind(c, {{"URL", url(3)}}));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k"), b), "value"), "from A");
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kGet, "k"), c), "exists"));
  ok(set("k", "from C"), c);
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k")), "value"), "from A");

  // The data lives in Redis: removing the link does not drop it (the in-memory provider's does).
  ASSERT_TRUE(h_->remove(a_));
  EXPECT_NE(failure(req(KeyValueOp::kGet, "k")).find("not linked"), std::string::npos);
  ASSERT_TRUE(h_->bind(a_, {{"URL", url()}}));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k")), "value"), "from A");
}

TEST_F(RedisProviderTest, BadLinkValuesAreRefusedAtBind) {
  struct Case {
    std::string key, value, expect;
  };
  const std::vector<Case> cases = {
      {"URL", "http://127.0.0.1:6379", "scheme must be redis://"},
      {"URL", "rediss://127.0.0.1:6379", "TLS"},
      {"URL", "127.0.0.1:6379", "scheme"},
      {"URL", "", "scheme"},
      {"URL", "redis://", "host is empty"},
      {"URL", "redis://:6379/0", "host is empty"},
      {"URL", "redis://127.0.0.1:0", "port must be"},
      {"URL", "redis://127.0.0.1:65536", "port must be"},
      {"URL", "redis://127.0.0.1:6x", "port must be"},
      {"URL", "redis://127.0.0.1:", "port is empty"},
      {"URL", "redis://127.0.0.1:6379/db1", "database number"},
      {"URL", "redis://127.0.0.1:6379/-1", "database number"},
      {"URL", "redis://127.0.0.1:6379/0?timeout=1", "query"},
      {"URL", "redis://alice@127.0.0.1", "[user]:password"},
      {"URL", "redis://:%zz@127.0.0.1", "percent-encoding"},
      {"URL", "redis://::1:6379", "IPv6"},
      {"URL", "redis://[::1:6379", "closing ']'"},
      {"TIMEOUT_MS", "0", "TIMEOUT_MS"},
      {"TIMEOUT_MS", "600001", "TIMEOUT_MS"},
      {"TIMEOUT_MS", "2s", "TIMEOUT_MS"},
      {"POOL_SIZE", "0", "POOL_SIZE"},
      {"POOL_SIZE", "65", "POOL_SIZE"},
      {"MAX_VALUE_BYTES", "536870913", "MAX_VALUE_BYTES"},
  };
  for (const Case& c : cases) {
    auto bound = h_->bind(a_, {{c.key, c.value}});
    ASSERT_FALSE(bound) << c.key << "=" << c.value;
    EXPECT_NE(bound.error().message.find(c.expect), std::string::npos) << bound.error().message;
  }
  // A password never appears in a message, even in one about a URL that does not parse.
  auto bound = h_->bind(a_, {{"URL", "redis://:s3cret@127.0.0.1:99999/0"}});
  ASSERT_FALSE(bound);
  EXPECT_EQ(bound.error().message.find("s3cret"), std::string::npos) << bound.error().message;
  EXPECT_NE(bound.error().message.find("redis://:***@127.0.0.1:99999/0"), std::string::npos) << bound.error().message;

  // Good forms: IPv6 in brackets, no port, no database, a user.
  for (const char* good : {"redis://[::1]:1/1", "redis://localhost:1", "redis://127.0.0.1/", "REDIS://127.0.0.1:1/2",
                           "redis://alice:pw@127.0.0.1:1/0", "redis://:p%40ss@127.0.0.1:1"}) {
    EXPECT_TRUE(h_->bind(actorKey('G'), {{"URL", good}, {"TIMEOUT_MS", "200"}})) << good;
  }
}

TEST_F(RedisProviderTest, ServerDownAtBindAndFirstOpFailsClearlyThenRecovers) {
  const milliseconds timeout(500);
  const uint16_t port = testing::freeLoopbackPort();  // nothing listens here yet
  const std::string down = redisUrl(port);
  const auto start = Clock::now();
  ASSERT_TRUE(h_->bind(a_, {{"URL", down}, {"TIMEOUT_MS", "500"}}));  // Redis may come up later
  EXPECT_LT(Clock::now() - start, timeout * kBoundInTimeouts);
  const auto logs = h_->logs();
  ASSERT_FALSE(logs.empty());
  EXPECT_EQ(logs.back().level, STRATUS_LOG_WARN);
  EXPECT_NE(logs.back().text.find(down), std::string::npos) << logs.back().text;
  EXPECT_NE(logs.back().text.find(a_), std::string::npos) << logs.back().text;

  for (const KeyValueRequest& q : {req(KeyValueOp::kGet, "k"), set("k", "v")}) {
    std::string e = boundedFailure(q, timeout);
    EXPECT_NE(e.find(down), std::string::npos) << e;
    EXPECT_NE(e.find(std::string(codec::keyValueOpName(q.op)) + " on key 'k'"), std::string::npos) << e;
    EXPECT_NE(e.find("unreachable"), std::string::npos) << e;
    EXPECT_NE(e.find("refused"), std::string::npos) << e;
  }

  auto late = startRedis({}, port);
  ASSERT_TRUE(late) << late.error().toString();
  ok(set("k", "v"));  // the next call connects
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k")), "value"), "v");
}

TEST_F(RedisProviderTest, ServerRestartedMidRunIsReconnectedTransparently) {
  ASSERT_TRUE(h_->bind(a_, {{"URL", url()}, {"POOL_SIZE", "4"}}));
  ok(set("before", "1"));
  // Open all four pooled connections: each must notice the restart on its own.
  std::vector<std::thread> warm;
  for (int t = 0; t < 4; ++t) {
    warm.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) ok(add(std::string("warm").append(std::to_string(t)), 1));
    });
  }
  for (auto& t : warm) t.join();

  auto restarted = redis_->restart();
  ASSERT_TRUE(restarted) << restarted.error().toString();

  // Writes too: a connection the server closed while idle is replaced before anything is sent.
  std::atomic<int> failures{0};
  std::mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> after;
  for (int t = 0; t < 4; ++t) {
    after.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto r = run(*h_, a_, req(KeyValueOp::kPush, std::string("after").append(std::to_string(t)), "x"));
        if (!r) {
          ++failures;
          std::lock_guard lock(mu);
          errors.push_back(r.error().message);
        }
      }
    });
  }
  for (auto& t : after) t.join();
  EXPECT_EQ(failures.load(), 0) << (errors.empty() ? "" : errors.front());
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "after0", "x")), "newCount"), 21);
  ok(set("fresh", "2"));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "fresh")), "value"), "2");
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kGet, "before")), "exists"));  // --save "": nothing survived the restart
}

TEST_F(RedisProviderTest, PausedServerTimesOutWithinTheBoundThenWorksAfterResume) {
  const milliseconds timeout(300);
  ASSERT_TRUE(h_->bind(a_, {{"URL", url()}, {"TIMEOUT_MS", "300"}}));
  ok(set("k", "v"));

  redis_->pause();
  std::string e = boundedFailure(req(KeyValueOp::kGet, "k"), timeout);
  EXPECT_NE(e.find(url()), std::string::npos) << e;
  EXPECT_NE(e.find("Get on key 'k'"), std::string::npos) << e;
  EXPECT_NE(e.find("did not answer"), std::string::npos) << e;
  EXPECT_NE(e.find("TIMEOUT_MS = 300 ms"), std::string::npos) << e;
  // A write that timed out was sent: the message says it may still happen.
  e = boundedFailure(set("k2", "v2"), timeout);
  EXPECT_NE(e.find("Set on key 'k2'"), std::string::npos) << e;
  EXPECT_NE(e.find("may still be applied"), std::string::npos) << e;
  // A new actor can still be bound while the server is stuck.
  const auto start = Clock::now();
  EXPECT_TRUE(h_->bind(actorKey('B'), {{"URL", url()}, {"TIMEOUT_MS", "300"}}));
  EXPECT_LT(Clock::now() - start, timeout * kBoundInTimeouts);
  redis_->resume();

  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k")), "value"), "v");
  ok(set("k3", "v3"));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k3"), actorKey('B')), "value"), "v3");
}

TEST_F(RedisProviderTest, WriteLostInFlightIsReportedNotRetried) {
  ASSERT_TRUE(h_->bind(a_, {{"URL", url()}, {"TIMEOUT_MS", "5000"}}));
  ok(req(KeyValueOp::kGet, "warm"));
  // The server holds write commands; the provider's Push waits for its reply; then its connection is killed.
  ASSERT_TRUE(redisCommand(redis_->port(), {"CLIENT", "PAUSE", "4000", "WRITE"}));
  auto push = std::async(std::launch::async, [&] { return run(*h_, a_, req(KeyValueOp::kPush, "l", "once")); });
  bool held = false;
  for (const auto deadline = Clock::now() + milliseconds(3000); !held && Clock::now() < deadline;) {
    const auto blocked = blockedCommands(redis_->port());
    held = std::find(blocked.begin(), blocked.end(), "lpush") != blocked.end();
    if (!held) std::this_thread::sleep_for(milliseconds(5));  // poll interval
  }
  EXPECT_TRUE(held) << "the provider's Push never reached the paused server";
  auto killed = redisCommand(redis_->port(), {"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  ASSERT_TRUE(killed) << killed.error().toString();
  auto r = push.get();
  // Not applied behind the caller's back: no write (a retry of the Push) waits for the pause to end, and the
  // server runs what waited before it answers UNPAUSE.
  EXPECT_TRUE(blockedCommands(redis_->port()).empty());
  ASSERT_TRUE(redisCommand(redis_->port(), {"CLIENT", "UNPAUSE"}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("connection was lost"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("not retried"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("Push on key 'l'"), std::string::npos) << r.error().message;
  EXPECT_EQ(redisCommand(redis_->port(), {"LLEN", "l"}).value(), "0");
  EXPECT_EQ(num(ok(req(KeyValueOp::kPush, "l", "again")), "newCount"), 1);
}

// A scripted stand-in for Redis: each accepted connection reads one command, records it, and either answers the
// next canned reply (raw RESP) or closes without answering when that reply is empty.
class FakeRedis {
 public:
  explicit FakeRedis(std::vector<std::string> replies) : replies_(std::move(replies)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "FakeRedis: cannot listen";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeRedis() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
    for (int c : open_) ::close(c);
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> received() {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  void serve() {
    for (const std::string& reply : replies_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      const ssize_t n = ::read(c, buf, sizeof buf);
      {
        std::lock_guard lock(mu_);
        received_.emplace_back(buf, n > 0 ? static_cast<size_t>(n) : 0);
      }
      if (reply.empty()) {
        ::close(c);
      } else {
        EXPECT_EQ(::write(c, reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
        open_.push_back(c);
      }
    }
  }

  std::vector<std::string> replies_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::vector<int> open_;  // owned by the serving thread until it is joined
  std::mutex mu_;
  std::vector<std::string> received_;  // guarded by mu_
};

TEST_F(RedisProviderTest, ReadLostInFlightIsRetriedOnceOnANewConnection) {
  FakeRedis fake({"", "$5\r\nhello\r\n"});  // the first connection dies with the GET in flight
  ASSERT_TRUE(h_->bind(a_, {{"URL", redisUrl(fake.port())}, {"TIMEOUT_MS", "2000"}}));
  auto got = ok(req(KeyValueOp::kGet, "k"));
  EXPECT_TRUE(flag(got, "exists"));
  EXPECT_EQ(str(got, "value"), "hello");
  const auto received = fake.received();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0], "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
  EXPECT_EQ(received[1], received[0]);
}

TEST_F(RedisProviderTest, ReadLostTwiceReportsBothAttempts) {
  FakeRedis fake({"", ""});
  ASSERT_TRUE(h_->bind(a_, {{"URL", redisUrl(fake.port())}}));
  std::string e = failure(req(KeyValueOp::kKeyExists, "k"));
  EXPECT_NE(e.find("KeyExists on key 'k'"), std::string::npos) << e;
  EXPECT_NE(e.find("connection was lost"), std::string::npos) << e;
  EXPECT_NE(e.find("retried once"), std::string::npos) << e;
  EXPECT_EQ(fake.received().size(), 2u);
}

TEST_F(RedisProviderTest, HugeValuesAreRefusedBeforeReachingRedis) {
  ASSERT_TRUE(h_->bind(a_, {{"URL", url()}}));  // default MAX_VALUE_BYTES: 1 MiB
  const std::string mib(size_t{1} << 20, 'v');
  ok(set("big", mib));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "big")), "value"), mib);

  const std::string huge((size_t{1} << 20) + 1, 'h');
  for (const KeyValueRequest& q : {set("huge", huge), req(KeyValueOp::kPush, "huge", huge),
                                   req(KeyValueOp::kSetAdd, "huge", huge), set(huge, "v")}) {
    std::string e = failure(q);
    EXPECT_NE(e.find("exceeds MAX_VALUE_BYTES (1048576)"), std::string::npos) << e;
    EXPECT_NE(e.find("1048577 bytes"), std::string::npos) << e;
  }
  EXPECT_EQ(redisCommand(redis_->port(), {"EXISTS", "huge"}).value(), "0");

  // A larger limit can be linked, up to Redis's own 512 MiB.
  ASSERT_TRUE(h_->bind(a_, {{"URL", url()}, {"MAX_VALUE_BYTES", "2097152"}}));
  ok(set("huge", huge));
  EXPECT_EQ(redisCommand(redis_->port(), {"STRLEN", "huge"}).value(), std::to_string(huge.size()));
}

TEST_F(RedisProviderTest, PasswordAndDatabaseFromTheUrl) {
  auto secured = startRedis({"--requirepass", "s3cret"});
  ASSERT_TRUE(secured) << secured.error().toString();
  const std::string port = std::to_string(secured->port());
  std::string good = "redis://:s3cret@127.0.0.1:";
  good += port;
  std::string wrong = "redis://:wrongpw@127.0.0.1:";
  wrong += port;
  std::string none = "redis://127.0.0.1:";
  none += port;

  ASSERT_TRUE(h_->bind(a_, {{"URL", good + "/2"}}));
  ok(set("k", "v"));
  EXPECT_EQ(str(ok(req(KeyValueOp::kGet, "k")), "value"), "v");
  const std::string b = actorKey('B');
  ASSERT_TRUE(h_->bind(b, {{"URL", good + "/0"}}));
  EXPECT_FALSE(flag(ok(req(KeyValueOp::kGet, "k"), b), "exists"));

  // A wrong password: linked (with a warning), and every call says AUTH was refused, never the password.
  const std::string c = actorKey('C');
  ASSERT_TRUE(h_->bind(c, {{"URL", wrong}}));
  const auto logs = h_->logs();
  ASSERT_FALSE(logs.empty());
  EXPECT_NE(logs.back().text.find("AUTH refused"), std::string::npos) << logs.back().text;
  EXPECT_EQ(logs.back().text.find("wrongpw"), std::string::npos) << logs.back().text;
  std::string e = failure(req(KeyValueOp::kGet, "k"), c);
  EXPECT_NE(e.find("AUTH refused"), std::string::npos) << e;
  std::string redacted = "redis://:***@127.0.0.1:";
  redacted += port;
  redacted += "/0";
  EXPECT_NE(e.find(redacted), std::string::npos) << e;
  EXPECT_EQ(e.find("wrongpw"), std::string::npos) << e;

  // No password: Redis's NOAUTH, in the provider's words.
  const std::string d = actorKey('D');
  ASSERT_TRUE(h_->bind(d, {{"URL", none}}));
  e = failure(req(KeyValueOp::kGet, "k"), d);
  EXPECT_EQ(e.rfind("NOAUTH Get on key 'k'", 0), 0u) << e;
}

TEST_F(RedisProviderTest, DefaultUrlIsLoopback6379) {
  if (testing::acceptsConnections(6379)) GTEST_SKIP() << "something listens on 127.0.0.1:6379 here";
  ASSERT_TRUE(h_->bind(a_, {{"TIMEOUT_MS", "500"}}));
  std::string e = failure(req(KeyValueOp::kGet, "k"));
  EXPECT_NE(e.find("redis://127.0.0.1:6379/0"), std::string::npos) << e;
}

}  // namespace
}  // namespace stratus
