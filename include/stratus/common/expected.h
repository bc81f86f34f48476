// Expected<T>: the result type of every fallible stratus call (a small std::expected for C++20).
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace stratus {

/// Owned byte buffer used for payloads and module bytes.
using Bytes = std::vector<uint8_t>;

/// Broad classes of failure; the message carries the specifics (what failed, where, why).
enum class ErrorCode {
  kInvalidArgument,   ///< the caller passed something unusable
  kMalformed,         ///< untrusted input failed to parse or validate
  kNotFound,          ///< a named thing does not exist
  kAlreadyExists,     ///< a named thing exists already
  kTrap,              ///< the guest trapped
  kDeadlineExceeded,  ///< a call ran past its deadline and was interrupted
  kOutOfBounds,       ///< a guest pointer/length fell outside linear memory
  kResourceExhausted, ///< a memory, stack or pool limit was hit
  kGuestError,        ///< the guest reported an error through waPC
  kHostError,         ///< a host call failed
  kPermissionDenied,  ///< claims or the authorizer refused the action
  kInvalidClaims,     ///< claims are missing, malformed, badly signed, expired or not yet valid
  kUnavailable,       ///< a dependency (server, provider) is not reachable
  kIo,                ///< a file or OS call failed
  kInternal,          ///< an invariant broke inside stratus
};

/// Human-readable name of an error code ("trap", "deadline exceeded", ...).
std::string_view errorCodeName(ErrorCode code);

/// An error: a code and a message naming what failed and why.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  /// "<code name>: <message>".
  std::string toString() const;
  /// The same error with `prefix` put before its message (context, e.g. "file.wasm: ").
  Error prefixed(std::string_view prefix) && {
    message.insert(0, prefix);
    return std::move(*this);
  }
};

/// Wrapper that marks a value as the error alternative of an Expected.
struct Unexpected {
  Error error;
};

/// Builds the error alternative: `return fail(ErrorCode::kMalformed, "...")`.
inline Unexpected fail(ErrorCode code, std::string message) {
  return Unexpected{Error{code, std::move(message)}};
}
inline Unexpected fail(Error error) { return Unexpected{std::move(error)}; }

/// Either a T or an Error. Accessing the wrong alternative is a programming error (asserted).
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Expected(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Expected> &&
             !std::is_same_v<std::decay_t<U>, Unexpected> && !std::is_same_v<std::decay_t<U>, T>)
  Expected(U&& value) : v_(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT

  bool hasValue() const { return v_.index() == 0; }
  explicit operator bool() const { return hasValue(); }

  T& value() & { assert(hasValue()); return std::get<0>(v_); }
  const T& value() const& { assert(hasValue()); return std::get<0>(v_); }
  T&& value() && { assert(hasValue()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const { assert(!hasValue()); return std::get<1>(v_); }
  Error&& takeError() { assert(!hasValue()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

/// Expected<void>: success or an Error.
template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Unexpected u) : error_(std::move(u.error)), ok_(false) {}  // NOLINT

  bool hasValue() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const { assert(!ok_); return error_; }
  Error&& takeError() { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

/// Convenience alias for success of Expected<void>.
inline Expected<void> ok() { return {}; }

}  // namespace stratus

/// Propagates the error of an Expected expression out of the enclosing function.
#define STRATUS_TRY(expr)                                        \
  do {                                                           \
    auto&& stratus_try_result_ = (expr);                         \
    if (!stratus_try_result_) return ::stratus::fail(stratus_try_result_.takeError()); \
  } while (0)
