// bench_ping: the capability provider of the actor->provider benchmarks (stratus_bench BM_ActorToProvider and
// BM_HostToProvider). Contract "stratus:bench"; its one operation, Ping, answers the payload it was given, so a
// round trip costs the ABI, one copy each way and nothing else.
#include <span>
#include <string>
#include <string_view>

#include "stratus/provider.hpp"

namespace stratus::bench {
namespace {

class PingProvider final : public provider::CapabilityProvider {
 public:
  std::string_view capabilityId() const override { return "stratus:bench"; }
  std::string_view name() const override { return "stratus bench ping"; }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    if (operation != "Ping") {
      return fail(ErrorCode::kInvalidArgument, "stratus:bench has no operation '" + std::string(operation) + "'");
    }
    return Bytes(msg.begin(), msg.end());
  }
};

}  // namespace
}  // namespace stratus::bench

STRATUS_PROVIDER(stratus::bench::PingProvider)
