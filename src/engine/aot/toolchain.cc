#include "engine/aot/toolchain.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "engine/aot/embedded_headers.h"
#include "engine/aot/runtime.h"
#include "stratus/common/files.h"
#include "stratus/common/thread_annotations.h"

extern char** environ;

namespace stratus::engine::aot {
namespace {

std::vector<std::string> splitWords(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(std::move(w));
  return words;
}

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool findInPath(const std::string& program) {
  if (program.find('/') != std::string::npos) return isExecutableFile(program);
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    // Built in one go: `dir + "/" + program` (and assigning "." to a string) trips GCC 12's -Wrestrict false
    // positive at -O3.
    const std::string_view dir = std::string_view(dirs).substr(start, end - start);
    std::string candidate(dir.empty() ? std::string_view(".") : dir);
    candidate += '/';
    candidate += program;
    if (isExecutableFile(candidate)) return true;
    start = end + 1;
  }
  return false;
}

Expected<void> writeFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return fail(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
  return ok();
}

// The text of the log at `path`, cut at `limit` bytes, without trailing blank lines.
Expected<std::string> readLog(const std::string& path, size_t limit) {
  auto bytes = readFileBytes(path);
  if (!bytes) return fail(bytes.takeError());
  std::string text(bytes->begin(), bytes->end());
  if (text.size() > limit) {
    text.resize(limit);
    text += "\n[... truncated]";
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// Removes the scratch directory on every way out of buildLibrary (a loaded library stays mapped after unlink).
class ScratchDir {
 public:
  ScratchDir(std::string path, bool keep) : path_(std::move(path)), keep_(keep) {}
  ~ScratchDir() {
    if (keep_ || path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool keep_;
};

// Runs argv with stdout and stderr into `log`; returns the wait status or an error. Kills the process and fails
// (its whole process group) and fails with kUnavailable when `cancelled` becomes true meanwhile.
Expected<int> run(const std::vector<std::string>& argv, const std::string& log, const std::atomic<bool>& cancelled) {
  if (cancelled.load()) return fail(ErrorCode::kUnavailable, "aot engine: compiles were cancelled");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Its own process group, so cancelling kills the compiler's children (cc1, as, ld) along with the driver.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fail(ErrorCode::kUnavailable, "cannot run " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  bool killed = false;
  for (int pause_us = 200;;) {
    const pid_t done = waitpid(pid, &status, killed ? 0 : WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return fail(ErrorCode::kInternal, std::string("waitpid: ") + std::strerror(errno));
    if (!killed && cancelled.load()) {
      ::kill(-pid, SIGKILL);
      killed = true;
      continue;
    }
    ::usleep(pause_us);
    pause_us = std::min(pause_us * 2, 10'000);  // a compile takes 0.1-10 s: poll at most every 10 ms
  }
  if (killed) return fail(ErrorCode::kUnavailable, "aot engine: compile cancelled");
  return status;
}

std::string describeStatus(int status) {
  std::string text;
  if (WIFEXITED(status)) {
    text = "exited with status ";
    text += std::to_string(WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    text = "was killed by signal ";
    text += std::to_string(WTERMSIG(status));
  } else {
    text = "failed";
  }
  return text;
}

}  // namespace

Library::~Library() {
  dlclose(handle_);
  if (fd_ >= 0) ::close(fd_);
}

Expected<std::vector<std::string>> findCompiler(const std::string& command) {
  std::string text = command;
  if (text.empty()) {
    const char* cc = std::getenv("CC");
    text = cc != nullptr && *cc != '\0' ? cc : "cc";
  }
  auto words = splitWords(text);
  if (words.empty()) return fail(ErrorCode::kUnavailable, "aot engine: empty C compiler command");
  if (!findInPath(words[0])) {
    std::string msg = "aot engine: C compiler '";
    msg += words[0];
    msg += "' not found (set AotOptions::compiler or $CC, or install a C compiler such as gcc)";
    return fail(ErrorCode::kUnavailable, std::move(msg));
  }
  return words;
}

bool defaultCompilerAvailable() {
  static const bool available = findCompiler("").hasValue();
  return available;
}

std::vector<std::string> compilerFlags(const Toolchain& toolchain) {
  return {
      toolchain.optimization,
      "-fPIC",
      "-shared",
      // Only the module descriptor is exported; the wasm_rt_* definitions stay private to each library.
      "-fvisibility=hidden",
      // wasm has no tail calls: a sibling-call-optimised self recursion would spin forever instead of exhausting
      // the stack and trapping.
      "-fno-optimize-sibling-calls",
      // A large frame must touch the stack guard page rather than jump past it.
      "-fstack-clash-protection",
      // Contracting a*b+c into a fused multiply-add changes wasm's float results.
      "-ffp-contract=off",
      // x*1, x/-1 and the like must still quiet a signalling NaN, as wasm requires (spec float_exprs).
      "-fsignaling-nans",
      "-DNDEBUG",
      "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1",
      "-w",
  };
}

std::string parallelLtoRule(const Toolchain& toolchain) {
  if (!toolchain.parallel_lto) return "no parallel lto";
  return "-flto=auto above " + std::to_string(kParallelLtoMinSourceBytes) + " bytes of C";
}

namespace {

// What the compiler prints (stdout and stderr, at most `max_bytes`) when run with `args`; nullopt when it fails.
std::optional<std::string> compilerOutput(const Toolchain& toolchain, std::initializer_list<const char*> args,
                                          size_t max_bytes) {
  std::string pattern = toolchain.work_dir + "/stratus-cc-probe-XXXXXX";
  const int fd = mkstemp(pattern.data());
  if (fd < 0) return std::nullopt;
  ::close(fd);
  std::vector<std::string> argv = toolchain.compiler;
  argv.insert(argv.end(), args.begin(), args.end());
  auto status = run(argv, pattern, *toolchain.cancelled);
  std::optional<std::string> text;
  if (status && *status == 0) {
    if (auto log = readLog(pattern, max_bytes)) text = std::move(*log);
  }
  ::unlink(pattern.c_str());
  return text;
}

}  // namespace

std::string compilerIdentity(const Toolchain& toolchain) {
  static Mutex mu;
  static std::map<std::vector<std::string>, std::string> known STRATUS_GUARDED_BY(mu);
  MutexLock lock(mu);
  auto it = known.find(toolchain.compiler);
  if (it != known.end()) return it->second;

  std::string command;
  for (const auto& word : toolchain.compiler) command += (command.empty() ? "" : " ") + word;
  std::string version = "unknown version";
  if (auto text = compilerOutput(toolchain, {"--version"}, 4000)) {
    *text = text->substr(0, text->find('\n'));
    if (!text->empty()) version = *text;
  }
  return known.emplace(toolchain.compiler, command + " (" + version + ")").first->second;
}

bool isGcc(const Toolchain& toolchain) {
  static Mutex mu;
  static std::map<std::vector<std::string>, bool> known STRATUS_GUARDED_BY(mu);
  MutexLock lock(mu);
  auto it = known.find(toolchain.compiler);
  if (it != known.end()) return it->second;
  // The predefined macros tell GCC from clang (which defines __GNUC__ too) and from compilers without either.
  const auto macros = compilerOutput(toolchain, {"-dM", "-E", "-x", "c", "/dev/null"}, 1 << 20);
  const bool gcc = macros && macros->find("#define __GNUC__ ") != std::string::npos &&
                   macros->find("#define __clang__ ") == std::string::npos;
  return known.emplace(toolchain.compiler, gcc).first->second;
}

Expected<Bytes> compileLibrary(const CSources& sources, const Toolchain& toolchain, const std::string& tag,
                               const std::string& name) {
  std::string pattern = toolchain.work_dir;
  pattern += "/stratus-aot-";
  pattern += tag;
  pattern += "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return fail(ErrorCode::kIo, "aot engine: cannot create a scratch directory " + pattern + ": " +
                                    std::strerror(errno));
  }
  ScratchDir dir(pattern, toolchain.keep_files);
  const std::string& d = dir.path();
  STRATUS_TRY(writeFile(d + "/wasm-rt.h", kWasmRtHeader));
  STRATUS_TRY(writeFile(d + "/stratus_aot_abi.h", kAbiHeader));
  STRATUS_TRY(writeFile(d + "/" + kHeaderFile, sources.header));
  STRATUS_TRY(writeFile(d + "/" + kSourceFile, sources.source));
  STRATUS_TRY(writeFile(d + "/" + kGlueFile, sources.glue));

  const std::string library = d + "/module.so";
  const std::string log = d + "/cc.log";
  std::vector<std::string> argv = toolchain.compiler;
  for (auto& f : compilerFlags(toolchain)) argv.push_back(std::move(f));
  // GCC's link-time optimisation splits one large translation unit into partitions compiled in parallel, one per
  // core: about 0.65 of the time for wasmCloud's echo actor (1.7 MB of C) on 2 cores, the same speed of code. A
  // small module makes one partition, and LTO only adds its own steps.
  if (toolchain.parallel_lto && sources.source.size() > kParallelLtoMinSourceBytes) argv.push_back("-flto=auto");
  argv.insert(argv.end(), {"-I", d, "-o", library, d + "/" + kGlueFile, "-lm"});
  auto status = run(argv, log, *toolchain.cancelled);
  if (!status) return fail(status.takeError());
  if (*status != 0) {
    std::string msg = name;
    msg += ": C compiler ";
    msg += argv[0];
    msg += " ";
    msg += describeStatus(*status);
    msg += ": ";
    auto output = readLog(log, 4000);
    msg += output ? *output : output.error().message;
    return fail(ErrorCode::kInternal, std::move(msg));
  }
  return readFileBytes(library);
}

Expected<std::shared_ptr<Library>> loadLibrary(std::span<const uint8_t> library, const std::string& name) {
  const int fd = memfd_create("stratus-aot-module", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return fail(ErrorCode::kIo, name + ": memfd_create: " + std::strerror(errno));
  if (const int err = writeAll(fd, library); err != 0) {
    ::close(fd);
    return fail(ErrorCode::kIo, name + ": cannot stage the compiled module: " + std::strerror(err));
  }
  // Sealed: from here on nobody (not even this process) can change the bytes that were checked.
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(ErrorCode::kIo, name + ": cannot seal the staged module: " + std::strerror(err));
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    ::close(fd);
    const char* err = dlerror();
    return fail(ErrorCode::kInternal, name + ": cannot load the compiled module: " + (err ? err : "dlopen failed"));
  }
  auto* module = static_cast<const stratus_aot_module*>(dlsym(handle, STRATUS_AOT_MODULE_SYMBOL));
  if (module == nullptr || module->abi_version != STRATUS_AOT_ABI_VERSION) {
    dlclose(handle);
    ::close(fd);
    return fail(ErrorCode::kInternal, name + ": compiled module lacks a matching " STRATUS_AOT_MODULE_SYMBOL);
  }
  auto lib = std::make_shared<Library>(handle, module, fd);
  module->bind(hostTable());
  module->init_module();
  return lib;
}

}  // namespace stratus::engine::aot
