// The `stratus` CLI's subcommands. Each add*Command registers one subcommand tree on the app; on failure a
// callback prints the reason to stderr and throws CLI::RuntimeError(exit_code).
#pragma once

#include <CLI/CLI.hpp>

namespace stratus::cli {

void addKeysCommand(CLI::App& app);
void addClaimsCommand(CLI::App& app);
void addParCommand(CLI::App& app);
void addCallCommand(CLI::App& app);
void addUpCommand(CLI::App& app);
void addCompileCommand(CLI::App& app);
void addCtlCommand(CLI::App& app);
void addRegCommand(CLI::App& app);
void addProviderHostCommand(CLI::App& app);

}  // namespace stratus::cli
