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

std::vector<std::string> availableEngines() {
  std::vector<std::string> names = {"interp"};
  // aot needs a C compiler at run time; without one it is not offered (createEngine("aot") says why).
  if (aot::defaultCompilerAvailable()) names.push_back("aot");
  return names;
}

Expected<std::unique_ptr<Engine>> createEngine(std::string_view name) {
  if (name == "interp") return createInterpEngine();
  if (name == "aot") {
    auto aot = createAotEngine();
    if (!aot) return fail(aot.takeError());
    return std::unique_ptr<Engine>(std::move(*aot));
  }
  std::string list;
  for (const auto& n : availableEngines()) list += (list.empty() ? "" : ", ") + n;
  return fail(ErrorCode::kNotFound, "unknown engine '" + std::string(name) + "' (available: " + list + ")");
}

}  // namespace stratus::engine
