#include "host/extras_provider.h"

#include <sodium.h>

#include <cstdio>
#include <map>

#include "stratus/codec/extras.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/provider.hpp"

namespace stratus::host {
namespace {

// A random (version 4) UUID in the lowercase hyphenated form Rust's uuid crate prints.
std::string uuidV4() {
  uint8_t b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

class ExtrasProvider final : public provider::CapabilityProvider {
 public:
  std::string_view capabilityId() const override { return codec::kExtrasContract; }
  std::string_view name() const override { return "wasmcloud Extras (built-in)"; }

  Expected<void> removeActor(std::string_view actor) override {
    MutexLock lock(mu_);
    sequences_.erase(std::string(actor));
    return ok();
  }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    auto request = codec::decodeGeneratorRequest(msg);
    if (!request) return fail(request.takeError());
    codec::GeneratorResult result;
    if (operation == codec::kOpRequestGuid) {
      result.guid = uuidV4();
    } else if (operation == codec::kOpRequestRandom) {
      if (request->min >= request->max) {
        return fail(ErrorCode::kInvalidArgument, "RequestRandom: min (" + std::to_string(request->min) +
                                                     ") must be less than max (" + std::to_string(request->max) + ")");
      }
      // [min, max), uniformly: randombytes_uniform avoids modulo bias.
      result.random_number = request->min + randombytes_uniform(request->max - request->min);
    } else if (operation == codec::kOpRequestSequence) {
      MutexLock lock(mu_);
      result.sequence_number = sequences_[std::string(actor)]++;
    } else {
      return fail(ErrorCode::kNotFound, "wasmcloud:extras has no operation '" + std::string(operation) +
                                            "' (RequestGuid, RequestRandom, RequestSequence)");
    }
    return codec::encode(result);
  }

 private:
  Mutex mu_;
  std::map<std::string, uint64_t> sequences_ STRATUS_GUARDED_BY(mu_);  // per actor, from 0
};

}  // namespace

const stratus_provider* createExtrasProvider() {
  if (sodium_init() < 0) return nullptr;
  return provider::detail::exportProvider([] { return std::make_unique<ExtrasProvider>(); });
}

}  // namespace stratus::host
