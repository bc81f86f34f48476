#include "lattice/event_publisher.h"

#include <spdlog/spdlog.h>

#include "stratus/claims/jwt.h"

namespace stratus::lattice {

void EventPublisher::publish(ctl::ControlEvent event) {
  const std::string_view name = ctl::eventName(event);
  const std::string json = ctl::toJson(ctl::PublishedEvent{
      std::move(event), ctl::EventHeader{host_id_, static_cast<uint64_t>(claims::unixNow())}});
  auto sent = ctl_.publish(subjects_.events(), std::span(reinterpret_cast<const uint8_t*>(json.data()), json.size()));
  if (!sent) spdlog::warn("cannot publish the {} event: {}", name, sent.error().message);
}

void EventPublisher::startHeartbeat(std::chrono::milliseconds interval, std::function<ctl::Heartbeat()> heartbeat) {
  heartbeat_ = std::thread([this, interval, heartbeat = std::move(heartbeat)] {
    MutexLock lock(mu_);
    for (;;) {
      if (cv_.wait_for(lock.native(), interval, [this]() STRATUS_REQUIRES(mu_) { return stopping_; })) return;
      lock.unlock();
      publish(heartbeat());
      lock.lock();
    }
  });
}

void EventPublisher::stopHeartbeat() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

}  // namespace stratus::lattice
