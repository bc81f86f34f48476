// `stratus compile`: precompile actors into the aot engine's on-disk cache ahead of deployment, so hosts start
// them on native code at once.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli_util.h"
#include "commands.h"
#include "stratus/engine/aot.h"

namespace stratus::cli {
namespace {

struct CompileArgs {
  std::vector<std::string> modules;
  bool force = false;
};

void runCompile(const CompileArgs& args) {
  auto engine = engine::createAotEngine();
  if (!engine) failCommand(engine.error().message);
  int failed = 0;
  for (const auto& path : args.modules) {
    auto wasm = readFile(path);
    if (!wasm) {
      std::fprintf(stderr, "error: %s\n", wasm.error().message.c_str());
      ++failed;
      continue;
    }
    const engine::CompileOptions options{.name = path};
    auto entry = (*engine)->cacheEntryPath(*wasm, options);
    if (!entry) {
      std::fprintf(stderr, "error: %s\n", entry.error().message.c_str());
      ++failed;
      continue;
    }
    if (args.force) {
      std::error_code ec;
      std::filesystem::remove(*entry, ec);
    }
    const auto start = std::chrono::steady_clock::now();
    auto cached = (*engine)->compileIfCached(*wasm, options);
    if (cached && *cached) {
      std::printf("%s: already compiled: %s\n", path.c_str(), entry->c_str());
      continue;
    }
    auto module = (*engine)->compile(*wasm, options);
    if (!module) {
      std::fprintf(stderr, "error: %s\n", module.error().message.c_str());
      ++failed;
      continue;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!std::filesystem::exists(*entry)) {
      std::fprintf(stderr, "error: %s: compiled in %.2f s but the cache entry %s could not be written\n",
                   path.c_str(), seconds, entry->c_str());
      ++failed;
      continue;
    }
    std::printf("%s: compiled in %.2f s: %s\n", path.c_str(), seconds, entry->c_str());
  }
  if (failed > 0) throw CLI::RuntimeError(1);
}

}  // namespace

void addCompileCommand(CLI::App& app) {
  auto args = std::make_shared<CompileArgs>();
  auto* cmd = app.add_subcommand(
      "compile",
      "Compile actors to native code into the aot cache ($XDG_CACHE_HOME/stratus/aot, else ~/.cache/stratus/aot), "
      "so hosts on this machine start them on native code at once");
  cmd->add_option("modules", args->modules, "Actor modules (.wasm)")->required()->check(CLI::ExistingFile);
  cmd->add_flag("-f,--force", args->force, "Rebuild even when the cache has the module's code");
  cmd->callback([args] { runCompile(*args); });
}

}  // namespace stratus::cli
