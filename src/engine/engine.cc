#include "stratus/engine/engine.h"

#include <cstring>

#include "engine/aot/toolchain.h"
#include "stratus/engine/aot.h"
#include "stratus/engine/interp.h"

namespace stratus::engine {
namespace {

const char* typeName(ValueType t) {
  switch (t) {
    case ValueType::kI32: return "i32";
    case ValueType::kI64: return "i64";
    case ValueType::kF32: return "f32";
    case ValueType::kF64: return "f64";
  }
  return "?";
}

void appendTypes(std::string& out, const std::vector<ValueType>& types) {
  out += '(';
  for (size_t i = 0; i < types.size(); ++i) {
    if (i) out += ", ";
    out += typeName(types[i]);
  }
  out += ')';
}

}  // namespace

std::string toString(const FunctionType& type) {
  std::string out;
  appendTypes(out, type.params);
  out += " -> ";
  appendTypes(out, type.results);
  return out;
}

Expected<std::span<uint8_t>> MemoryView::span(uint32_t ptr, uint32_t len) const {
  // 64-bit sum: a 32-bit ptr + len can never wrap here.
  if (static_cast<uint64_t>(ptr) + len > size_) {
    return fail(ErrorCode::kOutOfBounds, "guest range [" + std::to_string(ptr) + ", " +
                                             std::to_string(static_cast<uint64_t>(ptr) + len) +
                                             ") is outside linear memory of " + std::to_string(size_) +
                                             " bytes");
  }
  return std::span<uint8_t>(base_ + ptr, len);
}

Expected<Bytes> MemoryView::read(uint32_t ptr, uint32_t len) const {
  auto s = span(ptr, len);
  if (!s) return fail(s.takeError());
  return Bytes(s->begin(), s->end());
}

Expected<void> MemoryView::write(uint32_t ptr, std::span<const uint8_t> bytes) const {
  if (bytes.size() > UINT32_MAX) return fail(ErrorCode::kOutOfBounds, "write larger than 4 GiB");
  auto s = span(ptr, static_cast<uint32_t>(bytes.size()));
  if (!s) return fail(s.takeError());
  if (!bytes.empty()) std::memcpy(s->data(), bytes.data(), bytes.size());
  return ok();
}

Expected<void> Instance::call(std::string_view export_name, std::span<const Value> args, std::span<Value> results) {
  auto fn = findFunction(export_name);
  if (!fn) return fail(fn.takeError());
  return call(*fn, args, results);
}

namespace {

// The registry of backends: one row per Backend value, the default first.
struct BackendEntry {
  Backend backend;
  std::string_view name;
  bool (*available)();
  Expected<std::unique_ptr<Engine>> (*create)(const EngineOptions& options);
};

constexpr BackendEntry kBackends[] = {
    {Backend::kInterp, "interp", [] { return true; },
     [](const EngineOptions&) -> Expected<std::unique_ptr<Engine>> { return createInterpEngine(); }},
    // aot needs a C compiler at run time; without one it is not offered (createEngine says why).
    {Backend::kAot, "aot", [] { return aot::defaultCompilerAvailable(); },
     [](const EngineOptions& options) -> Expected<std::unique_ptr<Engine>> {
       auto created = createAotEngine(options.aot);
       if (!created) return fail(created.takeError());
       return std::unique_ptr<Engine>(std::move(*created));
     }},
};

const BackendEntry& entryOf(Backend backend) {
  for (const auto& e : kBackends) {
    if (e.backend == backend) return e;
  }
  return kBackends[0];  // unreachable: every enumerator has a row
}

}  // namespace

std::string_view backendName(Backend backend) { return entryOf(backend).name; }

Expected<Backend> parseBackend(std::string_view name) {
  std::string known;
  for (const auto& e : kBackends) {
    if (e.name == name) return e.backend;
    known += (known.empty() ? "" : ", ") + std::string(e.name);
  }
  return fail(ErrorCode::kInvalidArgument, "unknown engine '" + std::string(name) + "' (known: " + known + ")");
}

std::vector<Backend> allBackends() {
  std::vector<Backend> out;
  for (const auto& e : kBackends) out.push_back(e.backend);
  return out;
}

std::vector<Backend> availableBackends() {
  std::vector<Backend> out;
  for (const auto& e : kBackends) {
    if (e.available()) out.push_back(e.backend);
  }
  return out;
}

Expected<std::unique_ptr<Engine>> createEngine(Backend backend, const EngineOptions& options) {
  return entryOf(backend).create(options);
}

}  // namespace stratus::engine
