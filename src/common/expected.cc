#include "stratus/common/expected.h"

namespace stratus {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kMalformed: return "malformed input";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kTrap: return "trap";
    case ErrorCode::kDeadlineExceeded: return "deadline exceeded";
    case ErrorCode::kOutOfBounds: return "out of bounds";
    case ErrorCode::kResourceExhausted: return "resource exhausted";
    case ErrorCode::kGuestError: return "guest error";
    case ErrorCode::kHostError: return "host error";
    case ErrorCode::kPermissionDenied: return "permission denied";
    case ErrorCode::kInvalidClaims: return "invalid claims";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

std::string Error::toString() const {
  std::string out(errorCodeName(code));
  out += ": ";
  out += message;
  return out;
}

}  // namespace stratus
