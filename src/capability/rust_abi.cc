#include "capability/rust_abi.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "capability/memory_map.h"

namespace stratus::capability::rust {
namespace {

constexpr uint64_t kNicheErr = 0x8000000000000000ull;
constexpr uint64_t kProbePattern = 0xA5A5A5A5A5A5A5A5ull;

// ---- Version ranges ---------------------------------------------------------------------------------------------

bool before156(const RustVersion& v) { return v.major == 1 && v.minor < 56; }
// Measured with vptrs: 1.63 (Debian). Measured without: 1.95. In between the vtable probe decides.
bool measuredWithVptrs(const RustVersion& v) { return v.major == 1 && v.minor >= 56 && v.minor <= 63; }
bool measuredWithoutVptrs(const RustVersion& v) { return v.major == 1 && v.minor >= 95; }

FormatterShape formatterFor(const RustVersion& v) {
  if (v.major == 1 && v.minor <= 63) return FormatterShape::kClassic;  // the struct is unchanged from 1.0 to 1.63
  if (measuredWithoutVptrs(v)) return FormatterShape::kOptions16;
  return FormatterShape::kUnknown;
}

std::string_view name(VtableShape s) {
  switch (s) {
    case VtableShape::kOwnMethodsFirst: return "own methods first (before 1.56)";
    case VtableShape::kSupertraitsWithVptrs: return "supertrait methods first with vptrs";
    case VtableShape::kSupertraitsFirst: return "supertrait methods first";
  }
  return "?";
}

// ---- The host's own Rust objects: an error box and a fmt::Write sink -----------------------------------------------

// Any method of a Rust vtable that the host fills but never expects to be used for anything (type_id, source,
// backtrace, description, cause, provide): all return zeroes, which reads as None / an empty &str / a TypeId no
// type has, whatever their signature.
struct Zero {
  uint64_t a, b;
};
extern "C" Zero zeroMethod() { return {0, 0}; }

// The data of a Box<dyn Error> the host hands a provider: the message, malloc'ed.
struct HostError {
  char* text;
  size_t len;
};

extern "C" void dropHostError(void* self) { std::free(static_cast<HostError*>(self)->text); }

using WriteStrFn = uint8_t (*)(void* self, const char* s, size_t len);

// Finds the fmt::Write a provider's Formatter writes to. The Formatter's shape is told by its first word: the
// width's Option tag (0 or 1) in the classic shape, the buffer's data pointer in the newer one; only the words of
// that shape are read (the &mut Formatter Rust passes is valid). The candidate is used only if its vtable lies in
// data and its write_str in code.
bool findWriter(void* formatter, void** data, WriteStrFn* write_str) {
  auto* words = static_cast<void**>(formatter);
  const auto first = reinterpret_cast<uintptr_t>(words[0]);
  void** pair = first <= 1 ? words + 4 : words;
  auto* vtable = static_cast<void**>(pair[1]);
  // Providers format through very few Write impls (String's, std's adapters): the last vtable that passed the
  // checks is remembered, so that an error path does not read /proc/self/maps each time.
  static std::atomic<void**> last_checked{nullptr};
  if (!pair[0]) return false;
  if (vtable != last_checked.load(std::memory_order_relaxed)) {
    const MemoryAccess vtable_access = memoryAccess(vtable);
    if (vtable_access == MemoryAccess::kUnmapped || vtable_access == MemoryAccess::kExecutable ||
        !readable(vtable, 6 * sizeof(void*)) || memoryAccess(vtable[3]) != MemoryAccess::kExecutable) {
      return false;
    }
    last_checked.store(vtable, std::memory_order_relaxed);
  }
  *data = pair[0];
  *write_str = reinterpret_cast<WriteStrFn>(vtable[3]);
  return true;
}

// Display::fmt and Debug::fmt of the host's error: the message, written through the Formatter's buffer.
extern "C" uint8_t fmtHostError(void* self, void* formatter) {
  auto* e = static_cast<HostError*>(self);
  void* data = nullptr;
  WriteStrFn write_str = nullptr;
  if (!findWriter(formatter, &data, &write_str)) return 0;  // Ok with nothing written beats a panic in to_string
  return write_str(data, e->text ? e->text : "", e->len);
}

// The dyn Error (Debug + Display) vtables of HostError, and the Display vtable its vptr points at.
struct ErrorVtables {
  void* display[4];
  void* own_first[10];    // drop, size, align, 5 Error methods, Debug::fmt, Display::fmt
  void* supertraits[12];  // drop, size, align, Debug::fmt, Display::fmt, vptr(Display), 6 Error methods
};

const ErrorVtables& errorVtables() {
  static const ErrorVtables tables = [] {
    ErrorVtables t{};
    void* drop = reinterpret_cast<void*>(&dropHostError);
    void* fmt = reinterpret_cast<void*>(&fmtHostError);
    void* zero = reinterpret_cast<void*>(&zeroMethod);
    void* size = reinterpret_cast<void*>(sizeof(HostError));
    void* align = reinterpret_cast<void*>(alignof(HostError));
    void* display[] = {drop, size, align, fmt};
    std::memcpy(t.display, display, sizeof display);
    void* own[] = {drop, size, align, zero, zero, zero, zero, zero, fmt, fmt};
    std::memcpy(t.own_first, own, sizeof own);
    void* super[] = {drop, size, align, fmt, fmt, t.display, zero, zero, zero, zero, zero, zero};
    std::memcpy(t.supertraits, super, sizeof super);
    return t;
  }();
  return tables;
}

// A fmt::Write that appends to a std::string: what the host's Formatter writes a provider's error into.
extern "C" uint8_t sinkWriteStr(void* self, const char* s, size_t len) {
  static_cast<std::string*>(self)->append(s, len);
  return 0;
}
extern "C" uint8_t sinkWriteChar(void* self, uint32_t c) {
  auto* out = static_cast<std::string*>(self);
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
  return 0;
}
extern "C" uint8_t sinkWriteFmt(void*, const void*) { return 1; }  // std formats through write_str instead

void* const kSinkVtable[] = {nullptr,
                             reinterpret_cast<void*>(sizeof(std::string)),
                             reinterpret_cast<void*>(alignof(std::string)),
                             reinterpret_cast<void*>(&sinkWriteStr),
                             reinterpret_cast<void*>(&sinkWriteChar),
                             reinterpret_cast<void*>(&sinkWriteFmt)};

// Calls a provider error's Display::fmt with a Formatter of the provider's compiler writing into `out`.
bool displayProviderError(void* data, void* const* vtable, const Layout& layout, std::string* out) {
  using FmtFn = uint8_t (*)(void* self, void* formatter);
  auto fmt = reinterpret_cast<FmtFn>(vtable[layout.displaySlot()]);
  uint64_t f[8] = {};
  const auto sink = reinterpret_cast<uint64_t>(out);
  const auto sink_vtable = reinterpret_cast<uint64_t>(&kSinkVtable[0]);
  switch (layout.formatter) {
    case FormatterShape::kClassic:
      // width None, precision None, buf, flags 0 with fill ' ', align Unknown (3)
      f[4] = sink;
      f[5] = sink_vtable;
      f[6] = uint64_t{' '} << 32;
      f[7] = 3;
      break;
    case FormatterShape::kOptions16:
      // buf, then flags: fill ' ' in bits 0-20, align Unknown (3) in bits 29-30; width and precision 0
      f[0] = sink;
      f[1] = sink_vtable;
      f[2] = 0x60000020;
      break;
    case FormatterShape::kUnknown:
      return false;
  }
  return fmt(data, f) == 0;
}

}  // namespace

// ---- Layout -------------------------------------------------------------------------------------------------------

int Layout::configureDispatchSlot() const {
  return vtable == VtableShape::kOwnMethodsFirst ? 3 : vtable == VtableShape::kSupertraitsWithVptrs ? 6 : 4;
}
int Layout::handleCallSlot() const { return configureDispatchSlot() + 1; }
int Layout::stopSlot() const { return configureDispatchSlot() + 2; }
int Layout::displaySlot() const { return vtable == VtableShape::kOwnMethodsFirst ? 9 : 4; }

std::string Layout::describe() const {
  return "rustc " + version.text() + ": " + std::string(name(vtable)) + ", " +
         (result == ResultShape::kTagged ? "32-byte tagged Result" : "24-byte niche Result");
}

bool resultShapeKnown(const RustVersion& v) { return v.major == 1 && (v.minor <= 63 || v.minor >= 95); }

Expected<Layout> layoutFor(const RustVersion& version, void* const* vt) {
  const std::string v = "rustc " + version.text();
  if (version.major != 1 || version.minor < 30) {
    return fail(ErrorCode::kInvalidArgument,
                "built by " + v + ", whose trait-object layout is not one stratus knows (it handles rustc 1.30 to "
                "1.95: see docs/providers.md)");
  }
  if (!readable(vt, 9 * sizeof(void*))) {
    return fail(ErrorCode::kInvalidArgument, "built by " + v + ": the provider's vtable is not readable");
  }
  auto code = [&](int slot) { return memoryAccess(vt[slot]) == MemoryAccess::kExecutable; };
  auto data = [&](int slot) {
    auto a = memoryAccess(vt[slot]);
    return a == MemoryAccess::kReadOnly || a == MemoryAccess::kWritable;
  };
  Layout l;
  l.version = version;
  l.formatter = formatterFor(version);
  l.result = version.minor <= 63 ? ResultShape::kTagged : ResultShape::kNiche;
  if (before156(version)) {
    l.vtable = VtableShape::kOwnMethodsFirst;
    if (!(code(3) && code(4) && code(5) && code(6))) {
      return fail(ErrorCode::kInvalidArgument, "built by " + v + ", but slots 3-6 of its vtable are not all code, "
                                                   "as the layout before rustc 1.56 has them");
    }
    return l;
  }
  if (data(4) && data(5) && code(3) && code(6) && code(7) && code(8)) {
    l.vtable = VtableShape::kSupertraitsWithVptrs;
  } else if (code(3) && code(4) && code(5) && code(6)) {
    l.vtable = VtableShape::kSupertraitsFirst;
  } else {
    return fail(ErrorCode::kInvalidArgument,
                "built by " + v + ", but its vtable matches neither layout of rustc 1.56 and later");
  }
  if ((measuredWithVptrs(version) && l.vtable != VtableShape::kSupertraitsWithVptrs) ||
      (measuredWithoutVptrs(version) && l.vtable != VtableShape::kSupertraitsFirst)) {
    return fail(ErrorCode::kInvalidArgument, "built by " + v + ", but its vtable has the layout '" +
                                                 std::string(name(l.vtable)) + "', not that of its version");
  }
  return l;
}

Expected<void> confirmResultShape(Layout& layout, const uint64_t (&words)[4], bool measured_for_version) {
  const std::string v = "built by rustc " + layout.version.text();
  if (words[0] == kProbePattern) {
    return fail(ErrorCode::kInvalidArgument, v + ", but its HealthRequest (vtable slot " +
                                                 std::to_string(layout.handleCallSlot()) +
                                                 ") wrote no Result: its vtable is not laid out as its version's");
  }
  const ResultShape seen = words[0] <= 1 ? ResultShape::kTagged : ResultShape::kNiche;
  // The niche form writes three words ({cap, ptr, len} or the error's), the tagged Ok form four.
  const bool sane = seen == ResultShape::kTagged ? (words[0] == 1 || words[3] <= words[2])
                                                 : (words[0] == kNicheErr || (words[3] == kProbePattern && words[2] <= words[0]));
  if (!sane) {
    return fail(ErrorCode::kInvalidArgument, v + ", but its HealthRequest answered something that is not a Result "
                                                 "of either known layout");
  }
  if (measured_for_version && seen != layout.result) {
    return fail(ErrorCode::kInvalidArgument,
                v + ", but its HealthRequest answered a Result in the " +
                    (seen == ResultShape::kTagged ? "tagged" : "niche") + " form, not that of its version");
  }
  layout.result = seen;
  return ok();
}

// ---- Values -------------------------------------------------------------------------------------------------------

std::string takeError(void* data, void* const* vtable, const Layout& layout) {
  std::string message;
  if (!displayProviderError(data, vtable, layout, &message)) message.clear();
  if (vtable[0]) reinterpret_cast<DropFn>(vtable[0])(data);
  if (reinterpret_cast<uintptr_t>(vtable[1]) != 0) std::free(data);
  return message;
}

Expected<Bytes> takeResult(RawResult& r, const Layout& layout) {
  const uint64_t* w = r.words;
  const bool is_err = layout.result == ResultShape::kTagged ? w[0] != 0 : w[0] == kNicheErr;
  if (is_err) {
    void* data = reinterpret_cast<void*>(w[1]);
    auto* vtable = reinterpret_cast<void* const*>(w[2]);
    std::string message = takeError(data, vtable, layout);
    if (message.empty()) {
      message = layout.formatter == FormatterShape::kUnknown
                    ? "the provider returned an error (its text cannot be read from a rustc " +
                          layout.version.text() + " binary)"
                    : "the provider returned an error with no text";
    }
    return fail(ErrorCode::kHostError, std::move(message));
  }
  const bool tagged = layout.result == ResultShape::kTagged;
  const auto* ptr = reinterpret_cast<const uint8_t*>(w[1]);  // tagged: {tag, ptr, cap, len}; niche: {cap, ptr, len}
  const uint64_t cap = tagged ? w[2] : w[0];
  const uint64_t len = tagged ? w[3] : w[2];
  if (len > cap) {
    return fail(ErrorCode::kMalformed, "it returned a Vec of " + std::to_string(len) + " bytes with a capacity of " +
                                           std::to_string(cap) + " (not a Vec of this layout)");
  }
  Bytes out(ptr, ptr + len);
  if (cap != 0) std::free(const_cast<uint8_t*>(ptr));
  return out;
}

void putOk(void* out, ResultShape shape, std::span<const uint8_t> bytes) {
  uint8_t* buf = nullptr;
  if (!bytes.empty()) {
    buf = static_cast<uint8_t*>(std::malloc(bytes.size()));
    if (!buf) std::abort();  // as Rust's allocator does when out of memory
    std::memcpy(buf, bytes.data(), bytes.size());
  }
  // An empty Vec has capacity 0 and a dangling, aligned, non-null pointer.
  const auto ptr = buf ? reinterpret_cast<uint64_t>(buf) : uint64_t{1};
  auto* w = static_cast<uint64_t*>(out);
  if (shape == ResultShape::kTagged) {
    w[0] = 0;
    w[1] = ptr;
    w[2] = bytes.size();
    w[3] = bytes.size();
  } else {
    w[0] = bytes.size();
    w[1] = ptr;
    w[2] = bytes.size();
  }
}

void putErr(void* out, VtableShape vtable, ResultShape shape, std::string_view message) {
  auto* e = static_cast<HostError*>(std::malloc(sizeof(HostError)));
  if (!e) std::abort();
  e->len = message.size();
  e->text = static_cast<char*>(std::malloc(message.size() + 1));
  if (!e->text) std::abort();
  std::memcpy(e->text, message.data(), message.size());
  const auto& tables = errorVtables();
  void* const* vt = vtable == VtableShape::kOwnMethodsFirst ? tables.own_first : tables.supertraits;
  auto* w = static_cast<uint64_t*>(out);
  w[0] = shape == ResultShape::kTagged ? 1 : kNicheErr;
  w[1] = reinterpret_cast<uint64_t>(e);
  w[2] = reinterpret_cast<uint64_t>(vt);
}

void fillDispatcherVtable(void* (&vt)[kDispatcherVtableWords], VtableShape shape, DispatchFn dispatch, DropFn drop,
                          size_t size, size_t align) {
  // Send and Sync have no methods: a vptr to any vtable of the right prefix will do, as nothing reads through it.
  static void* const kMarker[3] = {nullptr, reinterpret_cast<void*>(size_t{0}), reinterpret_cast<void*>(size_t{1})};
  void* d = reinterpret_cast<void*>(dispatch);
  void* z = reinterpret_cast<void*>(&zeroMethod);  // Any::type_id
  void* head[] = {reinterpret_cast<void*>(drop), reinterpret_cast<void*>(size), reinterpret_cast<void*>(align)};
  std::memcpy(vt, head, sizeof head);
  void* vptr = const_cast<void**>(kMarker);
  switch (shape) {
    case VtableShape::kOwnMethodsFirst:
      vt[3] = d;
      vt[4] = z;
      vt[5] = vt[6] = nullptr;
      break;
    case VtableShape::kSupertraitsWithVptrs:
      vt[3] = z;
      vt[4] = vptr;
      vt[5] = vptr;
      vt[6] = d;
      break;
    case VtableShape::kSupertraitsFirst:
      vt[3] = z;
      vt[4] = d;
      vt[5] = vt[6] = nullptr;
      break;
  }
}

}  // namespace stratus::capability::rust
