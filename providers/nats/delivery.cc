#include "delivery.h"

#include <system_error>

namespace stratus::providers::nats {

void LogSink::log(stratus_log_level level, const std::string& text) {
  MutexLock lock(mu_);
  if (active_) dispatcher_.log(level, text);
}

void LogSink::deactivate() {
  MutexLock lock(mu_);
  active_ = false;
}

bool Throttle::allow(uint64_t& suppressed) {
  MutexLock lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (reported_ && now - last_ < interval_) {
    ++held_back_;
    return false;
  }
  reported_ = true;
  last_ = now;
  suppressed = held_back_;
  held_back_ = 0;
  return true;
}

Delivery::Delivery(std::string actor, provider::Dispatcher dispatcher, std::shared_ptr<LogSink> log, size_t max_pending,
                   unsigned threads)
    : actor_(std::move(actor)),
      dispatcher_(dispatcher),
      log_(std::move(log)),
      max_pending_(max_pending),
      thread_count_(threads == 0 ? 1 : threads) {}

Delivery::~Delivery() { close(); }

Expected<void> Delivery::start() {
  MutexLock join(join_mu_);
  try {
    while (threads_.size() < thread_count_) threads_.emplace_back([this] { work(); });
  } catch (const std::system_error& e) {
    std::string text = "nats: actor ";
    text += actor_;
    text += ": cannot start a delivery thread: ";
    text += e.what();
    return fail(ErrorCode::kResourceExhausted, std::move(text));
  }
  return ok();
}

void Delivery::push(codec::BrokerMessage message) {
  std::string subject;
  {
    MutexLock lock(mu_);
    if (closed_) return;
    if (queue_.size() < max_pending_) {
      queue_.push_back(std::move(message));
      cv_.notify_one();
      return;
    }
    ++dropped_;
    subject = std::move(message.subject);
  }
  uint64_t suppressed = 0;
  if (!drop_throttle_.allow(suppressed)) return;
  std::string text = "nats: actor ";
  text += actor_;
  text += ": delivery queue full (MAX_PENDING=";
  text += std::to_string(max_pending_);
  text += " messages wait for HandleMessage); dropped a message on subject '";
  text += subject;
  text += "'";
  if (suppressed > 0) {
    text += " and ";
    text += std::to_string(suppressed);
    text += " more since the last report";
  }
  log_->log(STRATUS_LOG_WARN, text);
}

size_t Delivery::close() {
  MutexLock join(join_mu_);
  size_t discarded = 0;
  {
    MutexLock lock(mu_);
    closed_ = true;
    discarded = queue_.size();
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (!t.joinable()) continue;
    // A worker never closes its own Delivery, but if a call chain ever did, joining itself would deadlock.
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else {
      t.join();
    }
  }
  threads_.clear();
  return discarded;
}

uint64_t Delivery::dropped() const {
  MutexLock lock(mu_);
  return dropped_;
}

void Delivery::work() {
  while (true) {
    codec::BrokerMessage message;
    {
      MutexLock lock(mu_);
      cv_.wait(lock.native(), [&]() STRATUS_NO_THREAD_SAFETY_ANALYSIS { return closed_ || !queue_.empty(); });
      if (closed_) return;
      message = std::move(queue_.front());
      queue_.pop_front();
    }
    auto reply = dispatcher_.call(actor_, codec::kOpHandleMessage, codec::encode(message));
    if (reply) continue;
    uint64_t suppressed = 0;
    if (!failure_throttle_.allow(suppressed)) continue;
    std::string text = "nats: actor ";
    text += actor_;
    text += ": HandleMessage for subject '";
    text += message.subject;
    text += "' failed: ";
    text += reply.error().message;
    if (suppressed > 0) {
      text += " (";
      text += std::to_string(suppressed);
      text += " more failures since the last report)";
    }
    log_->log(STRATUS_LOG_WARN, text);
  }
}

}  // namespace stratus::providers::nats
