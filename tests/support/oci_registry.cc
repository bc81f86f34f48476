#include "support/oci_registry.h"

#include <fstream>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <span>
#include <system_error>
#include <vector>

#include "stratus/common/files.h"

#ifndef STRATUS_SOURCE_DIR
#error "STRATUS_SOURCE_DIR must name the source tree (it holds tests/support/oci_token_server.mjs)"
#endif

namespace stratus::testing {

namespace {

constexpr const char* kRealm = "stratus-test";
constexpr const char* kTokenService = "stratus-test";
constexpr const char* kTokenIssuer = "stratus-test-issuer";

std::string logTail(const std::filesystem::path& path) {
  auto bytes = readFileBytes(path);
  if (!bytes) return "(no log: " + bytes.error().message + ")";
  std::string text(bytes->begin(), bytes->end());
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

/// Runs `argv` (argv[0] looked up on PATH) to completion, its stdout and stderr appended to `log_path`. kNotFound
/// when the program is not installed, kUnavailable when it fails.
Expected<void> runTool(std::vector<std::string> argv, const std::filesystem::path& log_path) {
  const std::string program = findProgram(argv[0]);
  if (program.empty()) return fail(ErrorCode::kNotFound, argv[0] + " is not installed");
  const std::string name = argv[0];
  argv[0] = program;
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  const std::string log = log_path.string();
  const pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorCode::kIo, "fork for " + name + " failed");
  if (pid == 0) {
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    const int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) ::dup2(in, STDIN_FILENO);
    ::execv(args[0], args.data());
    std::_Exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ok();
  const std::string how = WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                            : "was killed by signal " + std::to_string(WTERMSIG(status));
  return fail(ErrorCode::kUnavailable, name + " " + how + ": " + logTail(log_path));
}

Expected<void> writeText(const std::filesystem::path& path, const std::string& text) {
  return writeFileAtomically(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

/// A single-quoted YAML scalar (a quote inside is doubled).
std::string yamlQuoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

/// The registry's config.yml: plain HTTP on 127.0.0.1:port, filesystem storage without a blob descriptor cache,
/// deletes enabled, and `auth` (YAML, indented under `auth:`) when not empty.
std::string registryConfig(const std::filesystem::path& dir, uint16_t port, const std::string& auth) {
  std::string config;
  config += "version: 0.1\n";
  config += "log:\n";
  config += "  level: warn\n";
  config += "  formatter: text\n";
  config += "storage:\n";
  config += "  filesystem:\n";
  config += "    rootdirectory: " + yamlQuoted((dir / "storage").string()) + "\n";
  config += "  delete:\n";
  config += "    enabled: true\n";
  config += "  maintenance:\n";
  config += "    uploadpurging:\n";
  config += "      enabled: false\n";
  config += "http:\n";
  config += "  addr: 127.0.0.1:" + std::to_string(port) + "\n";
  // A fixed secret: an upload begun before process().restart() can be finished after it.
  config += "  secret: stratus-test-secret\n";
  config += "  headers:\n";
  config += "    X-Content-Type-Options: [nosniff]\n";
  if (!auth.empty()) config += "auth:\n" + auth;
  return config;
}

}  // namespace

Expected<std::unique_ptr<OciRegistry>> OciRegistry::start(const std::string& name, OciRegistryOptions options) {
  // ServerProcess would name scripts/install-deps.sh, which does not install it.
  if (findProgram("docker-registry").empty()) {
    return fail(ErrorCode::kNotFound, "docker-registry is not installed (apt-get install docker-registry)");
  }
  const uint16_t port = freeLoopbackPort();
  auto dir = std::filesystem::temp_directory_path() / ("stratus-" + name + "-" + std::to_string(port));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!std::filesystem::create_directories(dir / "storage", ec)) {
    return fail(ErrorCode::kIo, "cannot create " + (dir / "storage").string() + ": " + ec.message());
  }
  std::optional<ServerProcess> token_server;
  auto abandon = [&dir, &token_server](Error error) {
    token_server.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return fail(std::move(error));
  };

  std::string auth;  // the `auth:` section's body
  if (options.token_auth) {
    // The token signing key and its self-signed certificate, which is the registry's whole rootcertbundle.
    const auto key = dir / "key.pem";
    const auto cert = dir / "cert.pem";
    auto made = runTool({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=stratus-test-token",
                         "-days", "2", "-keyout", key.string(), "-out", cert.string()},
                        dir / "setup.log");
    if (!made) return abandon(made.takeError().prefixed("token signing key: "));
    const auto script = std::filesystem::path(STRATUS_SOURCE_DIR) / "tests" / "support" / "oci_token_server.mjs";
    if (!std::filesystem::exists(script)) {
      return abandon(Error{ErrorCode::kNotFound, script.string() + " does not exist"});
    }
    uint16_t token_port = freeLoopbackPort();
    while (token_port == port) token_port = freeLoopbackPort();
    auto started = ServerProcess::start(
        {"node", script.string(), "--port", std::to_string(token_port), "--key", key.string(), "--cert", cert.string(),
         "--user", options.user, "--password", options.password, "--issuer", kTokenIssuer, "--service", kTokenService},
        token_port, (dir / "token.log").string());
    if (!started) return abandon(started.takeError().prefixed("token server: "));
    token_server.emplace(std::move(*started));
    auth += "  token:\n";
    auth += "    realm: http://127.0.0.1:" + std::to_string(token_port) + "/token\n";
    auth += std::string("    service: ") + kTokenService + "\n";
    auth += std::string("    issuer: ") + kTokenIssuer + "\n";
    auth += "    rootcertbundle: " + yamlQuoted(cert.string()) + "\n";
  } else if (!options.user.empty()) {
    // bcrypt: the only hash distribution's htpasswd backend accepts.
    const auto htpasswd = dir / "htpasswd";
    auto made =
        runTool({"htpasswd", "-B", "-b", "-c", htpasswd.string(), options.user, options.password}, dir / "setup.log");
    if (!made) return abandon(made.takeError().prefixed("htpasswd file: "));
    auth += "  htpasswd:\n";
    auth += std::string("    realm: ") + kRealm + "\n";
    auth += "    path: " + yamlQuoted(htpasswd.string()) + "\n";
  }

  const auto config = dir / "config.yml";
  auto written = writeText(config, registryConfig(dir, port, auth));
  if (!written) return abandon(written.takeError());
  auto process =
      ServerProcess::start({"docker-registry", "serve", config.string()}, port, (dir / "registry.log").string());
  if (!process) return abandon(process.takeError());
  return std::unique_ptr<OciRegistry>(new OciRegistry(std::move(*process), std::move(token_server), std::move(dir)));
}

OciRegistry::~OciRegistry() {
  process_.stop();
  if (token_server_) token_server_->stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::filesystem::path OciRegistry::blobPath(const std::string& digest) const {
  const auto colon = digest.find(':');
  const std::string algorithm = colon == std::string::npos ? "sha256" : digest.substr(0, colon);
  const std::string hex = colon == std::string::npos ? digest : digest.substr(colon + 1);
  return storageDir() / "docker" / "registry" / "v2" / "blobs" / algorithm / hex.substr(0, 2) / hex / "data";
}

std::string noCredentials(const std::filesystem::path& dir) {
  const auto path = dir / "no-credentials.json";
  std::ofstream(path) << R"({"auths": {}})";
  return path.string();
}

}  // namespace stratus::testing
