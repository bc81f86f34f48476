#include "host/provider_health.h"

#include <spdlog/spdlog.h>

#include "stratus/codec/core.h"

namespace stratus::host {
namespace {

std::string seconds(std::chrono::steady_clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

ProviderHealth::ProviderHealth(const ProviderTable& providers, const EventSink& events,
                               std::chrono::milliseconds interval, std::chrono::milliseconds timeout)
    : providers_(providers), events_(events), interval_(interval), timeout_(timeout) {
  if (interval_.count() > 0) thread_ = std::thread([this] { loop(); });
}

ProviderHealth::~ProviderHealth() { stopPeriodic(); }

void ProviderHealth::stopPeriodic() {
  {
    MutexLock lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ProviderHealth::loop() {
  MutexLock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock.native(), interval_, [this]() STRATUS_REQUIRES(stop_mu_) { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    checkAll();
    lock.lock();
  }
}

void ProviderHealth::checkAll() {
  struct Outcome {
    std::shared_ptr<Provider> provider;
    bool healthy;
    std::string message;
  };
  std::vector<Outcome> outcomes;
  {
    MutexLock round(round_mu_);
    const auto now = std::chrono::steady_clock::now();
    std::vector<Check> started;
    std::map<const Provider*, Check> still_unanswered;
    for (auto& provider : providers_.all()) {
      if (auto it = unanswered_.find(provider.get()); it != unanswered_.end()) {
        if (!it->second.task->done()) {
          outcomes.push_back(
              {provider, false,
               "no answer to the HealthRequest sent " + seconds(now - it->second.task->started()) + " ago"});
          still_unanswered.emplace(provider.get(), std::move(it->second));
          continue;
        }
        unanswered_.erase(it);  // answered late: its thread is joined, and a new check starts below
      }
      Check check{provider, std::make_shared<Expected<Bytes>>(Bytes{}), nullptr};
      check.task = std::make_unique<BoundedTask>([provider, reply = check.reply] {
        *reply = provider->native().call(codec::kSystemActor, codec::kOpHealthRequest,
                                         codec::encode(codec::HealthRequest{}));
      });
      started.push_back(std::move(check));
    }
    const auto deadline = now + timeout_;
    for (auto& check : started) {
      if (!check.task->waitUntil(deadline)) {
        outcomes.push_back(
            {check.provider, false, "no answer to HealthRequest within " + std::to_string(timeout_.count()) + " ms"});
        auto* key = check.provider.get();
        still_unanswered.emplace(key, std::move(check));
        continue;
      }
      const Expected<Bytes>& reply = *check.reply;
      if (!reply) {
        outcomes.push_back({check.provider, false, "HealthRequest failed: " + reply.error().message});
        continue;
      }
      auto response = codec::decodeHealthResponse(*reply);
      if (!response) {
        outcomes.push_back({check.provider, false, "bad HealthResponse: " + response.error().message});
        continue;
      }
      outcomes.push_back({check.provider, response->healthy, response->healthy ? "" : response->message});
    }
    // Checks of providers that stopped meanwhile are dropped here (a hung one's thread goes to the reaper).
    unanswered_ = std::move(still_unanswered);
  }
  for (auto& o : outcomes) mark(*o.provider, o.healthy, std::move(o.message));
}

void ProviderHealth::mark(Provider& provider, bool healthy, std::string message) const {
  if (!provider.setHealth(healthy, message)) return;
  if (healthy) {
    spdlog::info("provider healthy again: {}", provider.displayName());
  } else {
    spdlog::warn("provider unhealthy: {}: {}", provider.displayName(), message);
  }
  events_.emit({healthy ? HostEvent::Kind::kProviderHealthy : HostEvent::Kind::kProviderUnhealthy,
                provider.publicKey(),
                provider.contractId(),
                provider.linkName(),
                {},
                std::move(message)});
}

}  // namespace stratus::host
