// Starting a provider's child process: a socket to it, its output on a pipe, and nothing else inherited.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::capability {

struct ChildProcess {
  pid_t pid = -1;
  int socket = -1;  ///< the host's end of a stream socketpair; the child has the other end as fd 3
  int output = -1;  ///< the read end of the pipe the child's stdout and stderr go to
};

/// Runs `argv` (argv[0] the executable's path) in a new process: in a process group of its own, killed with
/// SIGKILL if the calling thread dies (PR_SET_PDEATHSIG: call this from a thread that lives as long as the child),
/// stdin from /dev/null, stdout and stderr into ChildProcess::output, the socket as fd 3 and every other fd closed,
/// signal mask cleared. Errors: kIo when a pipe, socketpair or fork fails (an exec failure shows as the child's
/// exit status 127 and a line on its output).
Expected<ChildProcess> spawnChild(const std::vector<std::string>& argv);

/// How a child ended, from its waitpid status: "exited with status 3", "killed by SIGSEGV (invalid memory
/// access)", ...
std::string describeExit(int wait_status);

}  // namespace stratus::capability
