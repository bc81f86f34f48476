// Reading link values in the first-party providers (header-only; built into each provider library).
#pragma once

#include <charconv>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::providers {

/// The unsigned integer in link value `name`, or `fallback` when the value is absent. Errors: kInvalidArgument
/// "<who>: link value NAME='text' must be a number from lo to hi" for anything else (empty, signs, trailing text,
/// out of range).
inline Expected<uint64_t> linkNumber(const std::map<std::string, std::string>& values, std::string_view name,
                                     uint64_t fallback, uint64_t lo, uint64_t hi, std::string_view who) {
  auto it = values.find(std::string(name));
  if (it == values.end()) return fallback;
  const std::string& text = it->second;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size() && v >= lo && v <= hi) return v;
  std::string msg(who);
  msg.append(": link value ").append(name).append("='").append(text.substr(0, 64));
  msg.append("' must be a number from ").append(std::to_string(lo)).append(" to ").append(std::to_string(hi));
  return fail(ErrorCode::kInvalidArgument, std::move(msg));
}

}  // namespace stratus::providers
