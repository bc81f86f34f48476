// spec_runner: runs converted WebAssembly spec scripts on one engine backend and judges the outcomes against the
// known-failures list (tests/spec/README.md).
//
//   spec_runner --engine <interp|aot> --json-dir <dir> --known-failures <file> [--results-dir <dir>]
//               [--aot-optimization <flag>] [--verbose] [--suggest] [--isolate-all] <name>...
//       runs <json-dir>/<name>/<name>.json for each name (e.g. i32); prints one row per file (and the total), every
//       unexpected failure and stale entry; with --results-dir writes <results-dir>/<engine>/<name>.result.
//       --aot-optimization: the C compiler's flag for aot (default -O2). --verbose: every failure and skip, and the
//       spectest print calls. --suggest: known-failures entries for the unexpected failures (consecutive failures
//       with one cause become a range; write the reasons before pasting them). --isolate-all: every action in a
//       forked child (slow; finds the commands that crash the engine).
//   spec_runner --engine <name> --json-dir <dir> --known-failures <file> --results-dir <dir> --summary <name>...
//       prints the table of the results the runs above wrote, with the backend's totals, and checks the list's
//       entries name files of the suite and existing backends.
//
// Exit status: 0 when every failure is listed and every listed failure fails; 1 otherwise; 2 for usage errors;
// 77 (ctest's skip) when the engine is not available on this machine.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "spec/known_failures.h"
#include "spec/script_runner.h"
#include "spec/spec_script.h"
#include "stratus/engine/aot.h"
#include "stratus/engine/engine.h"

namespace stratus::spec {
namespace {

namespace fs = std::filesystem;

constexpr int kExitSkip = 77;

struct Args {
  std::string engine;
  fs::path json_dir;
  fs::path known_failures;
  fs::path results_dir;
  std::string aot_optimization = "-O2";
  bool verbose = false;
  bool summary = false;
  bool isolate_all = false;
  bool suggest = false;
  std::vector<std::string> names;
};

Expected<Args> parseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](auto& out) -> bool {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    bool good = true;
    if (arg == "--engine") {
      good = value(a.engine);
    } else if (arg == "--json-dir") {
      good = value(a.json_dir);
    } else if (arg == "--known-failures") {
      good = value(a.known_failures);
    } else if (arg == "--results-dir") {
      good = value(a.results_dir);
    } else if (arg == "--aot-optimization") {
      good = value(a.aot_optimization);
    } else if (arg == "--verbose") {
      a.verbose = true;
    } else if (arg == "--suggest") {
      a.suggest = true;
    } else if (arg == "--isolate-all") {
      a.isolate_all = true;
    } else if (arg == "--summary") {
      a.summary = true;
    } else if (arg.starts_with("--")) {
      return fail(ErrorCode::kInvalidArgument, "unknown option " + arg);
    } else {
      a.names.push_back(arg);
    }
    if (!good) return fail(ErrorCode::kInvalidArgument, arg + " needs a value");
  }
  if (a.engine.empty() || a.json_dir.empty() || a.known_failures.empty() || a.names.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "--engine, --json-dir, --known-failures and at least one name are required");
  }
  if (a.summary && a.results_dir.empty()) return fail(ErrorCode::kInvalidArgument, "--summary needs --results-dir");
  return a;
}

Expected<std::unique_ptr<engine::Engine>> makeEngine(const Args& args) {
  auto backend = engine::parseBackend(args.engine);
  if (!backend) return fail(backend.takeError());
  // No disk cache: the suite must exercise the code generator as built, not libraries an earlier build left.
  return engine::createEngine(*backend, {.aot = {.optimization = args.aot_optimization, .disk_cache = false}});
}

// CPU seconds of this process and its waited-for children (the aot backend's C compiler runs).
double cpuSeconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    getrusage(who, &u);
    total += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  return total;
}

// The counts of one file on one backend, as printed and as stored in a .result file.
struct FileResult {
  std::string name;
  uint32_t passed = 0, known = 0, skipped = 0, total = 0, unexpected = 0, stale = 0;
  double seconds = 0, cpu_seconds = 0;
};

void printHeader() {
  std::printf("%-26s %7s %7s %7s %7s %10s %8s %8s\n", "file", "passed", "known", "skipped", "total", "unexpected",
              "wall s", "cpu s");
}

void printRow(const FileResult& r) {
  std::printf("%-26s %7u %7u %7u %7u %10u %8.2f %8.2f%s\n", r.name.c_str(), r.passed, r.known, r.skipped, r.total,
              r.unexpected + r.stale, r.seconds, r.cpu_seconds, r.unexpected + r.stale ? "  <-- FAILED" : "");
}

fs::path resultPath(const Args& args, const std::string& name) {
  return args.results_dir / args.engine / (name + ".result");
}

// Entries whose reason starts with this run their commands in a forked child (see RunOptions::isolate).
constexpr std::string_view kCrashMarker = "[crash]";

// The outcomes of one file: its commands, or one failed "command" at line 0 when wast2json rejected the .wast.
std::vector<Outcome> runFile(engine::Engine& engine, const Args& args, const std::vector<KnownFailure>& known,
                             const std::string& name) {
  const fs::path dir = args.json_dir / name;
  if (std::ifstream rejected(dir / "wast2json.failed"); rejected) {
    std::string first, second;
    std::getline(rejected, first);
    std::getline(rejected, second);
    return {Outcome{0, "wast2json " + name + ".wast", Status::kFailed, first + ": " + second}};
  }
  auto script = loadScript(dir / (name + ".json"));
  if (!script) {
    return {Outcome{0, "load " + name + ".json", Status::kFailed,
                    script.error().message + " (was the spec_testsuite target built?)"}};
  }
  std::vector<KnownFailure> crashing;
  for (const auto& k : known) {
    if (k.appliesTo(args.engine, name + ".wast") && k.reason.starts_with(kCrashMarker)) crashing.push_back(k);
  }
  RunOptions options;
  options.print_host_calls = args.verbose;
  options.isolate = [&](uint32_t line) {
    return args.isolate_all ||
           std::any_of(crashing.begin(), crashing.end(), [line](const auto& k) { return k.covers(line); });
  };
  return runScript(engine, *script, options);
}

// What groups failures into one suggested entry: the module they depend on, a wrong result, or the message.
std::string causeOf(const std::string& message) {
  if (auto at = message.find("its module ("); at != std::string::npos) {
    return message.substr(at, message.find(") did not load", at) - at);
  }
  if (message.starts_with("get of exported global")) return "get";
  if (auto at = message.find("imports "); at != std::string::npos)
    return message.substr(at, message.find(" (", at) - at);
  for (std::string_view type : {"i32:", "i64:", "f32:", "f64:"}) {
    if (message.starts_with("expected " + std::string(type))) return "wrong result";
  }
  return message;
}

// Known-failures lines for the unlisted failures of one file, in command order.
std::vector<std::string> suggestEntries(const std::vector<Outcome>& outcomes, const std::vector<KnownFailure>& known,
                                        const std::string& backend, const std::string& file) {
  std::vector<std::string> lines;
  const Outcome* first = nullptr;
  const Outcome* last = nullptr;
  auto flush = [&] {
    if (first == nullptr) return;
    std::string range = std::to_string(first->line);
    if (last->line != first->line) range += "-" + std::to_string(last->line);
    lines.push_back(backend + " " + file + " " + range + " " + first->message);
    first = last = nullptr;
  };
  for (const auto& o : outcomes) {
    if (o.status == Status::kSkipped) continue;
    const bool listed = std::any_of(known.begin(), known.end(), [&](const KnownFailure& k) {
      return k.appliesTo(backend, file) && k.covers(o.line);
    });
    if (o.status == Status::kPassed || listed) {
      flush();
      continue;
    }
    if (first != nullptr && causeOf(first->message) != causeOf(o.message)) flush();
    if (first == nullptr) first = &o;
    last = &o;
  }
  flush();
  return lines;
}

int runFiles(const Args& args, const std::vector<KnownFailure>& known) {
  auto engine = makeEngine(args);
  if (!engine) {
    std::fprintf(stderr, "engine %s: %s\n", args.engine.c_str(), engine.error().toString().c_str());
    return engine.error().code == ErrorCode::kUnavailable ? kExitSkip : 1;
  }
  std::printf("engine %s%s\n", args.engine.c_str(),
              args.engine == "aot" ? (" (C compiler " + args.aot_optimization + ")").c_str() : "");
  std::vector<FileResult> rows;
  std::vector<std::string> problems;
  std::vector<std::string> suggestions;
  for (const auto& name : args.names) {
    if (!args.results_dir.empty()) {
      fs::create_directories(resultPath(args, name).parent_path());
      fs::remove(resultPath(args, name));
    }
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpuSeconds();
    auto outcomes = runFile(**engine, args, known, name);
    FileResult r;
    r.name = name;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.cpu_seconds = cpuSeconds() - cpu_start;
    const Verdict v = judge(outcomes, known, args.engine, name + ".wast", args.known_failures.filename().string());
    r.passed = v.passed, r.known = v.known, r.skipped = v.skipped, r.total = v.total;
    r.unexpected = static_cast<uint32_t>(v.unexpected.size());
    r.stale = static_cast<uint32_t>(v.stale.size());
    for (const auto& m : v.unexpected) problems.push_back(m);
    if (args.suggest) {
      for (auto& line : suggestEntries(outcomes, known, args.engine, name + ".wast")) suggestions.push_back(line);
    }
    for (const auto& m : v.stale) problems.push_back("stale entry: " + m);
    if (args.verbose) {
      for (const auto& o : outcomes) {
        if (o.status == Status::kPassed) continue;
        std::printf("  %s.wast:%u: %s: %s: %s\n", name.c_str(), o.line, o.command.c_str(),
                    o.status == Status::kSkipped ? "skipped" : "failed", o.message.c_str());
      }
    }
    if (!args.results_dir.empty()) {
      std::ofstream out(resultPath(args, name));
      out << r.passed << ' ' << r.known << ' ' << r.skipped << ' ' << r.total << ' ' << r.unexpected << ' ' << r.stale
          << ' ' << r.seconds << ' ' << r.cpu_seconds << '\n';
    }
    rows.push_back(std::move(r));
  }
  printHeader();
  FileResult total{.name = "total"};
  for (const auto& r : rows) {
    printRow(r);
    total.passed += r.passed, total.known += r.known, total.skipped += r.skipped, total.total += r.total;
    total.unexpected += r.unexpected, total.stale += r.stale;
    total.seconds += r.seconds, total.cpu_seconds += r.cpu_seconds;
  }
  if (rows.size() > 1) printRow(total);
  std::printf(
      "(known = failed as listed in %s; skipped = text-format (module quote) cases, not applicable to a "
      "binary engine)\n",
      args.known_failures.string().c_str());
  for (const auto& p : problems) std::printf("%s\n", p.c_str());
  if (!suggestions.empty()) std::printf("suggested entries:\n");
  for (const auto& line : suggestions) std::printf("%s\n", line.c_str());
  return problems.empty() ? 0 : 1;
}

int summarize(const Args& args, const std::vector<KnownFailure>& known) {
  if (auto engine = makeEngine(args); !engine && engine.error().code == ErrorCode::kUnavailable) {
    std::fprintf(stderr, "engine %s: %s\n", args.engine.c_str(), engine.error().toString().c_str());
    return kExitSkip;
  }
  std::vector<std::string> problems;
  const std::string list_name = args.known_failures.filename().string();
  const std::set<std::string> names(args.names.begin(), args.names.end());
  std::map<std::string, bool> backend_exists;  // an unknown name is kNotFound, a missing C compiler kUnavailable
  for (const auto& k : known) {
    const std::string where = list_name + ":" + std::to_string(k.source_line) + ": ";
    const bool file_known = k.file.ends_with(".wast") && names.contains(k.file.substr(0, k.file.size() - 5));
    if ((k.backend == "*" || k.backend == args.engine) && !file_known) {
      problems.push_back(where + k.file + " is not a file of the suite");
    }
    if (k.backend == "*") continue;
    auto [it, fresh] = backend_exists.try_emplace(k.backend, true);
    if (fresh) {
      it->second = engine::parseBackend(k.backend).hasValue();
    }
    if (!it->second) problems.push_back(where + "unknown backend " + k.backend);
  }
  // A result older than the runner or the list was not produced by this build's run.
  std::error_code ec;
  auto newest_input = fs::last_write_time(args.known_failures, ec);
  if (auto exe = fs::last_write_time("/proc/self/exe", ec); !ec && exe > newest_input) newest_input = exe;

  std::printf("spec suite on %s: per file\n", args.engine.c_str());
  printHeader();
  FileResult total{.name = "total"};
  for (const auto& name : args.names) {
    const fs::path path = resultPath(args, name);
    std::ifstream in(path);
    FileResult r;
    r.name = name;
    if (!in ||
        !(in >> r.passed >> r.known >> r.skipped >> r.total >> r.unexpected >> r.stale >> r.seconds >> r.cpu_seconds)) {
      problems.push_back(name + ": no result (run the spec." + args.engine + "." + name + " test first)");
      continue;
    }
    if (fs::last_write_time(path, ec) < newest_input) {
      problems.push_back(name + ": result predates the runner or the known-failures list: run spec." + args.engine +
                         "." + name + " again");
    }
    printRow(r);
    total.passed += r.passed, total.known += r.known, total.skipped += r.skipped, total.total += r.total;
    total.unexpected += r.unexpected, total.stale += r.stale;
    total.seconds += r.seconds, total.cpu_seconds += r.cpu_seconds;
    if (r.unexpected + r.stale) problems.push_back(name + ": see the output of spec." + args.engine + "." + name);
  }
  printRow(total);
  std::printf(
      "%s: %u passed, %u failed (known), %u skipped (text-format module quote cases: not applicable to a "
      "binary engine), %u total; %u unexpected, %u stale; %.1f s wall, %.1f s CPU\n",
      args.engine.c_str(), total.passed, total.known, total.skipped, total.total, total.unexpected, total.stale,
      total.seconds, total.cpu_seconds);
  for (const auto& p : problems) std::printf("%s\n", p.c_str());
  return problems.empty() ? 0 : 1;
}

}  // namespace
}  // namespace stratus::spec

int main(int argc, char** argv) {
  using namespace stratus::spec;
  auto args = parseArgs(argc, argv);
  if (!args) {
    std::fprintf(stderr, "spec_runner: %s\n(see the usage at the top of tests/spec/spec_main.cc)\n",
                 args.error().message.c_str());
    return 2;
  }
  auto known = loadKnownFailures(args->known_failures);
  if (!known) {
    std::fprintf(stderr, "spec_runner: %s\n", known.error().toString().c_str());
    return 1;
  }
  return args->summary ? summarize(*args, *known) : runFiles(*args, *known);
}
