// `stratus`: the command-line front end. Logic lives in the libraries; this only parses and prints.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.h"

int main(int argc, char** argv) {
  // stdout carries command output only; logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("stratus"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"stratus: a host runtime for WebAssembly actors and native capability providers (wasmCloud 0.18)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "stratus " STRATUS_VERSION);
  stratus::cli::addKeysCommand(app);
  stratus::cli::addClaimsCommand(app);
  stratus::cli::addParCommand(app);
  stratus::cli::addCallCommand(app);
  stratus::cli::addUpCommand(app);
  stratus::cli::addCompileCommand(app);
  stratus::cli::addCtlCommand(app);
  stratus::cli::addRegCommand(app);
  stratus::cli::addProviderHostCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
