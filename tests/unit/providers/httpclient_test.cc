// The wasmcloud:httpclient provider, loaded from its .so, against a small HTTP/1.1 server on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "stratus/codec/http.h"
#include "unit/providers/provider_harness.h"

namespace stratus {
namespace {

using testing::actorKey;
using testing::ProviderHarness;
using namespace std::chrono_literals;

/// Answers one request per connection (Connection: close), each on its own thread:
///   /hello              200 "hello", with X-Custom and two Set-Cookie headers
///   /echo               200, body = the raw request as received (request line, headers, body)
///   /redirect/<n>       302 to /redirect/<n-1>; /redirect/0 answers 200 "landed"
///   /see-other          303 to /echo
///   /big/<n>            200 with n bytes
///   /slow               waits 3 s (or until the server stops), then 200
///   /status/<code>      that status, empty body
class TestHttpServer {
 public:
  TestHttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 16);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~TestHttpServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : workers_) t.join();
    ::close(fd_);
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  void acceptLoop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) workers_.emplace_back([this, c] { serve(c); });
    }
  }

  void serve(int c) {
    std::string req;
    char buf[8192];
    size_t header_end = std::string::npos;
    size_t content_length = 0;
    while (true) {
      if (header_end != std::string::npos && req.size() >= header_end + 4 + content_length) break;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos && (header_end = req.find("\r\n\r\n")) != std::string::npos) {
        std::string lower = req.substr(0, header_end);
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (auto at = lower.find("content-length:"); at != std::string::npos) {
          content_length = std::stoul(lower.substr(at + 15));
        }
      }
    }
    const std::string path = req.substr(req.find(' ') + 1, req.find(' ', req.find(' ') + 1) - req.find(' ') - 1);
    std::string status = "200 OK", extra, body;
    if (path == "/hello") {
      body = "hello";
      extra = "X-Custom: Yes\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Type: text/plain\r\n";
    } else if (path == "/echo") {
      body = req;
    } else if (path.rfind("/redirect/", 0) == 0) {
      int n = std::stoi(path.substr(10));
      if (n > 0) {
        status = "302 Found";
        extra = "Location: /redirect/" + std::to_string(n - 1) + "\r\n";
      } else {
        body = "landed";
      }
    } else if (path == "/see-other") {
      status = "303 See Other";
      extra = "Location: /echo\r\n";
    } else if (path.rfind("/big/", 0) == 0) {
      body.assign(std::stoul(path.substr(5)), 'b');
    } else if (path == "/slow") {
      for (int i = 0; i < 60 && !stop_; ++i) std::this_thread::sleep_for(50ms);
      body = "finally";
    } else if (path.rfind("/status/", 0) == 0) {
      status = path.substr(8) + " Whatever";
    } else {
      status = "404 Not Found";
    }
    std::string resp = "HTTP/1.1 " + status +
                       "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
                       "\r\n" + body;
    size_t off = 0;
    while (off < resp.size()) {
      ssize_t n = ::send(c, resp.data() + off, resp.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(c);
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> workers_;  // touched by the acceptor thread only until it is joined
};

class HttpClientProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_ = ProviderHarness::load("httpclient");
    ASSERT_TRUE(h_);
    ASSERT_TRUE(h_->bind(a_, {{"timeout_ms", "500"}, {"max_redirects", "3"}, {"max_response_bytes", "100000"}}));
  }

  Expected<codec::HttpResponse> request(const std::string& method, const std::string& url,
                                        std::map<std::string, std::string> headers = {}, std::string body = "",
                                        const std::string& actor = "") {
    codec::HttpClientRequest q{method, url, std::move(headers), Bytes(body.begin(), body.end())};
    auto reply = h_->call(actor.empty() ? a_ : actor, codec::kOpPerformRequest, codec::encode(q));
    if (!reply) return fail(reply.takeError());
    return codec::decodeHttpResponse(*reply);
  }
  static std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }

  TestHttpServer server_;
  std::unique_ptr<ProviderHarness> h_;
  const std::string a_ = actorKey('A');
};

TEST_F(HttpClientProviderTest, Get) {
  auto r = request("GET", server_.url("/hello"));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->status_code, 200u);
  EXPECT_EQ(r->status, "OK");
  EXPECT_EQ(text(r->body), "hello");
  EXPECT_EQ(r->header["x-custom"], "Yes");  // names lowercased
  EXPECT_EQ(r->header["content-type"], "text/plain");
  EXPECT_EQ(r->header["set-cookie"], "a=1,b=2");  // repeated headers joined
  EXPECT_EQ(r->header.count("X-Custom"), 0u);
}

TEST_F(HttpClientProviderTest, PostSendsBodyAndHeaders) {
  auto r = request("post", server_.url("/echo"), {{"X-Test", "1"}, {"Content-Type", "application/json"}}, "{\"a\":1}");
  ASSERT_TRUE(r) << r.error().toString();
  const std::string echoed = text(r->body);
  EXPECT_EQ(echoed.rfind("POST /echo HTTP/1.1\r\n", 0), 0u) << echoed;
  EXPECT_NE(echoed.find("X-Test: 1\r\n"), std::string::npos) << echoed;
  EXPECT_NE(echoed.find("Content-Type: application/json\r\n"), std::string::npos) << echoed;
  EXPECT_NE(echoed.find("Content-Length: 7\r\n"), std::string::npos) << echoed;
  EXPECT_EQ(echoed.find("Expect:"), std::string::npos) << echoed;
  EXPECT_EQ(echoed.substr(echoed.size() - 7), "{\"a\":1}");
}

TEST_F(HttpClientProviderTest, OtherMethods) {
  for (const char* method : {"PUT", "PATCH", "DELETE", "OPTIONS"}) {
    auto r = request(method, server_.url("/echo"), {}, "data");
    ASSERT_TRUE(r) << method << ": " << r.error().toString();
    const std::string echoed = text(r->body);
    EXPECT_EQ(echoed.rfind(std::string(method) + " /echo ", 0), 0u) << echoed;
    EXPECT_EQ(echoed.substr(echoed.size() - 4), "data") << echoed;
    EXPECT_EQ(echoed.find("application/x-www-form-urlencoded"), std::string::npos) << echoed;
  }
  auto head = request("HEAD", server_.url("/hello"));
  ASSERT_TRUE(head) << head.error().toString();
  EXPECT_EQ(head->status_code, 200u);
  EXPECT_TRUE(head->body.empty());
  EXPECT_EQ(head->header["content-length"], "5");

  auto bad = request("BREW", server_.url("/hello"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("unsupported method 'BREW'"), std::string::npos);
}

TEST_F(HttpClientProviderTest, StatusCodesAreReturnedNotErrors) {
  auto r = request("GET", server_.url("/status/404"));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->status_code, 404u);
  EXPECT_EQ(r->status, "Not Found");  // the canonical reason, not the server's "Whatever"
  r = request("GET", server_.url("/status/599"));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->status, "Whatever");  // no canonical reason: the server's
}

TEST_F(HttpClientProviderTest, FollowsRedirectsUpToTheLimit) {
  auto r = request("GET", server_.url("/redirect/3"));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->status_code, 200u);
  EXPECT_EQ(text(r->body), "landed");
  EXPECT_EQ(r->header.count("location"), 0u);  // headers are the final response's

  r = request("GET", server_.url("/redirect/4"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("more than 3 redirects"), std::string::npos) << r.error().message;

  // A 303 after a POST turns into a GET.
  r = request("POST", server_.url("/see-other"), {}, "x");
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(text(r->body).rfind("GET /echo ", 0), 0u) << text(r->body);

  // max_redirects=0: the redirect itself is the answer.
  const std::string b = actorKey('B');
  ASSERT_TRUE(h_->bind(b, {{"max_redirects", "0"}}));
  r = request("GET", server_.url("/redirect/1"), {}, "", b);
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->status_code, 302u);
  EXPECT_EQ(r->header["location"], "/redirect/0");
}

TEST_F(HttpClientProviderTest, TimeoutIsAClearError) {
  const auto start = std::chrono::steady_clock::now();
  auto r = request("GET", server_.url("/slow"));
  ASSERT_FALSE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  EXPECT_NE(r.error().message.find("timed out after 500 ms"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(server_.url("/slow")), std::string::npos) << r.error().message;
}

TEST_F(HttpClientProviderTest, ConnectionRefusedIsAClearError) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(s);  // nothing listens there now
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x";
  auto r = request("GET", url);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot connect"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(url), std::string::npos) << r.error().message;
}

TEST_F(HttpClientProviderTest, OnlyHttpUrls) {
  for (const char* url : {"ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://example.com/", "not a url",
                          "/relative/path", "http://exa mple.com/"}) {
    auto r = request("GET", url);
    ASSERT_FALSE(r) << url;
    EXPECT_NE(r.error().message.find("refusing URL"), std::string::npos) << r.error().message;
  }
  auto r = request("GET", "");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("url"), std::string::npos) << r.error().message;
}

TEST_F(HttpClientProviderTest, CredentialsAreNotEchoedInErrors) {
  auto r = request("GET", "http://user:secret@127.0.0.1:1/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find("secret"), std::string::npos) << r.error().message;
}

TEST_F(HttpClientProviderTest, HeaderInjectionIsRefused) {
  auto r = request("GET", server_.url("/echo"), {{"X-A", "1\r\nX-Injected: yes"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("invalid header"), std::string::npos) << r.error().message;
  r = request("GET", server_.url("/echo"), {{"Bad Name", "1"}});
  ASSERT_FALSE(r);
}

TEST_F(HttpClientProviderTest, ResponseBodyLimit) {
  auto r = request("GET", server_.url("/big/100000"));
  ASSERT_TRUE(r) << r.error().toString();
  EXPECT_EQ(r->body.size(), 100000u);
  r = request("GET", server_.url("/big/100001"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("larger than 100000 bytes"), std::string::npos) << r.error().message;
}

TEST_F(HttpClientProviderTest, ConfigurationAndLinking) {
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{{"timeout", "0"},
                                                                            {"timeout", "abc"},
                                                                            {"max_redirects", "-1"},
                                                                            {"max_redirects", "1000"},
                                                                            {"max_response_bytes", "0"},
                                                                            {"timeout_ms", "1.5"}}) {
    auto bound = h_->bind(actorKey('C'), {{key, value}});
    ASSERT_FALSE(bound) << key << "=" << value;
    EXPECT_NE(bound.error().message.find(key), std::string::npos);
  }
  auto r = request("GET", server_.url("/hello"), {}, "", actorKey('Z'));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not linked"), std::string::npos);
  ASSERT_TRUE(h_->remove(a_));
  r = request("GET", server_.url("/hello"));
  ASSERT_FALSE(r);

  auto unknown = h_->call(a_, "Fetch", Bytes{0x80});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("Fetch"), std::string::npos);
}

TEST_F(HttpClientProviderTest, ConcurrentRequests) {
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto r = request("GET", server_.url("/hello"));
        if (r && text(r->body) == "hello") ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 40);
}

}  // namespace
}  // namespace stratus
