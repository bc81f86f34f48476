#include "spec/spec_script.h"

#include <nlohmann/json.hpp>

#include <bit>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace stratus::spec {
namespace {

using engine::Value;
using engine::ValueType;
using nlohmann::json;

constexpr uint32_t kF32ExponentAndQuiet = 0x7fc00000;
constexpr uint32_t kF32Magnitude = 0x7fffffff;
constexpr uint64_t kF64ExponentAndQuiet = 0x7ff8000000000000;
constexpr uint64_t kF64Magnitude = 0x7fffffffffffffff;

Expected<uint64_t> parseUnsigned(const SpecValue& v, uint64_t max) {
  uint64_t out = 0;
  const char* end = v.value.data() + v.value.size();
  auto [ptr, ec] = std::from_chars(v.value.data(), end, out);
  if (ec != std::errc() || ptr != end || v.value.empty() || out > max) {
    return fail(ErrorCode::kInvalidArgument, "'" + v.value + "' is not a " + v.type + " value");
  }
  return out;
}

std::string hex(uint64_t bits, int digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(bits));
  return buf;
}

std::string typeName(ValueType t) {
  switch (t) {
    case ValueType::kI32:
      return "i32";
    case ValueType::kI64:
      return "i64";
    case ValueType::kF32:
      return "f32";
    case ValueType::kF64:
      return "f64";
  }
  return "?";
}

std::string stringField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<SpecValue> parseValues(const json& j, const char* key) {
  std::vector<SpecValue> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    SpecValue sv{stringField(v, "type"), stringField(v, "value")};
    // v128 values are lane arrays; keep them recognisable (they have no engine counterpart anyway).
    if (v.contains("lane_type")) sv.value = stringField(v, "lane_type") + ":" + v.value("value", json()).dump();
    out.push_back(std::move(sv));
  }
  return out;
}

Expected<CommandType> parseType(const std::string& s) {
  static const std::pair<std::string_view, CommandType> kTypes[] = {
      {"module", CommandType::kModule},
      {"register", CommandType::kRegister},
      {"action", CommandType::kAction},
      {"assert_return", CommandType::kAssertReturn},
      {"assert_trap", CommandType::kAssertTrap},
      {"assert_exhaustion", CommandType::kAssertExhaustion},
      {"assert_invalid", CommandType::kAssertInvalid},
      {"assert_malformed", CommandType::kAssertMalformed},
      {"assert_unlinkable", CommandType::kAssertUnlinkable},
      {"assert_uninstantiable", CommandType::kAssertUninstantiable},
  };
  for (const auto& [name, type] : kTypes) {
    if (name == s) return type;
  }
  return fail(ErrorCode::kMalformed, "unknown command type '" + s + "'");
}

Expected<Command> parseCommand(const json& j) {
  if (!j.is_object()) return fail(ErrorCode::kMalformed, "command is not an object");
  auto type = parseType(stringField(j, "type"));
  if (!type) return fail(type.takeError());
  Command c;
  c.type = *type;
  c.line = j.value("line", 0u);
  c.name = stringField(j, "name");
  c.as = stringField(j, "as");
  c.filename = stringField(j, "filename");
  c.module_type = stringField(j, "module_type");
  c.text = stringField(j, "text");
  c.expected = parseValues(j, "expected");
  if (auto it = j.find("action"); it != j.end() && it->is_object()) {
    Action a;
    const std::string action_type = stringField(*it, "type");
    if (action_type == "invoke") {
      a.type = Action::Type::kInvoke;
    } else if (action_type == "get") {
      a.type = Action::Type::kGet;
    } else {
      return fail(ErrorCode::kMalformed, "unknown action type '" + action_type + "'");
    }
    a.module = stringField(*it, "module");
    a.field = stringField(*it, "field");
    a.args = parseValues(*it, "args");
    c.action = std::move(a);
  }
  const bool needs_action = c.type == CommandType::kAction || c.type == CommandType::kAssertReturn ||
                            c.type == CommandType::kAssertTrap || c.type == CommandType::kAssertExhaustion;
  if (needs_action && !c.action) return fail(ErrorCode::kMalformed, std::string(toString(c.type)) + " without action");
  return c;
}

}  // namespace

std::string toString(const SpecValue& value) { return value.type + ":" + value.value; }

std::string toString(const Value& value) {
  switch (value.type) {
    case ValueType::kI32:
      return "i32:" + std::to_string(value.i32) + " (" + hex(value.i32, 8) + ")";
    case ValueType::kI64:
      return "i64:" + std::to_string(value.i64) + " (" + hex(value.i64, 16) + ")";
    case ValueType::kF32: {
      std::ostringstream s;
      s.precision(9);
      s << "f32:" << value.f32 << " (" << hex(std::bit_cast<uint32_t>(value.f32), 8) << ")";
      return s.str();
    }
    case ValueType::kF64: {
      std::ostringstream s;
      s.precision(17);
      s << "f64:" << value.f64 << " (" << hex(std::bit_cast<uint64_t>(value.f64), 16) << ")";
      return s.str();
    }
  }
  return "?";
}

Expected<Value> toEngineValue(const SpecValue& value) {
  if (value.type == "i32") {
    auto v = parseUnsigned(value, UINT32_MAX);
    if (!v) return fail(v.takeError());
    return Value::makeI32(static_cast<uint32_t>(*v));
  }
  if (value.type == "i64") {
    auto v = parseUnsigned(value, UINT64_MAX);
    if (!v) return fail(v.takeError());
    return Value::makeI64(*v);
  }
  if (value.type == "f32") {
    auto v = parseUnsigned(value, UINT32_MAX);
    if (!v) return fail(v.takeError());
    return Value::makeF32(std::bit_cast<float>(static_cast<uint32_t>(*v)));
  }
  if (value.type == "f64") {
    auto v = parseUnsigned(value, UINT64_MAX);
    if (!v) return fail(v.takeError());
    return Value::makeF64(std::bit_cast<double>(*v));
  }
  return fail(ErrorCode::kInvalidArgument,
              "value type " + value.type + " cannot be passed through the engine API (numeric values only)");
}

Expected<void> checkValue(const SpecValue& expected, const Value& actual) {
  const std::string actual_type = typeName(actual.type);
  if (expected.type != actual_type) {
    return fail(ErrorCode::kInvalidArgument, "expected " + toString(expected) + ", got " + toString(actual));
  }
  bool same = false;
  if (actual.type == ValueType::kF32 && expected.value.starts_with("nan:")) {
    const uint32_t bits = std::bit_cast<uint32_t>(actual.f32);
    same = expected.value == "nan:canonical" ? (bits & kF32Magnitude) == kF32ExponentAndQuiet
                                             : (bits & kF32ExponentAndQuiet) == kF32ExponentAndQuiet;
  } else if (actual.type == ValueType::kF64 && expected.value.starts_with("nan:")) {
    const uint64_t bits = std::bit_cast<uint64_t>(actual.f64);
    same = expected.value == "nan:canonical" ? (bits & kF64Magnitude) == kF64ExponentAndQuiet
                                             : (bits & kF64ExponentAndQuiet) == kF64ExponentAndQuiet;
  } else {
    auto want = toEngineValue(expected);
    if (!want) return fail(want.takeError());
    switch (actual.type) {
      case ValueType::kI32:
        same = want->i32 == actual.i32;
        break;
      case ValueType::kI64:
        same = want->i64 == actual.i64;
        break;
      case ValueType::kF32:
        same = std::bit_cast<uint32_t>(want->f32) == std::bit_cast<uint32_t>(actual.f32);
        break;
      case ValueType::kF64:
        same = std::bit_cast<uint64_t>(want->f64) == std::bit_cast<uint64_t>(actual.f64);
        break;
    }
    if (!same) return fail(ErrorCode::kInvalidArgument, "expected " + toString(*want) + ", got " + toString(actual));
  }
  if (!same) return fail(ErrorCode::kInvalidArgument, "expected " + toString(expected) + ", got " + toString(actual));
  return ok();
}

std::string_view toString(CommandType type) {
  switch (type) {
    case CommandType::kModule:
      return "module";
    case CommandType::kRegister:
      return "register";
    case CommandType::kAction:
      return "action";
    case CommandType::kAssertReturn:
      return "assert_return";
    case CommandType::kAssertTrap:
      return "assert_trap";
    case CommandType::kAssertExhaustion:
      return "assert_exhaustion";
    case CommandType::kAssertInvalid:
      return "assert_invalid";
    case CommandType::kAssertMalformed:
      return "assert_malformed";
    case CommandType::kAssertUnlinkable:
      return "assert_unlinkable";
    case CommandType::kAssertUninstantiable:
      return "assert_uninstantiable";
  }
  return "?";
}

Expected<Script> loadScript(const std::filesystem::path& json_file) {
  std::ifstream in(json_file);
  if (!in) return fail(ErrorCode::kIo, "cannot read " + json_file.string());
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorCode::kMalformed, json_file.string() + " is not a JSON object");
  }
  Script script;
  script.directory = json_file.parent_path();
  script.source_filename = stringField(doc, "source_filename");
  auto commands = doc.find("commands");
  if (commands == doc.end() || !commands->is_array()) {
    return fail(ErrorCode::kMalformed, json_file.string() + " has no \"commands\" array");
  }
  for (size_t i = 0; i < commands->size(); ++i) {
    auto c = parseCommand((*commands)[i]);
    if (!c) {
      return fail(ErrorCode::kMalformed,
                  json_file.string() + ": command " + std::to_string(i) + ": " + c.error().message);
    }
    script.commands.push_back(std::move(*c));
  }
  return script;
}

}  // namespace stratus::spec
