// `stratus reg`: push actors and provider archives to OCI registries, pull them back and inspect their manifests, as
// `wash reg` (wasmCloud 0.18 era) does. The work is done by oci::RegistryClient; this file parses arguments and
// prints.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_util.h"
#include "commands.h"
#include "stratus/oci/oci.h"

namespace stratus::cli {
namespace {

struct RegArgs {
  std::string ref;
  std::string file;  // push: what to push; pull: where to write (default: from the repository and the kind)
  std::string output = "text";
  bool insecure = false;
  bool allow_latest = false;
  std::string config_file;
  std::string user, password, credentials_file;

  bool json() const { return output == "json"; }
};

// Transfers larger than this get a progress line (on a terminal).
constexpr uint64_t kProgressThreshold = uint64_t{4} << 20;

std::string mebibytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

// One line on stderr, rewritten in place: "<verb> REF: 12.3 MiB / 40.0 MiB, 8.1 MiB/s". Shown only for transfers
// larger than kProgressThreshold; finish() ends the line once something was shown.
class ProgressLine {
 public:
  ProgressLine(std::string verb, std::string ref) : verb_(std::move(verb)), ref_(std::move(ref)) {}

  void update(const oci::Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (p.done < last_done_) start_ = now;  // the next blob of the same command
    const bool moved = p.done != last_done_ || !shown_;
    last_done_ = p.done;
    if (std::max(p.total, p.done) <= kProgressThreshold || !moved) return;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const std::string rate = seconds > 0.05 ? mebibytes(static_cast<uint64_t>(p.done / seconds)) + "/s" : "…";
    const std::string total = p.total > 0 ? " / " + mebibytes(p.total) : std::string();
    std::fprintf(stderr, "\r%s %s: %s%s, %s\x1b[K", verb_.c_str(), ref_.c_str(), mebibytes(p.done).c_str(),
                 total.c_str(), rate.c_str());
    std::fflush(stderr);
    shown_ = true;
  }

  void finish() {
    if (shown_) std::fputc('\n', stderr);
    shown_ = false;
  }

 private:
  std::string verb_, ref_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  uint64_t last_done_ = 0;
  bool shown_ = false;
};

oci::Reference parseRef(const std::string& text) {
  auto ref = oci::Reference::parse(text);
  if (!ref) failCommand(ref.error().message);
  return std::move(*ref);
}

// The client options the flags ask for; `progress` (may be null) gets the transfer reports.
oci::ClientOptions clientOptions(const RegArgs& args, const oci::Reference& ref,
                                 const std::shared_ptr<ProgressLine>& progress) {
  oci::ClientOptions options;
  options.allow_latest = args.allow_latest;
  if (args.insecure) options.allowed_insecure.push_back(ref.registry);
  if (args.user.empty() != args.password.empty()) {
    failCommand(std::string(args.user.empty() ? "--password" : "--user") + " given without " +
                (args.user.empty() ? "--user" : "--password") + ": registry credentials need both");
  }
  if (!args.user.empty()) options.auth.credentials = oci::Credentials{args.user, args.password};
  options.auth.credentials_file = args.credentials_file;
  if (progress) options.progress = [progress](const oci::Progress& p) { progress->update(p); };
  return options;
}

// A progress line when stderr is a terminal, else null.
std::shared_ptr<ProgressLine> progressLine(const std::string& verb, const std::string& ref) {
  return isatty(2) ? std::make_shared<ProgressLine>(verb, ref) : nullptr;
}

// "<verb> REF: <reason>", without repeating the reference when the library's message starts with it; a registry
// that cannot be reached over HTTPS may be a plain-HTTP one, which --insecure is for.
[[noreturn]] void failRef(const RegArgs& args, const std::string& verb, const oci::Reference& ref,
                          const Error& error) {
  std::string reason = error.message;
  for (const std::string& prefix : {ref.str() + ": ", args.ref + ": "}) {
    if (reason.starts_with(prefix)) {
      reason.erase(0, prefix.size());
      break;
    }
  }
  if (!args.insecure && reason.find("TLS failed") != std::string::npos) {
    reason += " (if " + ref.registry + " serves plain HTTP, add --insecure)";
  }
  failCommand("cannot " + verb + " " + args.ref + ": " + reason);
}

nlohmann::ordered_json descriptorJson(const oci::Descriptor& d) {
  nlohmann::ordered_json j;
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest;
  j["size"] = d.size;
  return j;
}

std::string dumpJson(const nlohmann::ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void push(const RegArgs& args) {
  const oci::Reference ref = parseRef(args.ref);
  auto bytes = readFile(args.file);
  if (!bytes) failCommand(bytes.error().message);
  auto kind = oci::detectArtifactKind(*bytes);
  if (!kind) failCommand(args.file + " is " + kind.error().message + "; nothing pushed to " + args.ref);
  std::string config = "{}";
  if (!args.config_file.empty()) {
    auto content = readFile(args.config_file);
    if (!content) failCommand("--config: " + content.error().message);
    config.assign(content->begin(), content->end());
    if (nlohmann::json::parse(config, nullptr, /*allow_exceptions=*/false).is_discarded()) {
      failCommand("--config " + args.config_file + " is not valid JSON");
    }
  }

  auto progress = progressLine("pushing", args.ref);
  oci::RegistryClient client(clientOptions(args, ref, progress));
  auto pushed = client.pushArtifact(ref, *bytes, config);
  if (progress) progress->finish();
  if (!pushed) failRef(args, "push", ref, pushed.error());

  if (args.json()) {
    nlohmann::ordered_json j;
    j["reference"] = args.ref;
    j["digest"] = pushed->manifest_digest;
    j["kind"] = oci::artifactKindName(*kind);
    j["layer_digest"] = pushed->layer_digest;
    j["size"] = pushed->layer_size;
    std::cout << dumpJson(j) << "\n";
  } else {
    std::cout << "Pushed " << args.ref << " (digest " << pushed->manifest_digest << ", " << pushed->layer_size
              << " bytes)\n";
  }
}

// The file a pull writes when -o is not given: the repository's last component and the kind's extension.
std::string defaultPullFile(const oci::Artifact& artifact) {
  const std::string& repo = artifact.reference.repository;
  const std::string name = repo.substr(repo.rfind('/') + 1);
  if (artifact.kind == oci::ArtifactKind::kActor) return name + ".wasm";
  const bool gzip = artifact.bytes.size() >= 2 && artifact.bytes[0] == 0x1f && artifact.bytes[1] == 0x8b;
  return name + (gzip ? ".par.gz" : ".par");
}

void pull(const RegArgs& args) {
  const oci::Reference ref = parseRef(args.ref);
  auto progress = progressLine("pulling", args.ref);
  oci::RegistryClient client(clientOptions(args, ref, progress));
  auto artifact = client.pullArtifact(ref);
  if (progress) progress->finish();
  if (!artifact) failRef(args, "pull", ref, artifact.error());

  const std::string out = args.file.empty() ? defaultPullFile(*artifact) : args.file;
  if (auto written = writeFile(out, artifact->bytes); !written) {
    failCommand("pulled " + args.ref + " but " + written.error().message);
  }
  std::cout << "Pulled " << args.ref << " (" << artifact->manifest_digest << ") to " << out << "\n";
}

// The kind a layer's media type announces, or "" for another media type.
std::string layerKind(const std::string& media_type) {
  if (media_type == oci::kWasmLayerMediaType) return std::string(oci::artifactKindName(oci::ArtifactKind::kActor));
  if (media_type == oci::kProviderLayerMediaType) {
    return std::string(oci::artifactKindName(oci::ArtifactKind::kProvider));
  }
  return {};
}

void inspect(const RegArgs& args) {
  const oci::Reference ref = parseRef(args.ref);
  oci::RegistryClient client(clientOptions(args, ref, nullptr));
  auto manifest = client.getManifest(ref);
  if (!manifest) failRef(args, "inspect", ref, manifest.error());

  if (args.json()) {
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (const auto& layer : manifest->layers) layers.push_back(descriptorJson(layer));
    nlohmann::ordered_json j;
    j["reference"] = args.ref;
    j["digest"] = manifest->digest;
    j["mediaType"] = manifest->media_type;
    j["config"] = descriptorJson(manifest->config);
    j["layers"] = std::move(layers);
    j["manifest"] = nlohmann::ordered_json::parse(manifest->bytes);  // the library parsed it already
    std::cout << dumpJson(j) << "\n";
    return;
  }
  auto row = [](const char* label, const std::string& value) {
    std::cout << "  " << label << std::string(12 - std::string_view(label).size(), ' ') << value << "\n";
  };
  auto descriptor = [](const oci::Descriptor& d) {
    return d.media_type + "  " + d.digest + "  " + std::to_string(d.size) + " bytes";
  };
  std::cout << "Manifest of " << args.ref << "\n";
  row("Digest", manifest->digest);
  row("Media type", manifest->media_type);
  row("Config", descriptor(manifest->config));
  for (const auto& layer : manifest->layers) {
    const std::string kind = layerKind(layer.media_type);
    row("Layer", descriptor(layer) + (kind.empty() ? "" : "  (" + kind + ")"));
  }
}

// Registry access and credentials, on every verb; the ':latest' policy on those that transfer an artifact.
void addRegistryOptions(CLI::App* cmd, RegArgs& args, bool latest_policy) {
  cmd->add_flag("--insecure", args.insecure, "Reach the reference's registry over plain HTTP instead of HTTPS");
  if (latest_policy) {
    cmd->add_flag("--allow-latest", args.allow_latest, "Allow the tag 'latest' (or no tag), refused by default");
  }
  cmd->add_option("-u,--user", args.user,
                  "Registry user name (with --password); default: OCI_REGISTRY_USER, then the credentials file")
      ->envname("WASH_REG_USER");
  cmd->add_option("-p,--password", args.password, "Registry password (with --user)")->envname("WASH_REG_PASSWORD");
  cmd->add_option("--credentials-file", args.credentials_file,
                  "Docker-style config.json with an \"auths\" entry for the registry (default: $DOCKER_CONFIG/"
                  "config.json, else ~/.docker/config.json)")
      ->check(CLI::ExistingFile);
}

void addFormatOption(CLI::App* cmd, RegArgs& args) {
  cmd->add_option("-o,--output", args.output, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

}  // namespace

void addRegCommand(CLI::App& app) {
  auto* reg = app.add_subcommand("reg", "Push, pull and inspect actors and provider archives in OCI registries");
  reg->require_subcommand(1);

  auto pa = std::make_shared<RegArgs>();
  auto* push_cmd = reg->add_subcommand(
      "push", "Push an actor module (.wasm) or a provider archive (.par, .par.gz) under a reference, as wash does");
  push_cmd->add_option("reference", pa->ref, "Image reference, e.g. registry.example.com/team/echo:0.1.0")
      ->required();
  push_cmd->add_option("artifact", pa->file, "The signed actor module or provider archive")
      ->required()
      ->check(CLI::ExistingFile);
  push_cmd->add_option("-c,--config", pa->config_file, "JSON file to store as the image config (default: {})")
      ->check(CLI::ExistingFile);
  addRegistryOptions(push_cmd, *pa, true);
  addFormatOption(push_cmd, *pa);
  push_cmd->callback([pa] { push(*pa); });

  auto la = std::make_shared<RegArgs>();
  auto* pull_cmd = reg->add_subcommand("pull", "Pull an actor or a provider archive and write its layer to a file");
  pull_cmd->add_option("reference", la->ref, "Image reference")->required();
  pull_cmd->add_option("-o,--output-file,-d,--destination", la->file,
                       "Where to write it (default: the repository's last component + .wasm / .par.gz, here)");
  addRegistryOptions(pull_cmd, *la, true);
  pull_cmd->callback([la] { pull(*la); });

  auto ia = std::make_shared<RegArgs>();
  auto* inspect_cmd = reg->add_subcommand("inspect", "Print a reference's manifest: digest, config and layers");
  inspect_cmd->add_option("reference", ia->ref, "Image reference")->required();
  addRegistryOptions(inspect_cmd, *ia, false);
  addFormatOption(inspect_cmd, *ia);
  inspect_cmd->callback([ia] { inspect(*ia); });
}

}  // namespace stratus::cli
