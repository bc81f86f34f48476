#include "capability/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace stratus::capability {
namespace {

void closeBoth(int fds[2]) {
  ::close(fds[0]);
  ::close(fds[1]);
}

// Everything the child runs between fork and exec: async-signal-safe calls only.
[[noreturn]] void becomeChild(int sock, int out, pid_t parent, char* const* argv) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(126);  // the host died before the line above took effect
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 || dup2(sock, 3) < 0) _exit(126);
  ::syscall(SYS_close_range, 4u, ~0u, 0u);
  execv(argv[0], argv);
  static const char kMsg[] = "stratus: cannot run the provider host executable\n";
  (void)!::write(2, kMsg, sizeof kMsg - 1);
  _exit(127);
}

}  // namespace

Expected<ChildProcess> spawnChild(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int sock[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) != 0) {
    return fail(ErrorCode::kIo, std::string("socketpair: ") + std::strerror(errno));
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    closeBoth(sock);
    return fail(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    closeBoth(sock);
    closeBoth(out);
    return fail(ErrorCode::kIo, std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) becomeChild(sock[1], out[1], parent, argv.data());
  ::close(sock[1]);
  ::close(out[1]);
  return ChildProcess{pid, sock[0], out[0]};
}

std::string describeExit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    const char* what = sigdescr_np(sig);
    return "killed by SIG" + (abbrev ? std::string(abbrev) : std::to_string(sig)) + " (" +
           (what ? what : "unknown signal") + ")";
  }
  return "ended with wait status " + std::to_string(status);
}

}  // namespace stratus::capability
