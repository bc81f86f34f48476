// wasmcloud:logging: WriteLog {target, level, text} from an actor becomes a line in the host's log,
// "[<actor> <target>] <text>", at the matching level. Stateless; no link values.
#include <array>
#include <string>
#include <utility>

#include "stratus/codec/logging.h"
#include "stratus/provider.hpp"

namespace stratus::providers::logging {
namespace {

// A log line is for people: cap what one call can push into the host's log.
constexpr size_t kMaxTextBytes = 16 * 1024;
constexpr size_t kMaxTargetBytes = 256;

constexpr std::array<std::pair<std::string_view, stratus_log_level>, 5> kLevels{{
    {"error", STRATUS_LOG_ERROR},
    {"warn", STRATUS_LOG_WARN},
    {"info", STRATUS_LOG_INFO},
    {"debug", STRATUS_LOG_DEBUG},
    {"trace", STRATUS_LOG_TRACE},
}};

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

class LoggingProvider final : public provider::CapabilityProvider {
 public:
  std::string_view capabilityId() const override { return codec::kLoggingContract; }
  std::string_view name() const override { return "stratus logging"; }

  Expected<Bytes> handleCall(std::string_view actor, std::string_view operation,
                             std::span<const uint8_t> msg) override {
    if (operation != codec::kOpWriteLog) {
      return fail(ErrorCode::kNotFound,
                  "unknown wasmcloud:logging operation '" + std::string(operation) + "' (known: WriteLog)");
    }
    auto entry = codec::decodeWriteLog(msg);
    if (!entry) return fail(entry.takeError());
    const stratus_log_level* level = nullptr;
    for (const auto& [name, l] : kLevels) {
      if (equalsIgnoringCase(name, entry->level)) level = &l;
    }
    if (!level) {
      return fail(ErrorCode::kInvalidArgument,
                  "WriteLog: unknown level '" + entry->level + "' (expected error, warn, info, debug or trace)");
    }
    // Appended piecewise: GCC 12 -O3 warns falsely (-Wrestrict) on "[" + std::string(...).
    std::string line = "[";
    line.append(actor);
    if (!entry->target.empty()) {
      line += ' ';
      line.append(entry->target, 0, kMaxTargetBytes);
    }
    line += "] ";
    if (entry->text.size() > kMaxTextBytes) {
      line.append(entry->text, 0, kMaxTextBytes);
      line += "... (" + std::to_string(entry->text.size() - kMaxTextBytes) + " more bytes cut)";
    } else {
      line += entry->text;
    }
    dispatcher().log(*level, line);
    return Bytes{};
  }
};

}  // namespace
}  // namespace stratus::providers::logging

STRATUS_PROVIDER(stratus::providers::logging::LoggingProvider)
