// The wasmcloud:httpserver provider, loaded from its .so through NativeProvider as the host loads it. The
// harness's dispatch callback plays the actor; a Beast client on loopback plays the browser.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "stratus/codec/core.h"
#include "stratus/codec/http.h"
#include "support/gate.h"
#include "unit/providers/provider_harness.h"

namespace stratus {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using testing::actorKey;
using testing::ProviderHarness;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Clock = std::chrono::steady_clock;

constexpr auto kIoTimeout = std::chrono::seconds(5);

Bytes bytesOf(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string textOf(const Bytes& b) { return std::string(b.begin(), b.end()); }
std::string str(beast::string_view s) { return std::string(s.data(), s.size()); }

Bytes actorResponse(uint32_t code, std::string status, std::map<std::string, std::string> header, std::string body) {
  codec::HttpResponse r;
  r.status_code = code;
  r.status = std::move(status);
  r.header = std::move(header);
  r.body = bytesOf(body);
  return codec::encode(r);
}

// A blocking HTTP/1.1 client whose every operation gives up after kIoTimeout, so a server bug fails a test
// instead of hanging it.
class Client {
 public:
  beast::error_code connect(uint16_t port) {
    beast::error_code result;
    stream_.expires_after(kIoTimeout);
    stream_.async_connect(tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port),
                          [&](beast::error_code ec) { result = ec; });
    run();
    return result;
  }

  beast::error_code write(Request req) {
    if (req.find(http::field::host) == req.end()) req.set(http::field::host, "localhost");
    req.prepare_payload();
    beast::error_code result;
    stream_.expires_after(kIoTimeout);
    http::async_write(stream_, req, [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  beast::error_code read(Response& res) {
    beast::error_code result;
    stream_.expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, res, [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  std::pair<beast::error_code, Response> send(Request req) {
    Response res;
    beast::error_code ec = write(std::move(req));
    if (!ec) ec = read(res);
    return {ec, std::move(res)};
  }

  beast::error_code writeRaw(std::string_view text) {
    beast::error_code result;
    stream_.expires_after(kIoTimeout);
    net::async_write(stream_, net::buffer(text.data(), text.size()),
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return result;
  }

  // Reads whatever arrives until `until` appears in it, the peer closes, or an error; returns the text and sets
  // `ec` to the error that ended the read (end_of_file when the peer closed), cleared when `until` was found.
  std::string readRaw(beast::error_code& ec, std::string_view until = {}) {
    std::string text(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    std::array<char, 4096> chunk;
    for (;;) {
      if (!until.empty() && text.find(until) != std::string::npos) {
        ec = {};
        return text;
      }
      std::size_t n = 0;
      stream_.expires_after(kIoTimeout);
      stream_.async_read_some(net::buffer(chunk), [&](beast::error_code e, std::size_t got) {
        ec = e;
        n = got;
      });
      run();
      text.append(chunk.data(), n);
      if (ec) return text;
    }
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  net::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
};

Request get(std::string target) { return Request{http::verb::get, target, 11}; }

class HttpServerProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_ = ProviderHarness::load("httpserver");
    ASSERT_TRUE(h_);
  }

  // Binds `actor` to an ephemeral loopback port and returns the port, read from the provider's log line.
  uint16_t bindLocal(const std::string& actor, std::map<std::string, std::string> values = {}) {
    values.emplace("BIND", "127.0.0.1:0");
    auto bound = h_->bind(actor, values);
    EXPECT_TRUE(bound) << bound.error().toString();
    return portOf(actor);
  }

  // The port of the last "actor <key> listening on 127.0.0.1:<port>" log line for `actor`; 0 when there is none.
  uint16_t portOf(const std::string& actor) {
    const std::string prefix = "actor " + actor + " listening on 127.0.0.1:";
    uint16_t port = 0;
    for (const auto& line : h_->logs()) {
      if (line.text.rfind(prefix, 0) == 0) port = static_cast<uint16_t>(std::stoi(line.text.substr(prefix.size())));
    }
    EXPECT_NE(port, 0) << "no listening log line for " << actor;
    return port;
  }

  std::size_t listeningLines(const std::string& actor) {
    std::size_t n = 0;
    for (const auto& line : h_->logs()) n += line.text.rfind("actor " + actor + " listening on ", 0) == 0;
    return n;
  }

  codec::HttpRequest dispatchedRequest(std::size_t i) {
    auto d = h_->dispatched();
    if (i >= d.size()) {
      ADD_FAILURE() << "only " << d.size() << " requests reached the actor";
      return {};
    }
    EXPECT_EQ(d[i].operation, codec::kOpHandleRequest);
    auto decoded = codec::decodeHttpRequest(d[i].msg);
    EXPECT_TRUE(decoded) << decoded.error().toString();
    return decoded ? *decoded : codec::HttpRequest{};
  }

  std::unique_ptr<ProviderHarness> h_;
};

TEST_F(HttpServerProviderTest, GetWithQueryAndHeadersReachesTheActorAndItsResponseTheClient) {
  const std::string actor = actorKey('A');
  h_->setReply([](const ProviderHarness::Dispatched&) -> Expected<Bytes> {
    return actorResponse(201, "Created Here", {{"X-Actor", "yes"}, {"Content-Type", "text/plain"}}, "hello");
  });
  uint16_t port = bindLocal(actor);

  Client client;
  ASSERT_FALSE(client.connect(port));
  Request req = get("/some/path?a=1&b=two");
  req.set("X-Custom", "v1");
  req.insert("X-Multi", "one");
  req.insert("X-Multi", "two");
  auto [ec, res] = client.send(std::move(req));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 201u);
  EXPECT_EQ(str(res.reason()), "Created Here");
  EXPECT_EQ(str(res["x-actor"]), "yes");
  EXPECT_EQ(str(res[http::field::content_type]), "text/plain");
  EXPECT_EQ(res.body(), "hello");

  ASSERT_EQ(h_->dispatched().size(), 1u);
  EXPECT_EQ(h_->dispatched()[0].actor, actor);
  codec::HttpRequest seen = dispatchedRequest(0);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "/some/path");
  EXPECT_EQ(seen.query_string, "a=1&b=two");
  EXPECT_EQ(seen.header["x-custom"], "v1");
  EXPECT_EQ(seen.header["x-multi"], "one, two");
  EXPECT_EQ(seen.header["host"], "localhost");
  EXPECT_TRUE(seen.body.empty());
}

TEST_F(HttpServerProviderTest, PostBodyReachesTheActor) {
  h_->setReply([](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    auto req = codec::decodeHttpRequest(d.msg);
    if (!req) return fail(req.takeError());
    return actorResponse(200, "OK", {}, "echo:" + textOf(req->body));
  });
  uint16_t port = bindLocal(actorKey('P'));

  const std::string body("binary\0payload\xff", 15);
  Client client;
  ASSERT_FALSE(client.connect(port));
  Request req{http::verb::post, "/upload", 11};
  req.set(http::field::content_type, "application/octet-stream");
  req.body() = body;
  auto [ec, res] = client.send(std::move(req));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "echo:" + body);
  codec::HttpRequest seen = dispatchedRequest(0);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/upload");
  EXPECT_EQ(seen.query_string, "");
  EXPECT_EQ(textOf(seen.body), body);

  // A client that asks before sending its body (Expect: 100-continue, as curl does) is told to go on.
  ASSERT_FALSE(client.writeRaw("PUT /later HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  beast::error_code read_ec;
  std::string interim = client.readRaw(read_ec, "\r\n\r\n");
  ASSERT_FALSE(read_ec) << read_ec.message();
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << interim;
  ASSERT_FALSE(client.writeRaw("later"));
  Response second;
  ASSERT_FALSE(client.read(second));
  EXPECT_EQ(second.body(), "echo:later");
}

TEST_F(HttpServerProviderTest, KeepAliveServesTwoRequestsOnOneConnection) {
  h_->setReply([](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    auto req = codec::decodeHttpRequest(d.msg);
    if (!req) return fail(req.takeError());
    return actorResponse(200, "", {}, "path " + req->path);
  });
  uint16_t port = bindLocal(actorKey('K'));

  Client client;
  ASSERT_FALSE(client.connect(port));
  auto [ec1, first] = client.send(get("/one"));
  ASSERT_FALSE(ec1) << ec1.message();
  EXPECT_TRUE(first.keep_alive());
  EXPECT_EQ(first.body(), "path /one");
  EXPECT_EQ(str(first.reason()), "OK");  // no status text from the actor: the standard reason
  auto [ec2, second] = client.send(get("/two"));
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_EQ(second.body(), "path /two");
  EXPECT_EQ(h_->dispatched().size(), 2u);

  // HTTP/1.0 without keep-alive: answered, then closed by the server.
  Request old = get("/three");
  old.version(10);
  auto [ec3, third] = client.send(std::move(old));
  ASSERT_FALSE(ec3) << ec3.message();
  EXPECT_EQ(third.body(), "path /three");
  beast::error_code eof;
  client.readRaw(eof);
  EXPECT_EQ(eof, net::error::eof) << eof.message();
}

TEST_F(HttpServerProviderTest, HeadAndNoContentRepliesCarryNoBody) {
  h_->setReply([](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    auto req = codec::decodeHttpRequest(d.msg);
    if (req && req->path == "/empty") return actorResponse(204, "", {{"X-Evil", "a\r\nInjected: 1"}}, "dropped");
    return actorResponse(200, "OK", {{"Content-Length", "999"}}, "hello");
  });
  uint16_t port = bindLocal(actorKey('D'));
  Client client;
  ASSERT_FALSE(client.connect(port));
  ASSERT_FALSE(client.writeRaw("HEAD /page HTTP/1.1\r\nHost: x\r\n\r\n"));
  beast::error_code ec;
  std::string head = client.readRaw(ec, "\r\n\r\n");
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos) << head;  // ours, not the actor's 999
  EXPECT_EQ(head.find("hello"), std::string::npos) << head;

  // The next response on the connection starts right after the HEAD headers: no body bytes were sent.
  auto [ec2, res] = client.send(get("/empty"));
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_EQ(res.result_int(), 204u);
  EXPECT_TRUE(res.body().empty());
  EXPECT_EQ(res.find("X-Evil"), res.end());  // a header value with CR LF is dropped, not sent
  EXPECT_EQ(res.find("Injected"), res.end());
}

TEST_F(HttpServerProviderTest, BodyOverTheLimitIsRejectedWith413) {
  h_->setReply([](const ProviderHarness::Dispatched&) -> Expected<Bytes> { return actorResponse(200, "OK", {}, ""); });
  uint16_t port = bindLocal(actorKey('L'), {{"MAX_BODY_BYTES", "1024"}});

  Client at_limit;
  ASSERT_FALSE(at_limit.connect(port));
  Request fits{http::verb::post, "/", 11};
  fits.body() = std::string(1024, 'x');
  auto [ec1, ok_res] = at_limit.send(std::move(fits));
  ASSERT_FALSE(ec1) << ec1.message();
  EXPECT_EQ(ok_res.result_int(), 200u);

  Client over;
  ASSERT_FALSE(over.connect(port));
  Request big{http::verb::post, "/", 11};
  big.body() = std::string(4096, 'x');
  auto [ec2, res] = over.send(std::move(big));
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_NE(res.body().find("1024"), std::string::npos) << res.body();
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(h_->dispatched().size(), 1u);  // the oversized request never reached the actor
}

TEST_F(HttpServerProviderTest, ActorErrorIs503WithTheMessage) {
  h_->setReply([](const ProviderHarness::Dispatched&) -> Expected<Bytes> {
    return fail(ErrorCode::kTrap, "guest trapped: unreachable executed");
  });
  uint16_t port = bindLocal(actorKey('E'));
  Client client;
  ASSERT_FALSE(client.connect(port));
  auto [ec, res] = client.send(get("/"));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_NE(res.body().find("actor call failed: guest trapped: unreachable executed"), std::string::npos) << res.body();
}

TEST_F(HttpServerProviderTest, SlowActorIs504AfterTheLinkTimeoutAndOthersGoOn) {
  auto slow = std::make_shared<testing::Gate>();  // holds /slow with the actor until the test is done
  h_->setReply([slow](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    auto req = codec::decodeHttpRequest(d.msg);
    if (req && req->path == "/slow") slow->waitFor(std::chrono::seconds(10));
    return actorResponse(200, "OK", {}, "done");
  });
  struct OpenAtExit {
    std::shared_ptr<testing::Gate> gate;
    ~OpenAtExit() { gate->open(); }
  } open_at_exit{slow};
  uint16_t port = bindLocal(actorKey('S'), {{"TIMEOUT_MS", "200"}});
  Client client;
  ASSERT_FALSE(client.connect(port));
  auto start = Clock::now();
  auto [ec, res] = client.send(get("/slow"));
  auto took = Clock::now() - start;
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 504u);
  EXPECT_NE(res.body().find("actor did not answer within 200 ms"), std::string::npos) << res.body();
  EXPECT_GE(took, std::chrono::milliseconds(200));  // not before the link's timeout
  // The connection and the server stay usable while the slow call is still with the actor.
  auto [ec2, fast] = client.send(get("/fast"));
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_EQ(fast.result_int(), 200u);
  EXPECT_EQ(fast.body(), "done");
}

TEST_F(HttpServerProviderTest, ReplyThatIsNoHttpResponseIs502) {
  h_->setReply([](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    auto req = codec::decodeHttpRequest(d.msg);
    if (req && req->path == "/string") return bytesOf("\xa5hello");  // valid msgpack, but a string
    return Bytes{0xc1, 0x00};                                        // not msgpack at all
  });
  uint16_t port = bindLocal(actorKey('G'));
  Client client;
  ASSERT_FALSE(client.connect(port));
  for (const char* path : {"/garbage", "/string"}) {
    auto [ec, res] = client.send(get(path));
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(res.result_int(), 502u) << path;
    EXPECT_NE(res.body().find("not a wasmcloud:httpserver Response"), std::string::npos) << res.body();
  }
}

TEST_F(HttpServerProviderTest, TwoActorsOnTwoPortsAreServedIndependently) {
  const std::string a = actorKey('A'), b = actorKey('B');
  h_->setReply([&](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    return actorResponse(200, "OK", {}, d.actor == a ? "from A" : "from B");
  });
  uint16_t port_a = bindLocal(a);
  uint16_t port_b = bindLocal(b);
  ASSERT_NE(port_a, port_b);

  Client ca, cb;
  ASSERT_FALSE(ca.connect(port_a));
  ASSERT_FALSE(cb.connect(port_b));
  auto [eb, rb] = cb.send(get("/"));
  auto [ea, ra] = ca.send(get("/"));
  ASSERT_FALSE(ea) << ea.message();
  ASSERT_FALSE(eb) << eb.message();
  EXPECT_EQ(ra.body(), "from A");
  EXPECT_EQ(rb.body(), "from B");

  // Unlinking one leaves the other serving.
  ASSERT_TRUE(h_->remove(b));
  auto [ea2, ra2] = ca.send(get("/again"));
  ASSERT_FALSE(ea2) << ea2.message();
  EXPECT_EQ(ra2.body(), "from A");
}

TEST_F(HttpServerProviderTest, ConcurrentClientsEachGetTheirOwnAnswers) {
  h_->setReply([](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    auto req = codec::decodeHttpRequest(d.msg);
    if (!req) return fail(req.takeError());
    return actorResponse(200, "OK", {}, req->path + "?" + req->query_string);
  });
  uint16_t port = bindLocal(actorKey('N'));
  constexpr int kClients = 4, kRequests = 25;
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client;
      if (client.connect(port)) return;
      for (int i = 0; i < kRequests; ++i) {
        const std::string target = "/c" + std::to_string(c) + "?i=" + std::to_string(i);
        auto [ec, res] = client.send(get(target));
        if (!ec && res.result_int() == 200 && res.body() == target) ++good;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good.load(), kClients * kRequests);
}

TEST_F(HttpServerProviderTest, BindActorTwiceIsIdempotent) {
  const std::string actor = actorKey('I');
  h_->setReply([](const ProviderHarness::Dispatched&) -> Expected<Bytes> { return actorResponse(200, "OK", {}, "x"); });
  uint16_t port = bindLocal(actor);
  auto again = h_->bind(actor, {{"BIND", "127.0.0.1:0"}});
  ASSERT_TRUE(again) << again.error().toString();
  EXPECT_EQ(listeningLines(actor), 1u);
  Client client;
  ASSERT_FALSE(client.connect(port));
  auto [ec, res] = client.send(get("/"));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.body(), "x");
}

TEST_F(HttpServerProviderTest, PortInUseIsAClearError) {
  const std::string first = actorKey('F'), second = actorKey('Z');
  uint16_t port = bindLocal(first);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  auto clash = h_->bind(second, {{"BIND", address}});
  ASSERT_FALSE(clash);
  const std::string& msg = clash.error().message;
  EXPECT_NE(msg.find(address), std::string::npos) << msg;
  EXPECT_NE(msg.find(second), std::string::npos) << msg;
  EXPECT_NE(msg.find("Address already in use"), std::string::npos) << msg;
}

TEST_F(HttpServerProviderTest, BadLinkValuesAreRejected) {
  auto bad_port = h_->bind(actorKey('X'), {{"PORT", "http"}});
  ASSERT_FALSE(bad_port);
  EXPECT_NE(bad_port.error().message.find("PORT='http'"), std::string::npos) << bad_port.error().message;
  auto bad_bind = h_->bind(actorKey('X'), {{"BIND", "300.1.2.3:80"}});
  ASSERT_FALSE(bad_bind);
  EXPECT_NE(bad_bind.error().message.find("300.1.2.3"), std::string::npos) << bad_bind.error().message;
  auto bad_timeout = h_->bind(actorKey('X'), {{"PORT", "0"}, {"TIMEOUT_MS", "-5"}});
  ASSERT_FALSE(bad_timeout);
  EXPECT_NE(bad_timeout.error().message.find("TIMEOUT_MS"), std::string::npos) << bad_timeout.error().message;
}

TEST_F(HttpServerProviderTest, RemoveActorClosesItsPortAndConnections) {
  const std::string actor = actorKey('R');
  h_->setReply([](const ProviderHarness::Dispatched&) -> Expected<Bytes> { return actorResponse(200, "OK", {}, "y"); });
  uint16_t port = bindLocal(actor);
  Client idle;
  ASSERT_FALSE(idle.connect(port));
  auto [ec, res] = idle.send(get("/"));
  ASSERT_FALSE(ec) << ec.message();

  ASSERT_TRUE(h_->remove(actor));
  Client late;
  EXPECT_EQ(late.connect(port), net::error::connection_refused);
  beast::error_code closed;
  idle.readRaw(closed);
  EXPECT_TRUE(closed == net::error::eof || closed == net::error::connection_reset) << closed.message();
  ASSERT_TRUE(h_->remove(actor));  // idempotent

  // The port is free again: the same actor can be linked to it anew.
  auto rebound = h_->bind(actor, {{"BIND", "127.0.0.1:" + std::to_string(port)}});
  ASSERT_TRUE(rebound) << rebound.error().toString();
  Client fresh;
  ASSERT_FALSE(fresh.connect(port));
  auto [ec2, res2] = fresh.send(get("/"));
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_EQ(res2.body(), "y");
}

TEST_F(HttpServerProviderTest, StopWithAnIdleKeepAliveConnectionReturnsPromptly) {
  h_->setReply([](const ProviderHarness::Dispatched&) -> Expected<Bytes> { return actorResponse(200, "OK", {}, "z"); });
  uint16_t port = bindLocal(actorKey('Q'));
  Client idle;
  ASSERT_FALSE(idle.connect(port));
  auto [ec, res] = idle.send(get("/"));
  ASSERT_FALSE(ec) << ec.message();

  auto start = Clock::now();
  auto stopped = h_->provider->stop();
  auto took = Clock::now() - start;
  ASSERT_TRUE(stopped) << stopped.error().toString();
  EXPECT_LT(took, std::chrono::milliseconds(900));
  beast::error_code closed;
  idle.readRaw(closed);
  EXPECT_TRUE(closed == net::error::eof || closed == net::error::connection_reset) << closed.message();
  Client late;
  EXPECT_EQ(late.connect(port), net::error::connection_refused);
  EXPECT_EQ(h_->dispatched().size(), 1u);
}

TEST_F(HttpServerProviderTest, HealthyWhileServing) {
  bindLocal(actorKey('H'));
  auto reply = h_->call(codec::kSystemActor, codec::kOpHealthRequest, codec::encode(codec::HealthRequest{}));
  ASSERT_TRUE(reply) << reply.error().toString();
  auto health = codec::decodeHealthResponse(*reply);
  ASSERT_TRUE(health) << health.error().toString();
  EXPECT_TRUE(health->healthy) << health->message;
}

TEST_F(HttpServerProviderTest, CorsPreflightAndOriginHeaders) {
  h_->setReply([](const ProviderHarness::Dispatched&) -> Expected<Bytes> { return actorResponse(200, "OK", {}, "c"); });
  uint16_t port = bindLocal(actorKey('C'), {{"CORS_ALLOWED_ORIGINS", "https://app.example, https://other.example"}});
  Client client;
  ASSERT_FALSE(client.connect(port));

  Request pre{http::verb::options, "/api", 11};
  pre.set(http::field::origin, "https://app.example");
  pre.set(http::field::access_control_request_method, "POST");
  pre.set(http::field::access_control_request_headers, "x-token");
  auto [ec1, pre_res] = client.send(std::move(pre));
  ASSERT_FALSE(ec1) << ec1.message();
  EXPECT_EQ(pre_res.result_int(), 204u);
  EXPECT_EQ(str(pre_res[http::field::access_control_allow_origin]), "https://app.example");
  EXPECT_NE(str(pre_res[http::field::access_control_allow_methods]).find("POST"), std::string::npos);
  EXPECT_EQ(str(pre_res[http::field::access_control_allow_headers]), "x-token");
  EXPECT_TRUE(h_->dispatched().empty());  // preflights are answered by the provider

  Request allowed = get("/api");
  allowed.set(http::field::origin, "https://app.example");
  auto [ec2, res2] = client.send(std::move(allowed));
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_EQ(str(res2[http::field::access_control_allow_origin]), "https://app.example");
  EXPECT_EQ(str(res2[http::field::vary]), "Origin");

  Request foreign = get("/api");
  foreign.set(http::field::origin, "https://evil.example");
  auto [ec3, res3] = client.send(std::move(foreign));
  ASSERT_FALSE(ec3) << ec3.message();
  EXPECT_EQ(res3.find(http::field::access_control_allow_origin), res3.end());
}

TEST_F(HttpServerProviderTest, MalformedRequestIs400AndTheServerGoesOn) {
  h_->setReply([](const ProviderHarness::Dispatched&) -> Expected<Bytes> { return actorResponse(200, "OK", {}, "m"); });
  uint16_t port = bindLocal(actorKey('M'));
  Client bad;
  ASSERT_FALSE(bad.connect(port));
  ASSERT_FALSE(bad.writeRaw("GET /x HTTP/1.1\r\nthis is no header\r\n\r\n"));
  beast::error_code ec;
  std::string reply = bad.readRaw(ec);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400 ", 0), 0u) << reply;
  EXPECT_TRUE(h_->dispatched().empty());

  Client good;
  ASSERT_FALSE(good.connect(port));
  auto [ec2, res] = good.send(get("/"));
  ASSERT_FALSE(ec2) << ec2.message();
  EXPECT_EQ(res.body(), "m");
}

}  // namespace
}  // namespace stratus
