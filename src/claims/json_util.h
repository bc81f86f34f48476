// Private: typed, non-throwing reads of JSON fields for claims decoding. Every type error names the field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::claims::internal {

/// Parses `text` as a JSON object; `what` names it in errors ("token header", "token claims").
inline Expected<nlohmann::json> parseJsonObject(std::string_view text, std::string_view what) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(ErrorCode::kMalformed, std::string(what) + " is not valid JSON");
  if (!j.is_object()) return fail(ErrorCode::kMalformed, std::string(what) + " is not a JSON object");
  return j;
}

/// The field `key` of object `obj`, or nullptr when absent or JSON null (serde reads null as None).
inline const nlohmann::json* findField(const nlohmann::json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

inline Unexpected typeError(std::string_view path, std::string_view expected) {
  return fail(ErrorCode::kMalformed, "claims field '" + std::string(path) + "' must be " + std::string(expected));
}

/// An optional string field.
inline Expected<std::optional<std::string>> optString(const nlohmann::json& obj, std::string_view key,
                                                      std::string_view path) {
  const nlohmann::json* v = findField(obj, key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return typeError(path, "a string");
  return std::optional<std::string>(v->get<std::string>());
}

/// A string field that reads as "" when absent.
inline Expected<std::string> stringOrEmpty(const nlohmann::json& obj, std::string_view key, std::string_view path) {
  auto v = optString(obj, key, path);
  if (!v) return fail(v.takeError());
  return v->value_or(std::string());
}

/// An optional integer field within [lo, hi].
inline Expected<std::optional<int64_t>> optInteger(const nlohmann::json& obj, std::string_view key,
                                                   std::string_view path, int64_t lo, int64_t hi,
                                                   std::string_view expected) {
  const nlohmann::json* v = findField(obj, key);
  if (v == nullptr) return std::optional<int64_t>();
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) return typeError(path, expected);
    return std::optional<int64_t>(static_cast<int64_t>(u));
  }
  if (v->is_number_integer()) {
    const int64_t i = v->get<int64_t>();
    if (i < lo || i > hi) return typeError(path, expected);
    return std::optional<int64_t>(i);
  }
  return typeError(path, expected);
}

/// An optional list of strings that reads as empty when absent.
inline Expected<std::vector<std::string>> stringList(const nlohmann::json& obj, std::string_view key,
                                                     std::string_view path) {
  std::vector<std::string> out;
  const nlohmann::json* v = findField(obj, key);
  if (v == nullptr) return out;
  if (!v->is_array()) return typeError(path, "a list of strings");
  for (const auto& item : *v) {
    if (!item.is_string()) return typeError(path, "a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

/// An optional boolean field with a default.
inline Expected<bool> boolOr(const nlohmann::json& obj, std::string_view key, std::string_view path, bool dflt) {
  const nlohmann::json* v = findField(obj, key);
  if (v == nullptr) return dflt;
  if (!v->is_boolean()) return typeError(path, "true or false");
  return v->get<bool>();
}

}  // namespace stratus::claims::internal
