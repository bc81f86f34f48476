// `stratus call`: load one actor (a file or an OCI reference) into a standalone host and call it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "stratus/host/host.h"
#include "stratus/oci/oci.h"

namespace stratus::cli {
namespace {

struct CallArgs {
  std::string actor;
  std::string operation;
  std::string payload_file;
  std::string payload_json;
  std::string engine = "interp";
  bool raw = false;
  bool verbose = false;
  int repeat = 1;
  int timeout_ms = 30000;
  bool insecure = false;
  bool allow_latest = false;
};

bool validUtf8(const std::vector<uint8_t>& bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    uint8_t c = bytes[i];
    size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 99;
    if (extra == 99) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if (i + k >= bytes.size() || (bytes[i + k] & 0xC0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

// msgpack `bin` values show as text when they are UTF-8, else as an array of byte values.
void readableBinaries(nlohmann::json& j) {
  if (j.is_binary()) {
    const auto& bin = j.get_binary();
    if (validUtf8(bin)) {
      j = std::string(bin.begin(), bin.end());
    } else {
      j = std::vector<int>(bin.begin(), bin.end());
    }
  } else if (j.is_structured()) {
    for (auto& child : j) readableBinaries(child);
  }
}

std::string formatDuration(double ns) {
  char buf[64];
  if (ns < 10'000) {
    std::snprintf(buf, sizeof buf, "%.0f ns", ns);
  } else if (ns < 10'000'000) {
    std::snprintf(buf, sizeof buf, "%.2f us", ns / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
  }
  return buf;
}

Bytes loadPayload(const CallArgs& args) {
  if (!args.payload_file.empty()) {
    auto bytes = readFile(args.payload_file);
    if (!bytes) failCommand("payload file: " + bytes.error().message);
    return std::move(*bytes);
  }
  if (!args.payload_json.empty()) {
    auto j = nlohmann::json::parse(args.payload_json, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) failCommand("--payload-json is not valid JSON: " + args.payload_json);
    return nlohmann::json::to_msgpack(j);
  }
  return {};
}

void printResponse(const Bytes& response, bool raw) {
  if (!raw && !response.empty()) {
    auto j = nlohmann::json::from_msgpack(response, /*strict=*/true, /*allow_exceptions=*/false);
    if (!j.is_discarded()) {
      readableBinaries(j);
      std::cout << j.dump(2) << "\n";
      return;
    }
  }
  std::cout.write(reinterpret_cast<const char*>(response.data()), static_cast<std::streamsize>(response.size()));
  if (!raw && !response.empty() && response.back() != '\n') std::cout << "\n";
  std::cout.flush();
}

void runCall(const CallArgs& args) {
  spdlog::set_level(args.verbose ? spdlog::level::info : spdlog::level::warn);
  host::ActorOptions options;
  options.instance.call_timeout = std::chrono::milliseconds(args.timeout_ms);
  auto mode = host::EngineMode::parse(args.engine);
  if (!mode) failCommand("--engine: " + mode.error().message);
  oci::ClientOptions registry;
  registry.allow_latest = args.allow_latest;
  if (args.insecure && !oci::isFilePath(args.actor)) {
    auto ref = oci::Reference::parse(args.actor);
    if (!ref) failCommand(ref.error().message);
    registry.allowed_insecure.push_back(ref->registry);
  }
  auto host =
      host::HostBuilder().withEngine(*mode).withActorOptions(options).withRegistry(std::move(registry)).build();
  if (!host) failCommand(host.error().message);
  auto pk = host::startActorFromRef(**host, args.actor);
  if (!pk) failCommand(pk.error().toString());
  const Bytes payload = loadPayload(args);

  std::vector<double> latencies;
  latencies.reserve(static_cast<size_t>(args.repeat));
  Bytes response;
  for (int i = 0; i < args.repeat; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto result = (*host)->callActor(*pk, args.operation, payload);
    auto end = std::chrono::steady_clock::now();
    if (!result) failCommand(result.error().toString());
    latencies.push_back(std::chrono::duration<double, std::nano>(end - start).count());
    if (i + 1 == args.repeat) response = std::move(*result);
  }
  printResponse(response, args.raw);
  if (args.repeat > 1) {
    double sum = 0;
    for (double l : latencies) sum += l;
    std::sort(latencies.begin(), latencies.end());
    auto pct = [&](double p) { return latencies[static_cast<size_t>(p * static_cast<double>(latencies.size() - 1))]; };
    std::fprintf(stderr, "calls %d mean %s p50 %s p99 %s\n", args.repeat,
                 formatDuration(sum / static_cast<double>(latencies.size())).c_str(),
                 formatDuration(pct(0.50)).c_str(), formatDuration(pct(0.99)).c_str());
  }
}

}  // namespace

void addCallCommand(CLI::App& app) {
  auto args = std::make_shared<CallArgs>();
  auto* cmd = app.add_subcommand("call", "Load a signed actor into a standalone host and call one operation");
  cmd->add_option("actor", args->actor, "Signed actor module: a .wasm file, or else an OCI reference")->required();
  cmd->add_option("operation", args->operation, "Operation name, e.g. HandleRequest")->required();
  auto* file = cmd->add_option("--payload-file", args->payload_file, "Send this file's bytes as the payload");
  cmd->add_option("--payload-json", args->payload_json, "Send this JSON, encoded as msgpack, as the payload")
      ->excludes(file);
  cmd->add_flag("--raw", args->raw, "Print the response bytes as they are instead of decoding msgpack to JSON");
  cmd->add_option("--repeat", args->repeat, "Call N times; print mean/p50/p99 latency on stderr")
      ->check(CLI::Range(1, 100000000));
  cmd->add_option("--engine", args->engine,
                  "How the actor runs: interp (default), aot (compiled first or taken from the cache), auto (native "
                  "code if cached, else the interpreter)")
      ->check(CLI::IsMember(host::EngineMode::names()));
  cmd->add_option("--timeout-ms", args->timeout_ms, "Per-call deadline in milliseconds")->check(CLI::PositiveNumber);
  cmd->add_flag("--insecure", args->insecure, "Reach the actor reference's registry over plain HTTP");
  cmd->add_flag("--allow-latest", args->allow_latest, "Allow an actor reference tagged 'latest' (or untagged)");
  cmd->add_flag("-v,--verbose", args->verbose, "Log host activity to stderr");
  cmd->callback([args] { runCall(*args); });
}

}  // namespace stratus::cli
