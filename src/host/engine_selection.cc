#include "host/engine_selection.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "stratus/engine/interp.h"

namespace stratus::host {
namespace {

// Nice levels a background compile runs below the host's own threads.
constexpr int kBackgroundNice = 10;

// Lowers the CPU priority of the calling thread and of the processes it starts from now on (on Linux a thread has
// its own nice value, and a process it spawns inherits it). Best effort: a failure leaves the priority as it was.
void lowerThisThreadsPriority() {
  const auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (errno != 0) return;
  setpriority(PRIO_PROCESS, tid, std::min(current + kBackgroundNice, 19));
}

}  // namespace

Expected<EngineMode> parseEngineMode(std::string_view name) {
  if (name == "interp") return EngineMode::kInterp;
  if (name == "aot") return EngineMode::kAot;
  if (name == "auto") return EngineMode::kAuto;
  return fail(ErrorCode::kInvalidArgument,
              "unknown engine '" + std::string(name) + "' (use interp, aot or auto)");
}

EngineSelection::EngineSelection(EngineMode default_mode, engine::AotOptions aot_options)
    : default_mode_(default_mode), aot_options_(std::move(aot_options)), interp_(engine::createInterpEngine()) {}

EngineSelection::~EngineSelection() {
  {
    std::lock_guard lock(jobs_mu_);
    stopping_ = true;
    jobs_.clear();
  }
  {
    std::lock_guard lock(aot_mu_);
    if (aot_) aot_->cancelCompiles();  // a shutting-down host does not wait seconds for a compiler
  }
  jobs_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

engine::AotEngine* EngineSelection::aot() {
  std::lock_guard lock(aot_mu_);
  if (!aot_tried_) {
    aot_tried_ = true;
    auto created = engine::createAotEngine(aot_options_);
    if (created) {
      aot_ = std::move(*created);
    } else {
      aot_error_ = created.error().message;
    }
  }
  return aot_.get();
}

Expected<void> EngineSelection::check() {
  if (default_mode_ == EngineMode::kAot && aot() == nullptr) {
    std::lock_guard lock(aot_mu_);
    return fail(ErrorCode::kUnavailable, "engine aot: " + aot_error_);
  }
  return ok();
}

Expected<EngineSelection::Start> EngineSelection::compile(std::span<const uint8_t> wasm, const std::string& name,
                                                          EngineMode mode) {
  if (mode != EngineMode::kInterp) {
    engine::AotEngine* native = aot();
    if (native == nullptr) {
      std::lock_guard lock(aot_mu_);
      if (mode == EngineMode::kAot) return fail(ErrorCode::kUnavailable, name + ": engine aot: " + aot_error_);
      std::call_once(warned_no_compiler_, [&] {
        spdlog::warn("engine auto: {}; actors run on the interpreter", aot_error_);
      });
    } else if (mode == EngineMode::kAot) {
      auto module = native->compile(wasm, {.name = name});
      if (!module) return fail(module.takeError());
      return Start{std::move(*module), "aot", false};
    } else {
      auto cached = native->compileIfCached(wasm, {.name = name});
      if (cached && *cached) return Start{std::move(*cached), "aot", false};
      // A module the aot engine cannot take (e.g. SIMD) stays on the interpreter; a malformed one fails there.
      const bool native_possible = cached || cached.error().code != ErrorCode::kUnavailable;
      if (!native_possible) {
        spdlog::warn("engine auto: {}; the actor stays on the interpreter", cached.error().message);
      }
      auto module = interp_->compile(wasm, {.name = name});
      if (!module) return fail(module.takeError());
      return Start{std::move(*module), "interp", native_possible};
    }
  }
  auto module = interp_->compile(wasm, {.name = name});
  if (!module) return fail(module.takeError());
  return Start{std::move(*module), "interp", false};
}

void EngineSelection::compileInBackground(Bytes wasm, std::string name, Done done) {
  std::lock_guard lock(jobs_mu_);
  if (stopping_) return;
  jobs_.push_back({std::move(wasm), std::move(name), std::move(done)});
  if (!worker_.joinable()) worker_ = std::thread([this] { work(); });
  jobs_cv_.notify_one();
}

void EngineSelection::work() {
  // Compiling takes seconds of CPU per module (more with parallel LTO) while the host serves calls: the
  // translation here and the compiler processes yield to the calls.
  lowerThisThreadsPriority();
  for (;;) {
    Job job;
    {
      std::unique_lock lock(jobs_mu_);
      jobs_cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    const auto start = std::chrono::steady_clock::now();
    engine::AotEngine* native = aot();
    Expected<std::shared_ptr<const engine::Module>> module =
        native != nullptr ? native->compile(job.wasm, {.name = job.name})
                          : Expected<std::shared_ptr<const engine::Module>>(
                                fail(ErrorCode::kUnavailable, "no aot engine"));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    {
      std::lock_guard lock(jobs_mu_);
      if (stopping_) return;
    }
    job.done(std::move(module), seconds);
  }
}

}  // namespace stratus::host
