// The shapes of the seeds' Rust trait objects and values, per compiler (see ../shared/spec/rust-provider-abi.md and
// docs/providers.md): which vtable slot holds which method, how a Result<Vec<u8>, Box<dyn Error>> is laid out, and
// how a core::fmt::Formatter looks. Nothing here is declared by Rust; all of it was measured on real binaries.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "capability/rust_toolchain.h"
#include "stratus/common/expected.h"

namespace stratus::capability::rust {

/// The order of a trait object's vtable after drop_in_place, size and align.
enum class VtableShape {
  kOwnMethodsFirst,       ///< before 1.56: the trait's own methods, then its supertraits'
  kSupertraitsWithVptrs,  ///< 1.56 to at least 1.63: supertraits first, a vptr per further supertrait
  kSupertraitsFirst,      ///< 1.95: supertraits first, no vptr for auto traits
};

/// The layout of Result<Vec<u8>, Box<dyn Error + Send + Sync>>.
enum class ResultShape {
  kTagged,  ///< 32 bytes: tag word (0 Ok, 1 Err); Ok: Vec {ptr, cap, len}; Err: the Box (rustc <= 1.63)
  kNiche,   ///< 24 bytes: Ok: Vec {cap, ptr, len}; Err: cap = 1 << 63, then the Box (rustc 1.95)
};

/// The layout of core::fmt::Formatter, needed to read a provider's error message through its Display.
enum class FormatterShape {
  kClassic,    ///< 64 bytes: width, precision (Option<usize> each), buf, flags + fill, align (rustc <= 1.63)
  kOptions16,  ///< 24 bytes: buf, then FormattingOptions {flags, width: u16, precision: u16} (rustc 1.95)
  kUnknown,    ///< not measured for this compiler: messages are not recovered
};

struct Layout {
  RustVersion version;
  VtableShape vtable = VtableShape::kSupertraitsFirst;
  ResultShape result = ResultShape::kNiche;
  FormatterShape formatter = FormatterShape::kUnknown;

  /// Slots of dyn CapabilityProvider.
  int configureDispatchSlot() const;
  int handleCallSlot() const;
  int stopSlot() const;
  /// Slot of Display::fmt in a dyn Error vtable.
  int displaySlot() const;
  /// "rustc 1.63.0: supertrait methods first with vptrs, 32-byte tagged Result".
  std::string describe() const;
};

/// The layout the compiler `version` uses, confirmed against a real provider vtable: a slot pointing into code is
/// a method, one pointing into read-only data a vptr. The Result shape is the version's when measured, else
/// provisional until confirmResultShape. Errors (kInvalidArgument): a version not recognised, or a vtable that
/// does not match its version's layout (both named).
Expected<Layout> layoutFor(const RustVersion& version, void* const* provider_vtable);

/// The byte every word of the probe's Result buffer is filled with before the HealthRequest.
inline constexpr uint8_t kProbeByte = 0xA5;

/// Settles the Result shape from the words a HealthRequest wrote into a buffer filled with kProbeByte: the tagged
/// form starts with 0 or 1 and writes four words, the niche form starts with a Vec capacity and writes three.
/// Errors (kInvalidArgument) when nothing was written, the words fit neither form, or they contradict the version.
Expected<void> confirmResultShape(Layout& layout, const uint64_t (&words)[4], bool measured_for_version);

/// True when `layout.result` was measured for its compiler version (rather than to be probed).
bool resultShapeKnown(const RustVersion& version);

/// A Result written by Rust code into a buffer the host provided. Large enough for both shapes.
struct RawResult {
  uint64_t words[4];
};

/// Reads a Result the provider returned and releases what it owned: the Vec's buffer (free), or the error box
/// (its drop_in_place, then free). Err becomes kHostError with the error's message, when it can be read.
Expected<Bytes> takeResult(RawResult& result, const Layout& layout);

/// Writes Ok(Vec) / Err(Box<dyn Error>) into a Result buffer Rust code gave the host (sret). The Vec's buffer and
/// the error box are malloc'ed, as the provider frees them with free.
void putOk(void* out, ResultShape shape, std::span<const uint8_t> bytes);
void putErr(void* out, VtableShape vtable, ResultShape shape, std::string_view message);

/// Drops a Box<dyn Error> the provider handed over and returns its Display text ("" when not recoverable).
std::string takeError(void* data, void* const* vtable, const Layout& layout);

/// Words in the largest dyn Dispatcher vtable.
inline constexpr int kDispatcherVtableWords = 7;
using DispatchFn = void (*)(void* sret, void* self, const char* actor, size_t actor_len, const char* op,
                            size_t op_len, const uint8_t* msg, size_t msg_len);
using DropFn = void (*)(void* self);
/// Fills `vtable` as a dyn Dispatcher (Any + Send + Sync) vtable for `shape`: drop_in_place `drop`, the data's
/// `size` and `align`, type_id, the vptrs of the shape, and `dispatch`.
void fillDispatcherVtable(void* (&vtable)[kDispatcherVtableWords], VtableShape shape, DispatchFn dispatch, DropFn drop,
                          size_t size, size_t align);

}  // namespace stratus::capability::rust
