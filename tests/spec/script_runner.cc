#include "spec/script_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "stratus/common/files.h"

namespace stratus::spec {
namespace {

using engine::ExternKind;
using engine::FunctionType;
using engine::HostFunction;
using engine::Value;
using engine::ValueType;

// A module of the script: compiled and instantiated, or the reason it is not.
struct LoadedModule {
  uint32_t line = 0;
  std::string filename;
  std::shared_ptr<const engine::Module> module;
  std::unique_ptr<engine::Instance> instance;
  std::string error;  // set when instance is null
};

std::string errorText(const Error& e) { return std::string(errorCodeName(e.code)) + ": " + e.message; }

std::string describeAction(const Action& a) {
  std::string s = a.type == Action::Type::kGet ? "get " : "";
  if (!a.module.empty()) s += a.module + ".";
  s += a.field;
  if (a.type == Action::Type::kGet) return s;
  s += "(";
  for (size_t i = 0; i < a.args.size(); ++i) s += (i ? ", " : "") + toString(a.args[i]);
  return s + ")";
}

std::string describe(const Command& c) {
  std::string s(toString(c.type));
  if (c.action) return s + " " + describeAction(*c.action);
  if (c.type == CommandType::kRegister)
    return s + " " + (c.name.empty() ? "<current>" : c.name) + " as \"" + c.as + "\"";
  if (!c.filename.empty()) s += " " + c.filename;
  if (!c.text.empty()) s += " (\"" + c.text + "\")";
  return s;
}

class ScriptRunner {
 public:
  ScriptRunner(engine::Engine& engine, const Script& script, const RunOptions& options)
      : engine_(engine), script_(script), options_(options) {}

  std::vector<Outcome> run() {
    std::vector<Outcome> outcomes;
    outcomes.reserve(script_.commands.size());
    for (const auto& c : script_.commands) {
      Outcome o{c.line, describe(c), Status::kPassed, {}};
      if (isTextModule(c)) {
        o.status = Status::kSkipped;
        o.message = "text-format module (module quote): exercises the .wat parser; engines take binaries only";
      } else if (auto r = shouldIsolate(c) ? executeIsolated(c) : execute(c); !r) {
        o.status = Status::kFailed;
        o.message = r.error().message;
      }
      outcomes.push_back(std::move(o));
    }
    return outcomes;
  }

 private:
  static bool isTextModule(const Command& c) {
    return c.module_type == "text" || (c.filename.size() > 4 && c.filename.ends_with(".wat"));
  }

  static Unexpected failure(std::string message) { return fail(ErrorCode::kInvalidArgument, std::move(message)); }

  // Only commands without lasting effects on the runner's state: the modules a child defines would be lost.
  bool shouldIsolate(const Command& c) const {
    return c.type != CommandType::kModule && c.type != CommandType::kRegister && options_.isolate &&
           options_.isolate(c.line);
  }

  // Runs the command in a forked child that reports its outcome through a pipe. Only the calling thread exists in
  // the child (the engine's watchdog thread does not), so an alarm bounds a runaway command instead.
  Expected<void> executeIsolated(const Command& c) {
    int fds[2];
    if (pipe(fds) != 0) return failure(std::string("pipe: ") + std::strerror(errno));
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) return failure(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      close(fds[0]);
      alarm(static_cast<unsigned>(options_.call_timeout.count() / 1000 + 5));
      auto r = execute(c);
      const std::string message = r ? std::string() : r.error().message;
      for (size_t done = 0; done < message.size();) {
        const ssize_t n = write(fds[1], message.data() + done, message.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      _exit(r ? 0 : 1);
    }
    close(fds[1]);
    std::string message;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) message.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
      const int sig = WTERMSIG(status);
      return failure(std::string("crashed the process (in a forked child) with signal ") + std::to_string(sig) + " (" +
                     strsignal(sig) + ")");
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ok();
    return failure(message.empty() ? "the forked child failed without a message" : message);
  }

  Expected<void> execute(const Command& c) {
    switch (c.type) {
      case CommandType::kModule:
        return defineModule(c);
      case CommandType::kRegister:
        return registerModule(c);
      case CommandType::kAction: {
        auto r = invoke(*c.action);
        if (!r) return failure(r.error().message);
        return ok();
      }
      case CommandType::kAssertReturn:
        return assertReturn(c);
      case CommandType::kAssertTrap:
        return assertCallFails(c, ErrorCode::kTrap);
      case CommandType::kAssertExhaustion:
        return assertCallFails(c, ErrorCode::kResourceExhausted);
      case CommandType::kAssertInvalid:
      case CommandType::kAssertMalformed:
        return assertRejected(c);
      case CommandType::kAssertUnlinkable:
        return assertNotInstantiable(c, /*trap_only=*/false);
      case CommandType::kAssertUninstantiable:
        return assertNotInstantiable(c, /*trap_only=*/true);
    }
    return failure("unhandled command");
  }

  // --- modules --------------------------------------------------------------------------------------------------

  Expected<Bytes> readModule(const std::string& filename) const {
    return readFileBytes(script_.directory / filename);
  }

  Expected<std::shared_ptr<const engine::Module>> compile(const Command& c) {
    auto bytes = readModule(c.filename);
    if (!bytes) return fail(bytes.takeError());
    return engine_.compile(*bytes, {.name = c.filename});
  }

  // An instantiation failure caused by a memory, table or global import names that import first: the engine API
  // links function imports only, so such a module can never be instantiated.
  Expected<std::unique_ptr<engine::Instance>> instantiate(const engine::Module& module) {
    auto host = hostFunctionsFor(module);
    auto inst = module.instantiate(host, {.call_timeout = options_.call_timeout}, nullptr);
    if (inst) return inst;
    for (const auto& imp : module.imports()) {
      if (imp.kind == ExternKind::kFunction) continue;
      return fail(inst.error().code, "imports " + std::string(kindName(imp.kind)) + " " + imp.module + "." + imp.name +
                                         " (the engine API links function imports only): " + inst.error().message);
    }
    return inst;
  }

  static std::string_view kindName(ExternKind kind) {
    switch (kind) {
      case ExternKind::kFunction:
        return "function";
      case ExternKind::kTable:
        return "table";
      case ExternKind::kMemory:
        return "memory";
      case ExternKind::kGlobal:
        return "global";
      case ExternKind::kTag:
        return "tag";
    }
    return "?";
  }

  Expected<void> defineModule(const Command& c) {
    auto loaded = std::make_shared<LoadedModule>();
    loaded->line = c.line;
    loaded->filename = c.filename;
    auto m = compile(c);
    if (m) {
      loaded->module = *m;
      auto inst = instantiate(**m);
      if (inst) {
        loaded->instance = std::move(*inst);
      } else {
        loaded->error = "instantiation failed: " + errorText(inst.error());
      }
    } else {
      loaded->error = "compilation failed: " + errorText(m.error());
    }
    current_ = loaded;
    if (!c.name.empty()) named_[c.name] = loaded;
    if (!loaded->instance) return failure(loaded->error);
    return ok();
  }

  Expected<void> registerModule(const Command& c) {
    auto target = lookup(c.name);
    if (!target) return failure(target.error().message);
    registered_[c.as] = *target;
    return ok();
  }

  // The module named `name` ("$M"), a registered one, or the current one (empty name), with a live instance.
  Expected<std::shared_ptr<LoadedModule>> lookup(const std::string& name) const {
    std::shared_ptr<LoadedModule> m;
    if (name.empty()) {
      m = current_;
      if (!m) return failure("no module defined before this command");
    } else if (auto it = named_.find(name); it != named_.end()) {
      m = it->second;
    } else if (auto reg = registered_.find(name); reg != registered_.end()) {
      m = reg->second;
    } else {
      return failure("no module named " + name);
    }
    if (!m->instance) {
      return failure("its module (" + m->filename + ", line " + std::to_string(m->line) +
                     ") did not load: " + m->error);
    }
    return m;
  }

  // --- host functions -------------------------------------------------------------------------------------------

  // The spectest print functions and, for every function import naming a registered module, a forwarder to that
  // module's export. Imports nothing provides are left to the engine to report.
  std::vector<HostFunction> hostFunctionsFor(const engine::Module& module) const {
    std::vector<HostFunction> host;
    for (const auto& imp : module.imports()) {
      if (imp.kind != ExternKind::kFunction) continue;
      if (imp.module == "spectest") {
        if (auto f = spectestFunction(imp.name)) host.push_back(std::move(*f));
        continue;
      }
      auto reg = registered_.find(imp.module);
      if (reg == registered_.end() || !reg->second->instance) continue;
      auto target = reg->second;
      auto fn = target->instance->findFunction(imp.name);
      if (!fn) continue;
      host.push_back(HostFunction{imp.module, imp.name, target->instance->functionType(*fn),
                                  [target, handle = *fn](engine::HostContext&, std::span<const Value> args,
                                                         std::span<Value> results) -> Expected<void> {
                                    return target->instance->call(handle, args, results);
                                  }});
    }
    return host;
  }

  std::optional<HostFunction> spectestFunction(const std::string& name) const {
    using VT = ValueType;
    static const std::map<std::string, std::vector<VT>, std::less<>> kPrints = {
        {"print", {}},
        {"print_i32", {VT::kI32}},
        {"print_i64", {VT::kI64}},
        {"print_f32", {VT::kF32}},
        {"print_f64", {VT::kF64}},
        {"print_i32_f32", {VT::kI32, VT::kF32}},
        {"print_f64_f64", {VT::kF64, VT::kF64}},
    };
    auto it = kPrints.find(name);
    if (it == kPrints.end()) return std::nullopt;
    const bool verbose = options_.print_host_calls;
    return HostFunction{
        "spectest", name, FunctionType{it->second, {}},
        [name, verbose](engine::HostContext&, std::span<const Value> args, std::span<Value>) -> Expected<void> {
          if (verbose) {
            std::string line = "spectest." + name + "(";
            for (size_t i = 0; i < args.size(); ++i) line += (i ? ", " : "") + toString(args[i]);
            std::printf("%s)\n", line.c_str());
          }
          return ok();
        }};
  }

  // --- actions and assertions -----------------------------------------------------------------------------------

  // The results of an invoke, or the call's own error (its code kept) / a failure to set the call up.
  Expected<std::vector<Value>> invoke(const Action& a) {
    if (a.type == Action::Type::kGet) {
      return failure("get of exported global '" + a.field + "': the engine API has no access to globals");
    }
    auto m = lookup(a.module);
    if (!m) return fail(m.takeError());
    engine::Instance& inst = *(*m)->instance;
    auto fn = inst.findFunction(a.field);
    if (!fn) return failure(fn.error().message);
    const FunctionType& type = inst.functionType(*fn);
    if (type.params.size() != a.args.size()) {
      return failure("export '" + a.field + "' " + engine::toString(type) + " called with " +
                     std::to_string(a.args.size()) + " arguments");
    }
    std::vector<Value> args;
    for (const auto& arg : a.args) {
      auto v = toEngineValue(arg);
      if (!v) return failure(v.error().message);
      args.push_back(*v);
    }
    std::vector<Value> results(type.results.size());
    auto r = inst.call(*fn, args, results);
    if (!r) return fail(r.takeError());
    return results;
  }

  Expected<void> assertReturn(const Command& c) {
    auto results = invoke(*c.action);
    if (!results)
      return failure(results.error().code == ErrorCode::kInvalidArgument
                         ? results.error().message
                         : "call failed: " + errorText(results.error()));
    if (results->size() != c.expected.size()) {
      return failure("expected " + std::to_string(c.expected.size()) + " results, got " +
                     std::to_string(results->size()));
    }
    for (size_t i = 0; i < results->size(); ++i) {
      auto r = checkValue(c.expected[i], (*results)[i]);
      if (!r) {
        return failure(c.expected.size() == 1 ? r.error().message
                                              : "result " + std::to_string(i) + ": " + r.error().message);
      }
    }
    return ok();
  }

  Expected<void> assertCallFails(const Command& c, ErrorCode want) {
    auto results = invoke(*c.action);
    const std::string expectation = std::string(errorCodeName(want)) + " \"" + c.text + "\"";
    if (results) {
      std::string got;
      for (const auto& v : *results) got += (got.empty() ? "" : ", ") + toString(v);
      return failure("expected " + expectation + ", but the call returned (" + got + ")");
    }
    if (results.error().code != want) return failure("expected " + expectation + ", got " + errorText(results.error()));
    return ok();
  }

  Expected<void> assertRejected(const Command& c) {
    auto m = compile(c);
    if (m) return failure("the module compiled, but the spec expects it to be rejected: \"" + c.text + "\"");
    if (m.error().code != ErrorCode::kMalformed) {
      return failure("expected a malformed-module error (\"" + c.text + "\"), got " + errorText(m.error()));
    }
    return ok();
  }

  // assert_unlinkable: any instantiation failure (this snapshot also calls segments that do not fit unlinkable);
  // assert_uninstantiable: a trap while instantiating.
  Expected<void> assertNotInstantiable(const Command& c, bool trap_only) {
    auto m = compile(c);
    if (!m)
      return failure("expected the module to compile and then fail to instantiate (\"" + c.text +
                     "\"), but compilation failed: " + errorText(m.error()));
    auto inst = instantiate(**m);
    if (inst) return failure("the module instantiated, but the spec expects \"" + c.text + "\"");
    if (trap_only && inst.error().code != ErrorCode::kTrap) {
      return failure("expected a trap while instantiating (\"" + c.text + "\"), got " + errorText(inst.error()));
    }
    return ok();
  }

  engine::Engine& engine_;
  const Script& script_;
  const RunOptions& options_;
  std::shared_ptr<LoadedModule> current_;
  std::map<std::string, std::shared_ptr<LoadedModule>> named_;
  std::map<std::string, std::shared_ptr<LoadedModule>> registered_;
};

}  // namespace

std::vector<Outcome> runScript(engine::Engine& engine, const Script& script, const RunOptions& options) {
  return ScriptRunner(engine, script, options).run();
}

}  // namespace stratus::spec
