// Hosts joining a nats-server that requires credentials: nkey users (server config written here), and operator mode
// with JWTs made by the nats-jwt npm package (a creds file, or a JWT with its seed). With credentials a host joins
// and serves; without, it is refused with an error that says so.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "stratus/claims/nkeys.h"
#include "stratus/lattice/lattice.h"
#include "support/actors.h"
#include "support/payloads.h"
#include "support/server_process.h"

namespace stratus::lattice {
namespace {

using namespace std::chrono_literals;
using stratus::testing::ServerProcess;

class LatticeAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = stratus::testing::freeLoopbackPort();
    dir_ = std::filesystem::path(::testing::TempDir()) / ("stratus-lattice-auth-" + std::to_string(port_));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    nats_.reset();
    std::filesystem::remove_all(dir_);
  }

  void startServer(const std::filesystem::path& config) {
    auto server = ServerProcess::start({"nats-server", "-c", config.string()}, port_, (dir_ / "nats.log").string());
    ASSERT_TRUE(server) << server.error().toString();
    nats_ = std::make_unique<ServerProcess>(std::move(*server));
  }

  LatticeOptions options(NatsEndpoint endpoint) const {
    endpoint.port = port_;
    LatticeOptions o;
    o.rpc = o.control = endpoint;
    o.ns = "auth";
    return o;
  }

  static Expected<std::unique_ptr<LatticeHost>> join(const LatticeOptions& o) {
    host::HostBuilder builder;
    builder.withProviderHealthInterval(0ms);
    return LatticeHost::start(std::move(builder), o);
  }

  // Both hosts serve a call across the lattice.
  static void expectCallAcross(LatticeHost& a, LatticeHost& b) {
    std::string key;
    ASSERT_TRUE(a.host().startActor(stratus::testing::signActor(stratus::testing::loadActor("test_actor"), {}, &key)));
    auto echo = b.host().callActor(key, "Echo", stratus::testing::bytesOf("authenticated"));
    ASSERT_TRUE(echo) << echo.error().toString();
    EXPECT_EQ(stratus::testing::textOf(*echo), "authenticated");
  }

  // Two hosts join with these credentials, and serve a call across the lattice.
  void expectJoinAndCall(const NatsEndpoint& first, const NatsEndpoint& second) {
    auto a = join(options(first)), b = join(options(second));
    ASSERT_TRUE(a) << a.error().toString();
    ASSERT_TRUE(b) << b.error().toString();
    expectCallAcross(**a, **b);
  }

  // A host with these credentials is refused, and says why.
  void expectRefused(const NatsEndpoint& endpoint, ErrorCode code = ErrorCode::kPermissionDenied) {
    auto refused = join(options(endpoint));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, code) << refused.error().toString();
    if (code == ErrorCode::kPermissionDenied) {
      EXPECT_NE(refused.error().message.find("refused"), std::string::npos) << refused.error().message;
    }
  }

  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  uint16_t port_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<ServerProcess> nats_;
};

TEST_F(LatticeAuthTest, NkeyUsers) {
  auto user = claims::KeyPair::generate(claims::KeyType::kUser);
  ASSERT_TRUE(user);
  std::ofstream(dir_ / "server.conf") << "listen: 127.0.0.1:" << port_ << "\n"
                                      << "authorization: { users: [ { nkey: " << user->publicKey() << " } ] }\n";
  startServer(dir_ / "server.conf");

  NatsEndpoint with_key;
  with_key.seed = *user->seed();
  expectJoinAndCall(with_key, with_key);
  expectRefused({});
  NatsEndpoint other_key;
  other_key.seed = *claims::KeyPair::generate(claims::KeyType::kUser)->seed();
  expectRefused(other_key);
}

TEST_F(LatticeAuthTest, OperatorModeWithACredsFileOrAJwtAndSeed) {
  const std::string modules = std::string(STRATUS_SOURCE_DIR) + "/tests/compat/node_modules";
  const std::string script = std::string(STRATUS_SOURCE_DIR) + "/tests/unit/lattice/nats_operator_setup.mjs";
  ASSERT_TRUE(std::filesystem::exists(modules + "/nats-jwt"))
      << "the nats-jwt npm package is missing: run scripts/install-deps.sh --test";
  const std::string command =
      "node '" + script + "' '" + modules + "' '" + dir_.string() + "' " + std::to_string(port_) + " > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  startServer(dir_ / "server.conf");

  NatsEndpoint creds;
  creds.creds_file = (dir_ / "user.creds").string();
  NatsEndpoint jwt_and_seed;
  jwt_and_seed.jwt = read(dir_ / "user.jwt");
  jwt_and_seed.seed = read(dir_ / "user.seed");
  expectJoinAndCall(creds, jwt_and_seed);
  expectRefused({});
  NatsEndpoint missing_seed;
  missing_seed.jwt = jwt_and_seed.jwt;
  expectRefused(missing_seed, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace stratus::lattice
