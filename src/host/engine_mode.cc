#include "stratus/host/engine_mode.h"

namespace stratus::host {

namespace {
constexpr std::string_view kAuto = "auto";
}

Expected<EngineMode> EngineMode::parse(std::string_view name) {
  if (name == kAuto) return automatic();
  if (auto backend = engine::parseBackend(name)) return only(*backend);
  std::string accepted;
  for (const auto& n : names()) accepted += (accepted.empty() ? "" : ", ") + n;
  return fail(ErrorCode::kInvalidArgument, "unknown engine '" + std::string(name) + "' (use " + accepted + ")");
}

std::vector<std::string> EngineMode::names() {
  std::vector<std::string> out;
  for (auto b : engine::allBackends()) out.emplace_back(engine::backendName(b));
  out.emplace_back(kAuto);
  return out;
}

std::string_view EngineMode::name() const { return automatic_ ? kAuto : engine::backendName(backend_); }

}  // namespace stratus::host
