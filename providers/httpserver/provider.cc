// The wasmcloud:httpserver capability provider: serves each linked actor on its own HTTP listener and delivers
// every request to it as HandleRequest (see server.h for the threads and config.h for the link values).
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "config.h"
#include "server.h"
#include "stratus/codec/http.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/provider.hpp"

namespace stratus::httpserver {
namespace {

class HttpServerProvider final : public provider::CapabilityProvider {
 public:
  std::string_view capabilityId() const override { return codec::kHttpServerContract; }
  std::string_view name() const override { return "stratus httpserver (Boost.Beast)"; }

  Expected<void> bindActor(std::string_view actor, const std::map<std::string, std::string>& values) override {
    auto config = parseListenerConfig(values);
    if (!config) {
      Error e = config.takeError();
      e.message = "actor " + std::string(actor) + ": " + e.message;
      return fail(std::move(e));
    }
    MutexLock lock(mu_);
    if (stopped_) return fail(ErrorCode::kUnavailable, "the httpserver provider is stopped");
    if (!server_) {
      // Threads start with the first link, so a loaded but unused provider costs nothing.
      server_ = std::make_unique<Server>(
          [this](const std::string& target, const Bytes& request) {
            return dispatcher().call(target, codec::kOpHandleRequest, request);
          },
          [this](stratus_log_level level, std::string_view text) { dispatcher().log(level, text); });
    }
    auto bound = server_->bind(std::string(actor), *config);
    if (!bound) return fail(bound.takeError());
    return ok();
  }

  Expected<void> removeActor(std::string_view actor) override {
    MutexLock lock(mu_);
    if (server_) server_->unbind(std::string(actor));
    return ok();
  }

  codec::HealthResponse health() override {
    MutexLock lock(mu_);
    if (stopped_) return {false, "the httpserver provider is stopped"};
    if (server_ && !server_->healthy()) return {false, "httpserver io threads are not running"};
    return {true, ""};
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    return fail(ErrorCode::kInvalidArgument, "wasmcloud:httpserver has no operation '" + std::string(operation) +
                                                 "' (actors receive HandleRequest; they do not call this provider)");
  }

  void stop() override {
    std::unique_ptr<Server> server;
    {
      MutexLock lock(mu_);
      stopped_ = true;
      server = std::move(server_);
    }
    if (server) server->stop();
  }

  ~HttpServerProvider() override { stop(); }

 private:
  Mutex mu_;
  bool stopped_ STRATUS_GUARDED_BY(mu_) = false;
  std::unique_ptr<Server> server_ STRATUS_GUARDED_BY(mu_);  // created by the first bindActor
};

}  // namespace
}  // namespace stratus::httpserver

STRATUS_PROVIDER(stratus::httpserver::HttpServerProvider)
