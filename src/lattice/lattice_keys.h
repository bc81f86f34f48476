// Names in the lattice's key-value bucket, shared by the hosts and the control client.
#pragma once

#include <string>
#include <string_view>

namespace stratus::lattice {

/// The bucket of a namespace: LATTICEDATA_{ns}.
std::string bucketName(std::string_view ns);
/// A link's key: LINKDEF_ + HEXUPPER(SHA-256(actor ‖ 0 ‖ contract ‖ 0 ‖ link name)), since contract ids hold
/// characters that keys may not.
std::string linkKey(std::string_view actor, std::string_view contract, std::string_view link_name);
/// An actor's claims: CLAIMS_{public key}.
std::string claimsKey(std::string_view public_key);
inline constexpr std::string_view kLinkKeyPrefix = "LINKDEF_";
inline constexpr std::string_view kClaimsKeyPrefix = "CLAIMS_";

}  // namespace stratus::lattice
