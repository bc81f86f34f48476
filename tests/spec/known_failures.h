// The list of spec commands expected to fail (tests/spec/known_failures.txt), and the check of one file's outcomes
// against it: an unlisted failure and a listed command that passes (a stale entry) are both errors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "spec/script_runner.h"
#include "stratus/common/expected.h"

namespace stratus::spec {

/// One entry: `<backend|*> <file.wast> <line|first-last|*> <reason>`. It covers the commands of `file` whose
/// .wast line is in [first_line, last_line] (`*`: the whole file) on `backend` (`*`: every backend); every
/// command it covers must fail.
struct KnownFailure {
  std::string backend;
  std::string file;
  uint32_t first_line = 0;
  uint32_t last_line = 0;
  std::string reason;
  uint32_t source_line = 0;  ///< line of the entry in the known-failures file

  bool appliesTo(std::string_view backend_name, std::string_view wast_file) const {
    return (backend == "*" || backend == backend_name) && file == wast_file;
  }
  bool covers(uint32_t line) const { return line >= first_line && line <= last_line; }
};

/// Parses a known-failures file: '#' starts a comment, blank lines are ignored. kIo when it cannot be read,
/// kMalformed naming the line of a malformed or overlapping entry.
Expected<std::vector<KnownFailure>> loadKnownFailures(const std::filesystem::path& file);

/// One file's outcomes judged against the list.
struct Verdict {
  uint32_t passed = 0;
  uint32_t known = 0;    ///< failed, listed
  uint32_t skipped = 0;  ///< not applicable
  uint32_t total = 0;
  std::vector<std::string> unexpected;  ///< one message per unlisted failure
  std::vector<std::string> stale;       ///< one message per listed command that passed, or entry matching nothing
  bool ok() const { return unexpected.empty() && stale.empty(); }
};

/// Judges `outcomes` of `wast_file` (e.g. "i32.wast") run on `backend`. `list_name` is how messages name the
/// known-failures file.
Verdict judge(const std::vector<Outcome>& outcomes, const std::vector<KnownFailure>& known, std::string_view backend,
              std::string_view wast_file, std::string_view list_name);

}  // namespace stratus::spec
