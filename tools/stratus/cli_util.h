// Small helpers shared by the `stratus` subcommands: file I/O as Expected, durations, and failing a command.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "stratus/common/expected.h"

namespace stratus::cli {

/// Reads a whole file. Errors: kIo naming the path and the OS reason.
Expected<Bytes> readFile(const std::string& path);

/// Writes `bytes` to `path` (created or truncated), via a temporary file in the same directory renamed into place,
/// so a failed write never leaves a half-written file behind. Errors: kIo naming the path and the OS reason.
Expected<void> writeFile(const std::string& path, const Bytes& bytes);

/// As wasmCloud's CLI takes a JWT or a seed: `arg` itself, or, when it names a readable file, that file's content
/// (trimmed).
std::string valueOrFile(const std::string& arg);

/// Parses a duration such as "30s", "10m", "2h", "7d" or a sum of them ("1h30m"). Errors: kInvalidArgument with
/// the accepted forms, or when the value overflows.
Expected<std::chrono::seconds> parseDuration(std::string_view text);

/// Prints "error: <message>" to stderr and throws CLI::RuntimeError(exit_code) (CLI11 turns it into the exit
/// status).
[[noreturn]] void failCommand(const std::string& message, int exit_code = 1);

}  // namespace stratus::cli
