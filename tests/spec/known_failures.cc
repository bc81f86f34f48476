#include "spec/known_failures.h"

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

namespace stratus::spec {
namespace {

bool parseLine(std::string_view s, uint32_t& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// "12", "12-40" or "*".
bool parseRange(const std::string& s, uint32_t& first, uint32_t& last) {
  if (s == "*") {
    first = 0;
    last = std::numeric_limits<uint32_t>::max();
    return true;
  }
  const auto dash = s.find('-');
  if (dash == std::string::npos) {
    if (!parseLine(s, first)) return false;
    last = first;
    return true;
  }
  return parseLine(std::string_view(s).substr(0, dash), first) &&
         parseLine(std::string_view(s).substr(dash + 1), last) && first <= last;
}

std::string rangeText(const KnownFailure& k) {
  if (k.first_line == 0 && k.last_line == std::numeric_limits<uint32_t>::max()) return "*";
  if (k.first_line == k.last_line) return std::to_string(k.first_line);
  return std::to_string(k.first_line) + "-" + std::to_string(k.last_line);
}

}  // namespace

Expected<std::vector<KnownFailure>> loadKnownFailures(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return fail(ErrorCode::kIo, "cannot read " + file.string());
  std::vector<KnownFailure> entries;
  std::string text;
  for (uint32_t n = 1; std::getline(in, text); ++n) {
    if (auto hash = text.find('#'); hash != std::string::npos) text.erase(hash);
    std::istringstream words(text);
    KnownFailure k;
    std::string range;
    if (!(words >> k.backend)) continue;  // blank or comment
    const std::string where = file.filename().string() + ":" + std::to_string(n);
    if (!(words >> k.file >> range) || !parseRange(range, k.first_line, k.last_line)) {
      return fail(ErrorCode::kMalformed,
                  where + ": expected '<backend|*> <file.wast> <line|first-last|*> <reason>', got '" + text + "'");
    }
    std::getline(words >> std::ws, k.reason);
    if (k.reason.empty()) return fail(ErrorCode::kMalformed, where + ": entry without a reason");
    k.source_line = n;
    for (const auto& other : entries) {
      const bool same_scope =
          other.file == k.file && (other.backend == k.backend || other.backend == "*" || k.backend == "*");
      if (same_scope && k.first_line <= other.last_line && other.first_line <= k.last_line) {
        return fail(ErrorCode::kMalformed, where + ": overlaps the entry on line " + std::to_string(other.source_line));
      }
    }
    entries.push_back(std::move(k));
  }
  return entries;
}

Verdict judge(const std::vector<Outcome>& outcomes, const std::vector<KnownFailure>& known, std::string_view backend,
              std::string_view wast_file, std::string_view list_name) {
  std::vector<const KnownFailure*> entries;
  for (const auto& k : known) {
    if (k.appliesTo(backend, wast_file)) entries.push_back(&k);
  }
  std::vector<uint32_t> covered(entries.size(), 0);
  auto entryFor = [&](uint32_t line) -> int {
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i]->covers(line)) return static_cast<int>(i);
    }
    return -1;
  };
  auto entryName = [&](const KnownFailure& k) {
    return std::string(list_name) + ":" + std::to_string(k.source_line) + " (" + k.backend + " " + k.file + " " +
           rangeText(k) + ")";
  };

  Verdict v;
  for (const auto& o : outcomes) {
    ++v.total;
    const int e = entryFor(o.line);
    if (e >= 0) ++covered[e];
    const std::string where = std::string(wast_file) + ":" + std::to_string(o.line) + ": " + o.command;
    switch (o.status) {
      case Status::kSkipped:
        ++v.skipped;
        break;
      case Status::kPassed:
        ++v.passed;
        if (e >= 0) {
          v.stale.push_back(where + " passes but is listed as failing by " + entryName(*entries[e]) +
                            ": remove or narrow the entry");
        }
        break;
      case Status::kFailed:
        if (e >= 0) {
          ++v.known;
        } else {
          v.unexpected.push_back(where + " FAILED: " + o.message);
        }
        break;
    }
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    if (covered[i] == 0) {
      v.stale.push_back(entryName(*entries[i]) + " matches no command of " + std::string(wast_file) +
                        ": correct or remove it");
    }
  }
  return v;
}

}  // namespace stratus::spec
