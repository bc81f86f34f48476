#include "host/engine_selection.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

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

// What `auto` starts on and moves to.
constexpr engine::Backend kStartBackend = engine::Backend::kInterp;
constexpr engine::Backend kTierBackend = engine::Backend::kAot;

}  // namespace

EngineSelection::EngineSelection(EngineMode default_mode, engine::EngineOptions options)
    : default_mode_(default_mode), options_(std::move(options)) {}

EngineSelection::~EngineSelection() {
  {
    MutexLock lock(jobs_mu_);
    stopping_ = true;
    jobs_.clear();
  }
  {
    MutexLock lock(engines_mu_);
    // A shutting-down host does not wait seconds for a compiler.
    for (auto& [backend, slot] : engines_) {
      if (slot.engine) slot.engine->cancelCompiles();
    }
  }
  jobs_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Expected<engine::Engine*> EngineSelection::engine(engine::Backend backend) {
  MutexLock lock(engines_mu_);
  auto it = engines_.find(backend);
  if (it == engines_.end()) {
    Slot slot;
    auto created = engine::createEngine(backend, options_);
    if (created) {
      slot.engine = std::move(*created);
    } else {
      slot.error = created.takeError();
      slot.error.message = "engine " + std::string(engine::backendName(backend)) + ": " + slot.error.message;
    }
    it = engines_.emplace(backend, std::move(slot)).first;
  }
  if (!it->second.engine) return fail(it->second.error);
  return it->second.engine.get();
}

Expected<void> EngineSelection::check() {
  if (default_mode_.isAutomatic()) return ok();
  auto e = engine(default_mode_.backend());
  if (!e) return fail(e.takeError());
  return ok();
}

Expected<EngineSelection::Start> EngineSelection::compile(std::span<const uint8_t> wasm, const std::string& name,
                                                          EngineMode mode) {
  const engine::CompileOptions options{.name = name};
  if (!mode.isAutomatic()) {
    auto e = engine(mode.backend());
    if (!e) return fail(e.takeError().prefixed(name + ": "));
    auto module = (*e)->compile(wasm, options);
    if (!module) return fail(module.takeError());
    return Start{std::move(*module), mode.backend(), false};
  }
  bool tier_possible = false;
  if (auto tier = engine(kTierBackend); !tier) {
    std::call_once(warned_no_tier_, [&] {
      spdlog::warn("engine auto: {}; actors run on the interpreter", tier.error().message);
    });
  } else {
    auto cached = (*tier)->compileIfCached(wasm, options);
    if (cached && *cached) return Start{std::move(*cached), kTierBackend, false};
    // A module the tier-up backend cannot take (e.g. SIMD) stays where it starts; a malformed one fails there.
    tier_possible = cached || cached.error().code != ErrorCode::kUnavailable;
    if (!tier_possible) spdlog::warn("engine auto: {}; the actor stays on the interpreter", cached.error().message);
  }
  auto start = engine(kStartBackend);
  if (!start) return fail(start.takeError());
  auto module = (*start)->compile(wasm, options);
  if (!module) return fail(module.takeError());
  return Start{std::move(*module), kStartBackend, tier_possible};
}

void EngineSelection::compileInBackground(Bytes wasm, std::string name, Done done) {
  MutexLock lock(jobs_mu_);
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
      MutexLock lock(jobs_mu_);
      jobs_cv_.wait(lock.native(), [&]() STRATUS_REQUIRES(jobs_mu_) { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    const auto start = std::chrono::steady_clock::now();
    auto tier = engine(kTierBackend);
    Expected<std::shared_ptr<const engine::Module>> module =
        tier ? (*tier)->compile(job.wasm, {.name = job.name})
             : Expected<std::shared_ptr<const engine::Module>>(fail(tier.takeError()));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    {
      MutexLock lock(jobs_mu_);
      if (stopping_) return;
    }
    job.done(std::move(module), seconds);
  }
}

}  // namespace stratus::host
