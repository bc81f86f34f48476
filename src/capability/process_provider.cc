#include "capability/process_provider.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "capability/child_process.h"
#include "capability/provider_frames.h"
#include "common/work_queue.h"
#include "stratus/capability/provider_host.h"
#include "stratus/codec/core.h"

namespace stratus::capability {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A child that lived this long before dying was not crashing in a loop: its crash count starts again.
constexpr auto kStableRun = std::chrono::seconds(30);

std::string ms(milliseconds d) { return std::to_string(d.count()) + " ms"; }

class ProcessBackend final : public ProviderBackend {
 public:
  ProcessBackend(std::string library, ProviderIdentity identity, ProcessIsolation options)
      : library_(std::move(library)), identity_(std::move(identity)), options_(std::move(options)) {}

  ~ProcessBackend() override {
    {
      std::lock_guard lock(mu_);
      state_ = State::kStopped;
      killChild();
    }
    cv_.notify_all();
    if (supervisor_.joinable()) supervisor_.join();
    dispatches_.stop();
    // Calls still waiting were failed when the child died; let them leave before the members go.
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return pending_.empty(); });
  }

  // Starts the supervisor, which starts the child; waits for the child's provider to load.
  Expected<ProcessProvider> start(std::shared_ptr<ProcessBackend> self) {
    supervisor_ = std::thread([this] { supervise(); });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return state_ != State::kStarting; });
    if (state_ != State::kRunning) return fail(first_error_);
    ProviderAbi abi = abi_description_.starts_with("Rust") ? ProviderAbi::kRust : ProviderAbi::kC;
    return ProcessProvider{std::move(self), ready_identity_, abi};
  }

  std::string describe() const override {
    std::lock_guard lock(mu_);
    return abi_description_ + " in a child process";
  }

  Expected<void> configureDispatch(DispatchContext& context) override {
    {
      std::lock_guard lock(mu_);
      context_ = &context;
    }
    auto r = request(frames::Type::kConfigure, "configure_dispatch", {}, options_.call_timeout, false);
    if (!r) return fail(r.takeError());
    std::lock_guard lock(mu_);
    configured_ = true;
    return ok();
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    const bool health = operation == "HealthRequest";
    auto r = request(frames::Type::kCall, operation, {actor, operation, frames::view(msg)},
                     health ? options_.health_timeout : options_.call_timeout, false);
    if (r && actor == "system" && (operation == "BindActor" || operation == "RemoveActor")) remember(operation, msg);
    return r;
  }

  void stop() override {
    {
      std::lock_guard lock(mu_);
      if (state_ == State::kRunning) state_ = State::kStopping;
    }
    (void)request(frames::Type::kStop, "stop", {}, options_.call_timeout, true);
    {
      std::lock_guard lock(mu_);
      state_ = State::kStopped;
      killChild();  // it exits by itself after answering; this covers a stop that did not answer
    }
    cv_.notify_all();
    if (supervisor_.joinable() && supervisor_.get_id() != std::this_thread::get_id()) supervisor_.join();
    dispatches_.stop();
  }

 private:
  enum class State { kStarting, kRunning, kRestarting, kRebinding, kGaveUp, kStopping, kStopped };

  struct Pending {
    uint64_t generation = 0;
    std::optional<Expected<Bytes>> result;
  };

  std::string who() const { return "provider " + identity_.name + " (" + identity_.capability_id + ")"; }

  void log(stratus_log_level level, const std::string& text) const {
    if (options_.log) options_.log(level, text);
  }

  // One request to the child and its reply. `internal`: a restart's configure and rebinds, and stop, which run
  // while ordinary calls are refused.
  Expected<Bytes> request(frames::Type type, std::string_view what, std::initializer_list<std::string_view> fields,
                          milliseconds timeout, bool internal) {
    uint64_t id;
    uint64_t generation;
    {
      std::lock_guard lock(mu_);
      const bool open = state_ == State::kRunning || (internal && (state_ == State::kRebinding ||
                                                                    state_ == State::kStopping));
      if (!open) return fail(ErrorCode::kUnavailable, who() + " " + unavailableReason());
      id = next_id_++;
      generation = generation_;
      pending_[id].generation = generation;
    }
    Expected<void> sent = ok();
    {
      // The socket is closed only under write_mu_: while it is held, fd_ is this generation's or the child is gone.
      std::lock_guard write(write_mu_);
      int fd = -1;
      {
        std::lock_guard lock(mu_);
        if (generation == generation_ && !reaped_) fd = fd_;
      }
      sent = fd >= 0 ? frames::write(fd, type, id, fields)
                     : Expected<void>(fail(ErrorCode::kUnavailable, "its process ended before the call was sent"));
    }
    std::unique_lock lock(mu_);
    auto& pending = pending_[id];
    if (!sent && !pending.result) pending.result = fail(sent.takeError().prefixed(who() + ": "));
    if (!cv_.wait_for(lock, timeout, [&] { return pending.result.has_value(); })) {
      pending_.erase(id);
      if (pending_.empty()) cv_.notify_all();
      if (generation == generation_) {
        death_reason_ = "it did not answer within " + ms(timeout) + " and was killed";
        killChild();
      }
      return fail(ErrorCode::kDeadlineExceeded, who() + " did not answer " + std::string(what) + " within " +
                                                    ms(timeout) + "; its process was killed");
    }
    Expected<Bytes> out = std::move(*pending.result);
    pending_.erase(id);
    if (pending_.empty()) cv_.notify_all();  // a destructor may wait for the last caller to leave
    return out;
  }

  std::string unavailableReason() const {
    switch (state_) {
      case State::kStarting:
      case State::kRestarting:
      case State::kRebinding: return "is restarting after its process " + last_death_;
      case State::kGaveUp:
        return "was given up after " + std::to_string(crashes_) + " crashes in a row; the last: its process " +
               last_death_;
      default: return "is stopped";
    }
  }

  void remember(std::string_view operation, std::span<const uint8_t> msg) {
    auto config = codec::decodeCapabilityConfiguration(msg);
    if (!config) return;
    std::lock_guard lock(mu_);
    if (operation == "BindActor") {
      bindings_[config->module] = Bytes(msg.begin(), msg.end());
    } else {
      bindings_.erase(config->module);
    }
  }

  void killChild() {
    if (pid_ > 0 && !reaped_) ::kill(-pid_, SIGKILL);
  }

  // ---- The supervisor thread: starts the child (from this long-lived thread, as PR_SET_PDEATHSIG follows the
  // thread that forked), reads what it sends, and restarts it when it dies.
  void supervise() {
    milliseconds backoff = options_.restart_backoff;
    for (;;) {
      const auto started = Clock::now();
      runChild();
      std::unique_lock lock(mu_);
      for (auto& [id, p] : pending_) {
        if (p.generation == generation_ && !p.result) {
          p.result = fail(ErrorCode::kUnavailable, who() + ": its process " + last_death_ + " during the call");
        }
      }
      cv_.notify_all();
      if (state_ == State::kStarting) {  // never came up: no restart, the loader reports why
        if (first_error_.message.empty()) {
          first_error_ = {ErrorCode::kInvalidArgument, who() + ": its process " + last_death_ + " while loading"};
        }
        state_ = State::kGaveUp;
        cv_.notify_all();
        return;
      }
      if (state_ == State::kStopping || state_ == State::kStopped) return;
      if (Clock::now() - started >= kStableRun) {
        crashes_ = 0;
        backoff = options_.restart_backoff;
      }
      if (++crashes_ > options_.max_restarts) {
        state_ = State::kGaveUp;
        log(STRATUS_LOG_ERROR, who() + ": its process " + last_death_ + "; given up after " +
                                   std::to_string(crashes_) + " crashes in a row");
        cv_.notify_all();
        return;
      }
      state_ = State::kRestarting;
      log(STRATUS_LOG_WARN, who() + ": its process " + last_death_ + "; restarting in " + ms(backoff) + " (" +
                                std::to_string(crashes_) + " of " + std::to_string(options_.max_restarts) + ")");
      if (cv_.wait_for(lock, backoff, [&] { return state_ == State::kStopped; })) return;
      backoff = std::min(backoff * 2, options_.restart_backoff_max);
    }
  }

  // Starts one child, serves it until its socket closes, and reaps it; last_death_ says how it ended.
  void runChild() {
    const std::vector<std::string> argv = {options_.executable, "provider-host", "--library", library_,
                                           "--capid", identity_.capability_id, "--name", identity_.name};
    auto child = spawnChild(argv);
    if (!child) {
      std::lock_guard lock(mu_);
      if (state_ == State::kStarting) first_error_ = child.takeError().prefixed(who() + ": cannot start its process: ");
      last_death_ = "could not be started";
      return;
    }
    {
      std::lock_guard lock(mu_);
      pid_ = child->pid;
      reaped_ = false;
      fd_ = child->socket;
      ++generation_;
      death_reason_.clear();
      if (state_ == State::kStopped) killChild();
    }
    serve(*child);
    // Waited for without reaping first: until reaped_ is set, a kill of its process group must still reach it and
    // no other (a reaped pid may be reused).
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    std::lock_guard write(write_mu_);
    std::lock_guard lock(mu_);
    reaped_ = true;
    int status = 0;
    while (::waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(child->socket);
    ::close(child->output);
    fd_ = -1;
    last_death_ = WIFEXITED(status) && WEXITSTATUS(status) == kProviderHostCrashedExit
                      ? "exited after its provider crashed inside a call"
                      : describeExit(status) + (death_reason_.empty() ? "" : " (" + death_reason_ + ")");
  }

  // Reads the child's frames and output until its socket closes.
  void serve(const ChildProcess& child) {
    std::string partial_line;
    bool output_open = true;
    for (;;) {
      pollfd fds[2] = {{child.socket, POLLIN, 0}, {child.output, POLLIN, 0}};
      if (::poll(fds, output_open ? 2 : 1, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (output_open && (fds[1].revents & (POLLIN | POLLHUP))) output_open = forwardOutput(child.output, partial_line);
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        auto frame = frames::read(child.socket);
        if (!frame) break;
        handle(std::move(*frame));
      }
    }
    while (output_open) output_open = forwardOutput(child.output, partial_line);
    if (!partial_line.empty()) log(STRATUS_LOG_INFO, "provider " + identity_.name + ": " + partial_line);
  }

  bool forwardOutput(int fd, std::string& partial) {
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return n < 0 && errno == EINTR;
    partial.append(buf, static_cast<size_t>(n));
    for (size_t nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
      log(STRATUS_LOG_INFO, "provider " + identity_.name + ": " + partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
    return true;
  }

  void handle(frames::Frame frame) {
    switch (frame.type) {
      case frames::Type::kReady: {
        std::unique_lock lock(mu_);
        if (frame.fields.size() == 3) {
          ready_identity_ = {frame.fields[0], frame.fields[1]};
          abi_description_ = frame.fields[2];
        }
        if (state_ == State::kStarting) {
          state_ = State::kRunning;
          cv_.notify_all();
        } else if (state_ == State::kRestarting) {
          state_ = State::kRebinding;
          dispatches_.post([this] { rebind(); });
        }
        break;
      }
      case frames::Type::kLoadFailed: {
        std::lock_guard lock(mu_);
        first_error_ = {ErrorCode::kInvalidArgument, frame.fields.empty() ? "the provider did not load"
                                                                          : frame.fields[0]};
        break;
      }
      case frames::Type::kReply: {
        std::lock_guard lock(mu_);
        auto it = pending_.find(frame.id);
        if (it != pending_.end()) {
          it->second.result = frames::replyOf(frame);
          cv_.notify_all();
        }
        break;
      }
      case frames::Type::kDispatch: {
        if (frame.fields.size() != 3) break;
        uint64_t generation;
        {
          std::lock_guard lock(mu_);
          generation = generation_;
        }
        dispatches_.post([this, generation, f = std::move(frame)] { dispatch(generation, f); });
        break;
      }
      case frames::Type::kLog:
        if (frame.fields.size() == 2 && frame.fields[0].size() == 1) {
          log(static_cast<stratus_log_level>(frame.fields[0][0]), frame.fields[1]);
        }
        break;
      default:
        break;
    }
  }

  void dispatch(uint64_t generation, const frames::Frame& f) {
    DispatchContext* context;
    {
      std::lock_guard lock(mu_);
      context = context_;
    }
    Expected<Bytes> r = context ? context->dispatch(f.fields[0], f.fields[1], frames::bytesOf(f.fields[2]))
                                : Expected<Bytes>(fail(ErrorCode::kUnavailable, "no dispatcher configured"));
    std::lock_guard write(write_mu_);
    {
      std::lock_guard lock(mu_);
      if (generation != generation_ || reaped_) return;  // that child is gone; its caller with it
    }
    (void)frames::writeReply(fd_, frames::Type::kDispatchReply, f.id, r);
  }

  // After a restart: the dispatcher again, then every binding, then calls are let in.
  void rebind() {
    std::map<std::string, Bytes> bindings;
    bool configured;
    {
      std::lock_guard lock(mu_);
      bindings = bindings_;
      configured = configured_;
    }
    if (configured) {
      if (auto r = request(frames::Type::kConfigure, "configure_dispatch", {}, options_.call_timeout, true); !r) {
        log(STRATUS_LOG_ERROR, who() + ": configure_dispatch after a restart failed: " + r.error().message);
      }
    }
    for (const auto& [actor, payload] : bindings) {
      if (auto r = request(frames::Type::kCall, "BindActor", {"system", "BindActor", frames::view(payload)},
                           options_.call_timeout, true);
          !r) {
        log(STRATUS_LOG_ERROR, who() + ": BindActor of " + actor + " after a restart failed: " + r.error().message);
      }
    }
    {
      std::lock_guard lock(mu_);
      if (state_ != State::kRebinding) return;
      state_ = State::kRunning;
    }
    log(STRATUS_LOG_INFO, who() + ": restarted, " + std::to_string(bindings.size()) + " actor(s) bound again");
  }

  const std::string library_;
  const ProviderIdentity identity_;
  const ProcessIsolation options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::kStarting;
  Error first_error_{ErrorCode::kInvalidArgument, ""};
  ProviderIdentity ready_identity_;
  std::string abi_description_;
  pid_t pid_ = -1;
  bool reaped_ = true;
  int fd_ = -1;
  uint64_t generation_ = 0;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Pending> pending_;
  std::map<std::string, Bytes> bindings_;
  DispatchContext* context_ = nullptr;
  bool configured_ = false;
  int crashes_ = 0;
  std::string last_death_;
  std::string death_reason_;

  std::mutex write_mu_;  // one frame at a time on the socket, and the socket's closing; taken before mu_
  WorkQueue dispatches_{64};
  std::thread supervisor_;
};

}  // namespace

Expected<ProcessProvider> startProcessProvider(const std::string& library_path, const ProviderIdentity& identity,
                                               ProcessIsolation options) {
  if (options.executable.empty()) {
    return fail(ErrorCode::kInvalidArgument, library_path + ": process isolation needs the path of a stratus "
                                                            "executable to run the provider in");
  }
  auto backend = std::make_shared<ProcessBackend>(library_path, identity, std::move(options));
  return backend->start(backend);
}

}  // namespace stratus::capability
