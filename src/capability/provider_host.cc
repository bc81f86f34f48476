#include "stratus/capability/provider_host.h"

#include <unistd.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include "capability/provider_frames.h"
#include "common/work_queue.h"

namespace stratus::capability {
namespace {

// The child's end of the socket: serialized writes, and the dispatches waiting for the host's replies.
class HostLink {
 public:
  explicit HostLink(int fd) : fd_(fd) {}

  void send(frames::Type type, uint64_t id, std::initializer_list<std::string_view> fields) {
    std::lock_guard lock(write_mu_);
    if (!frames::write(fd_, type, id, fields)) _exit(0);  // the host is gone: nothing left to serve
  }

  void reply(uint64_t id, const Expected<Bytes>& r) {
    std::lock_guard lock(write_mu_);
    if (!frames::writeReply(fd_, frames::Type::kReply, id, r)) _exit(0);
  }

  // A provider thread calling an actor: one frame out, then wait for the reply the reader hands over.
  Expected<Bytes> dispatch(std::string_view actor, std::string_view op, std::span<const uint8_t> msg) {
    uint64_t id;
    {
      std::lock_guard lock(mu_);
      id = next_id_++;
      waiting_[id];
    }
    send(frames::Type::kDispatch, id, {actor, op, frames::view(msg)});
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiting_[id].has_value(); });
    Expected<Bytes> out = std::move(*waiting_[id]);
    waiting_.erase(id);
    return out;
  }

  void answer(const frames::Frame& reply) {
    std::lock_guard lock(mu_);
    auto it = waiting_.find(reply.id);
    if (it == waiting_.end()) return;
    it->second = frames::replyOf(reply);
    cv_.notify_all();
  }

 private:
  const int fd_;
  std::mutex write_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::optional<Expected<Bytes>>> waiting_;
};


}  // namespace

int runProviderHost(int fd, const std::string& library_path, const ProviderIdentity& identity) {
  HostLink link(fd);
  auto loaded = NativeProvider::load(library_path, identity);
  if (!loaded) {
    link.send(frames::Type::kLoadFailed, 0, {loaded.error().message});
    return 2;
  }
  std::unique_ptr<NativeProvider> provider = std::move(*loaded);
  link.send(frames::Type::kReady, 0, {provider->capabilityId(), provider->name(), provider->abiDescription()});
  // Calls run on threads of their own: a provider may dispatch to an actor from inside a call, whose reply this
  // thread must be free to read.
  WorkQueue calls(256);
  for (;;) {
    auto frame = frames::read(fd);
    // The host closed the socket: it is gone or gave up on us. Calls may still sit in provider code: no unwinding.
    if (!frame) _exit(0);
    const uint64_t id = frame->id;
    switch (frame->type) {
      case frames::Type::kCall: {
        if (frame->fields.size() != 3) return 2;
        calls.post([&, id, f = std::move(*frame)] {
          auto r = provider->call(f.fields[0], f.fields[1], frames::bytesOf(f.fields[2]));
          link.reply(id, r);
          if (provider->crashed()) _exit(kProviderHostCrashedExit);  // its state may be corrupt: start afresh
        });
        break;
      }
      case frames::Type::kConfigure:
        calls.post([&, id] {
          auto r = provider->configureDispatch(
              [&](std::string_view actor, std::string_view op, std::span<const uint8_t> msg) {
                return link.dispatch(actor, op, msg);
              },
              [&](stratus_log_level level, std::string_view text) {
                const char l = static_cast<char>(level);
                link.send(frames::Type::kLog, 0, {std::string_view(&l, 1), text});
              });
          link.reply(id, r ? Expected<Bytes>(Bytes{}) : Expected<Bytes>(fail(r.takeError())));
          if (provider->crashed()) _exit(kProviderHostCrashedExit);
        });
        break;
      case frames::Type::kDispatchReply:
        link.answer(*frame);
        break;
      case frames::Type::kStop:
        // On a worker too: a provider's stop may still dispatch, whose reply this thread reads.
        calls.post([&, id] {
          auto stopped = provider->stop();
          link.reply(id, stopped ? Expected<Bytes>(Bytes{}) : Expected<Bytes>(fail(stopped.takeError())));
          _exit(0);  // the calls' threads may still sit in provider code that stop abandoned
        });
        break;
      default:
        return 2;
    }
  }
}

}  // namespace stratus::capability
