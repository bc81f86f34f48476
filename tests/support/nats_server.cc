#include "support/nats_server.h"

#include <system_error>

namespace stratus::testing {

Expected<std::unique_ptr<NatsServer>> NatsServer::start(const std::string& name) {
  const uint16_t port = freeLoopbackPort();
  auto dir = std::filesystem::temp_directory_path() / ("stratus-" + name + "-" + std::to_string(port));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  auto process = ServerProcess::start(
      {"nats-server", "-a", "127.0.0.1", "-p", std::to_string(port), "-js", "-sd", (dir / "jetstream").string()}, port,
      (dir / "nats.log").string());
  if (!process) {
    std::filesystem::remove_all(dir, ec);
    return fail(process.takeError());
  }
  return std::unique_ptr<NatsServer>(new NatsServer(std::move(*process), std::move(dir)));
}

NatsServer::~NatsServer() {
  process_.stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace stratus::testing
