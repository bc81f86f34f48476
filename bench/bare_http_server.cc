// stratus_bare_http_server: the ceiling of the HTTP benchmark (bench/http_bench.sh). A minimal Boost.Beast
// HTTP/1.1 server, built like the httpserver provider (one io_context run by N threads, a C++20 coroutine per
// connection on its own strand, keep-alive) but answering every request itself with the bytes the hello actor
// produces through stratus:
//
//   HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nContent-Length: 19\r\n\r\nHello from stratus\n
//
// (no Server header on either; the header name is spelt as the actor spells it, since the provider inserts the
// actor's names as given). Whatever stratus adds on top of this server is the provider ABI, the host bus, the waPC
// call into the engine and msgpack.
//
//   stratus_bare_http_server <port> [io_threads = 2] [address = 127.0.0.1]
//
// Port 0 picks a free port. Prints "listening on ADDRESS:PORT" once accepting; stops on SIGINT or SIGTERM.
#include <utility>  // first: Asio 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr std::string_view kBody = "Hello from stratus\n";
constexpr unsigned kDefaultIoThreads = 2;

auto redirect(beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

http::response<http::string_body> helloResponse(unsigned version, bool keep_alive) {
  http::response<http::string_body> res{http::status::ok, version};
  res.insert("content-type", "text/plain");
  res.body() = kBody;
  res.content_length(kBody.size());
  res.keep_alive(keep_alive);
  return res;
}

net::awaitable<void> serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request<http::string_body> req;
    co_await http::async_read(socket, buffer, req, redirect(ec));
    if (ec) break;  // the peer closed, reset or sent something unparsable: drop the connection
    const bool keep_alive = req.keep_alive();
    auto res = helloResponse(req.version(), keep_alive);
    co_await http::async_write(socket, res, redirect(ec));
    if (ec || !keep_alive) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> listen(tcp::acceptor& acceptor) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(net::make_strand(acceptor.get_executor()), redirect(ec));
    if (ec == net::error::operation_aborted) co_return;  // closed on SIGINT / SIGTERM
    if (ec) continue;                                    // e.g. EMFILE under load: keep accepting
    net::co_spawn(socket.get_executor(), serve(std::move(socket)), net::detached);
  }
}

bool parseUnsigned(const char* text, unsigned max, unsigned& out) {
  std::string_view s(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size() && out <= max;
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s <port> [io_threads = %u] [address = 127.0.0.1]\n", argv0, kDefaultIoThreads);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) return usage(argv[0]);
  unsigned port = 0;
  unsigned threads = kDefaultIoThreads;
  if (!parseUnsigned(argv[1], 65535, port)) return usage(argv[0]);
  if (argc >= 3 && (!parseUnsigned(argv[2], 256, threads) || threads == 0)) return usage(argv[0]);
  const std::string address = argc >= 4 ? argv[3] : "127.0.0.1";

  try {
    net::io_context ioc(static_cast<int>(threads));
    tcp::acceptor acceptor(ioc);
    const tcp::endpoint endpoint(net::ip::make_address(address), static_cast<unsigned short>(port));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    const tcp::endpoint bound = acceptor.local_endpoint();

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const beast::error_code&, int) {
      beast::error_code ignored;
      acceptor.close(ignored);
      ioc.stop();  // open keep-alive connections are not drained: the benchmark is over
    });
    net::co_spawn(ioc, listen(acceptor), net::detached);

    std::printf("listening on %s:%u (%u io threads)\n", bound.address().to_string().c_str(),
                static_cast<unsigned>(bound.port()), threads);
    std::fflush(stdout);

    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stratus_bare_http_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
