// Core operations every capability provider answers (wasmcloud-provider-core 0.1): BindActor, RemoveActor and
// HealthRequest, all sent with the "system" origin.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::codec {

inline constexpr std::string_view kOpBindActor = "BindActor";
inline constexpr std::string_view kOpRemoveActor = "RemoveActor";
inline constexpr std::string_view kOpHealthRequest = "HealthRequest";
/// Origin of calls made by the host itself (wasmCloud's SYSTEM_ACTOR).
inline constexpr std::string_view kSystemActor = "system";

/// Hidden link values the host adds to BindActor (wasmCloud 0.18).
inline constexpr std::string_view kValueIssuer = "__wasmcloud_issuer";
inline constexpr std::string_view kValueCapabilities = "__wasmcloud_capabilities";
inline constexpr std::string_view kValueName = "__wasmcloud_name";
inline constexpr std::string_view kValueExpires = "__wasmcloud_expires";
inline constexpr std::string_view kValueTags = "__wasmcloud_tags";

/// Payload of BindActor and RemoveActor: {module, values}. RemoveActor carries empty values.
struct CapabilityConfiguration {
  std::string module;                         ///< the actor's public key
  std::map<std::string, std::string> values;  ///< link values
};

/// Payload of HealthRequest: {placeholder}.
struct HealthRequest {
  bool placeholder = true;
};

/// Reply to HealthRequest: {healthy, message}.
struct HealthResponse {
  bool healthy = true;
  std::string message;
};

Bytes encode(const CapabilityConfiguration& v);
Bytes encode(const HealthRequest& v);
Bytes encode(const HealthResponse& v);
/// Decoders: kMalformed naming the struct and field on bad input.
Expected<CapabilityConfiguration> decodeCapabilityConfiguration(std::span<const uint8_t> bytes);
Expected<HealthRequest> decodeHealthRequest(std::span<const uint8_t> bytes);
Expected<HealthResponse> decodeHealthResponse(std::span<const uint8_t> bytes);

}  // namespace stratus::codec
