#include "support/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "stratus/common/files.h"

namespace stratus::testing {

namespace {

bool bindable(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

// A random port below the kernel's ephemeral range (32768 and up), not the kernel's pick: two test processes asking
// at the same moment would often be handed the same just-released ephemeral port, and one would then start its
// server on a port the other's server already holds.
uint16_t freeLoopbackPort() {
  thread_local std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> pick(10000, 32000);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto port = static_cast<uint16_t>(pick(random));
    if (bindable(port) && !acceptsConnections(port)) return port;
  }
  return 0;
}

bool acceptsConnections(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string findProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  // Debian installs some servers outside a normal user's PATH.
  for (const char* dir : {"/usr/sbin", "/sbin"}) {
    const std::string candidate = std::string(dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

namespace {
std::string logTail(const std::string& path) {
  if (path.empty()) return "(no log)";
  auto bytes = readFileBytes(path);
  if (!bytes) return "(no log: " + bytes.error().message + ")";
  std::string text(bytes->begin(), bytes->end());
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}
}  // namespace

Expected<ServerProcess> ServerProcess::start(std::vector<std::string> argv, uint16_t port, std::string log_path,
                                             std::chrono::milliseconds timeout) {
  if (argv.empty()) return fail(ErrorCode::kInvalidArgument, "no server command");
  const std::string program = findProgram(argv[0]);
  if (program.empty()) {
    return fail(ErrorCode::kNotFound, argv[0] + " is not installed (scripts/install-deps.sh --test installs it)");
  }
  argv[0] = program;
  ServerProcess server(std::move(argv), port, std::move(log_path));
  STRATUS_TRY(server.launch(timeout));
  return server;
}

Expected<void> ServerProcess::launch(std::chrono::milliseconds timeout) {
  const pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorCode::kIo, "fork failed");
  if (pid == 0) {
    const int out = log_path_.empty() ? ::open("/dev/null", O_WRONLY)
                                      : ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    ::setpgid(0, 0);  // its own group: stop() takes helpers the server spawns (e.g. node) with it
    std::vector<char*> args;
    for (auto& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::_Exit(127);
  }
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return fail(ErrorCode::kUnavailable, argv_[0] + " exited before listening on port " + std::to_string(port_) +
                                               ": " + logTail(log_path_));
    }
    if (acceptsConnections(port_)) {
      // Someone listens: make sure it is this server, not another that holds the port while ours fails to bind.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (::waitpid(pid_, &status, WNOHANG) != pid_) return ok();
      pid_ = -1;
      return fail(ErrorCode::kUnavailable, argv_[0] + " exited after port " + std::to_string(port_) +
                                               " began to accept connections (taken by another process?): " +
                                               logTail(log_path_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  return fail(ErrorCode::kUnavailable, argv_[0] + " did not listen on port " + std::to_string(port_) + " within " +
                                           std::to_string(timeout.count()) + " ms: " + logTail(log_path_));
}

ServerProcess::ServerProcess(ServerProcess&& other) noexcept
    : argv_(std::move(other.argv_)), port_(other.port_), log_path_(std::move(other.log_path_)), pid_(other.pid_) {
  other.pid_ = -1;
}

ServerProcess& ServerProcess::operator=(ServerProcess&& other) noexcept {
  if (this != &other) {
    stop();
    argv_ = std::move(other.argv_);
    port_ = other.port_;
    log_path_ = std::move(other.log_path_);
    pid_ = other.pid_;
    other.pid_ = -1;
  }
  return *this;
}

ServerProcess::~ServerProcess() { stop(); }

void ServerProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGCONT);  // a paused server cannot act on SIGTERM
  ::kill(-pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

Expected<void> ServerProcess::restart(std::chrono::milliseconds timeout) {
  stop();
  return launch(timeout);
}

void ServerProcess::pause() {
  if (pid_ > 0) ::kill(-pid_, SIGSTOP);
}

void ServerProcess::resume() {
  if (pid_ > 0) ::kill(-pid_, SIGCONT);
}

}  // namespace stratus::testing
