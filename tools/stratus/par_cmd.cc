// `stratus par`: create provider archives, insert libraries into them, and inspect/verify them (like `wash par`).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "stratus/claims/claims.h"
#include "stratus/claims/nkeys.h"
#include "stratus/par/archive.h"

namespace stratus::cli {
namespace {

struct CreateArgs {
  std::string capid;
  std::string name;
  std::string vendor;
  std::optional<int32_t> rev;
  std::optional<std::string> ver;
  std::string arch;
  std::string binary;
  std::string issuer;
  std::string subject;
  std::string output;
  std::string expires_in;
  std::string not_before;
  bool compress = false;
  bool no_compress = false;
  bool disable_keygen = false;
};

struct InsertArgs {
  std::string archive;
  std::string arch;
  std::string binary;
  std::string issuer;
};

struct InspectArgs {
  std::string archive;
  std::string output = "text";
};

std::string withArticle(std::string_view noun) {
  const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(noun);
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void checkArch(const std::string& arch) {
  if (par::isValidTarget(arch)) return;
  std::string known;
  for (std::string_view t : par::knownTargets()) known += (known.empty() ? "" : ", ") + std::string(t);
  failCommand("--arch '" + arch + "' is not a known target; expected ARCH-OS, one of: " + known +
              " (this machine: " + par::currentTarget() + ")");
}

// The key given as a seed, checked to be of `type`; or, when `seed` is empty and `may_generate`, a fresh key
// (`*generated` says which).
claims::KeyPair loadKey(const std::string& seed, claims::KeyType type, std::string_view role, bool may_generate,
                        bool* generated) {
  const std::string flag = "--" + std::string(role);
  const std::string want = withArticle(claims::keyTypeName(type)) + " seed ('S" + claims::keyTypePrefix(type) + "...')";
  *generated = seed.empty();
  if (seed.empty()) {
    if (!may_generate) failCommand(flag + " is required: " + want);
    auto kp = claims::KeyPair::generate(type);
    if (!kp) failCommand(kp.error().message);
    return *kp;
  }
  auto kp = claims::KeyPair::fromSeed(seed);
  if (!kp) failCommand(flag + ": " + kp.error().message);
  if (kp->type() != type) {
    failCommand(flag + " must be " + want + ", but this is " + withArticle(claims::keyTypeName(kp->type())) +
                " seed ('S" + claims::keyTypePrefix(kp->type()) + "...')");
  }
  return *kp;
}

// Prints a generated key's seed on stderr: it is saved nowhere else.
void reportGenerated(const claims::KeyPair& kp, std::string_view role, std::string_view keep_for) {
  std::fprintf(stderr, "Generated %s key %s (%s)\n  seed: %s\n  this is its only copy: keep it %s\n",
               std::string(role).c_str(), kp.publicKey().c_str(), std::string(claims::keyTypeName(kp.type())).c_str(),
               kp.seed()->c_str(), std::string(keep_for).c_str());
}

// Seconds from now given as a duration flag, or nullopt when the flag is empty.
std::optional<int64_t> timeFromNow(const std::string& duration, std::string_view flag, int64_t now) {
  if (duration.empty()) return std::nullopt;
  auto d = parseDuration(duration);
  if (!d) failCommand("--" + std::string(flag) + ": " + d.error().message);
  return now + d->count();
}

std::string defaultOutput(const std::string& binary, bool gzip) {
  std::string base = binary.substr(binary.rfind('/') + 1);
  if (const size_t dot = base.rfind('.'); dot != std::string::npos && dot > 0) base.resize(dot);
  return base + (gzip ? ".par.gz" : ".par");
}

void runCreate(const CreateArgs& args) {
  checkArch(args.arch);
  auto lib = readFile(args.binary);
  if (!lib) failCommand(lib.error().message);

  const int64_t now = claims::unixNow();
  par::ArchiveInfo info;
  info.capid = args.capid;
  info.name = args.name;
  info.vendor = args.vendor;
  info.rev = args.rev;
  info.ver = args.ver;
  info.expires = timeFromNow(args.expires_in, "expires-in", now);
  info.not_before = timeFromNow(args.not_before, "not-before", now);
  if (info.expires && info.not_before && *info.expires <= *info.not_before) {
    failCommand("--expires-in must be later than --not-before, or the claims can never be used");
  }

  const bool gzip = args.compress || (!args.no_compress && !args.output.empty() && endsWith(args.output, ".gz"));
  const std::string out = args.output.empty() ? defaultOutput(args.binary, gzip) : args.output;

  bool issuer_generated = false;
  bool subject_generated = false;
  const claims::KeyPair issuer =
      loadKey(args.issuer, claims::KeyType::kAccount, "issuer", !args.disable_keygen, &issuer_generated);
  const claims::KeyPair subject =
      loadKey(args.subject, claims::KeyType::kService, "subject", !args.disable_keygen, &subject_generated);

  std::map<std::string, Bytes> libraries;
  libraries.emplace(args.arch, std::move(*lib));
  auto archive = par::createArchive(info, std::move(libraries), issuer, subject);
  if (!archive) failCommand(archive.error().message);
  auto bytes = par::writeArchive(*archive, gzip);
  if (!bytes) failCommand(bytes.error().message);
  auto written = writeFile(out, *bytes);
  if (!written) failCommand(written.error().message);

  if (issuer_generated) reportGenerated(issuer, "issuer", "to sign new revisions and insert libraries (--issuer)");
  if (subject_generated) reportGenerated(subject, "subject", "as the provider's identity (--subject)");
  std::printf("Created provider archive %s (%s)\n  service %s\n  issuer  %s\n  target  %s  %s\n", out.c_str(),
              gzip ? "gzip" : "tar", archive->claims.subject.c_str(), archive->claims.issuer.c_str(), args.arch.c_str(),
              archive->claims.metadata.target_hashes.at(args.arch).c_str());
}

void runInsert(const InsertArgs& args) {
  checkArch(args.arch);
  auto bytes = readFile(args.archive);
  if (!bytes) failCommand(bytes.error().message);
  auto lib = readFile(args.binary);
  if (!lib) failCommand(lib.error().message);
  bool generated = false;
  const claims::KeyPair issuer = loadKey(args.issuer, claims::KeyType::kAccount, "issuer", false, &generated);

  auto archive = par::readArchive(*bytes);
  if (!archive) failCommand(args.archive + ": " + archive.error().message);
  const bool replaced = archive->libraries.count(args.arch) != 0;
  auto inserted = par::insertLibrary(*archive, args.arch, std::move(*lib), issuer);
  if (!inserted) failCommand(args.archive + ": " + inserted.error().message);

  const bool gzip = bytes->size() >= 2 && (*bytes)[0] == 0x1f && (*bytes)[1] == 0x8b;
  auto out = par::writeArchive(*archive, gzip);
  if (!out) failCommand(out.error().message);
  auto written = writeFile(args.archive, *out);
  if (!written) failCommand(written.error().message);

  std::printf("%s %s as target %s in %s (claims re-signed)\n", replaced ? "Replaced" : "Inserted", args.binary.c_str(),
              args.arch.c_str(), args.archive.c_str());
}

std::string dumpJson(const nlohmann::ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::vector<std::string> targetsOf(const par::ProviderArchive& a) {
  std::vector<std::string> targets;
  for (const auto& [target, lib] : a.libraries) targets.push_back(target);
  return targets;
}

nlohmann::ordered_json archiveJson(const par::ProviderArchive& a) {
  const auto& c = a.claims;
  const auto& m = c.metadata;
  auto opt = [](const auto& v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr); };
  nlohmann::ordered_json j;
  j["issuer"] = c.issuer;
  j["subject"] = c.subject;
  j["capid"] = m.capid;
  j["name"] = m.name;
  j["vendor"] = m.vendor;
  j["rev"] = opt(m.rev);
  j["ver"] = opt(m.ver);
  j["targets"] = targetsOf(a);
  j["target_hashes"] = m.target_hashes;
  j["id"] = c.id;
  j["issued_at"] = c.issued_at;
  j["expires"] = opt(c.expires);
  j["not_before"] = opt(c.not_before);
  return j;
}

void printText(const std::string& file, const par::ProviderArchive& a, const std::optional<Error>& invalid) {
  const auto& c = a.claims;
  const auto& m = c.metadata;
  auto row = [](const char* label, const std::string& value) { std::printf("  %-13s %s\n", label, value.c_str()); };
  std::printf("Provider archive %s\n", file.c_str());
  row("Account", c.issuer);
  row("Service", c.subject);
  row("Capability", m.capid);
  row("Name", m.name.empty() ? "(none)" : m.name);
  row("Vendor", m.vendor);
  row("Version", (m.ver ? *m.ver : std::string("(none)")) + (m.rev ? " (rev " + std::to_string(*m.rev) + ")" : ""));
  for (const auto& [target, lib] : a.libraries) {
    const auto it = m.target_hashes.find(target);
    row("Target", target + "  " + std::to_string(lib.size()) + " bytes  " +
                      (it == m.target_hashes.end() ? std::string("(no hash in the claims)") : it->second));
  }
  row("Issued", claims::formatUnixTime(c.issued_at));
  row("Expires", c.expires ? claims::formatUnixTime(*c.expires) : "never");
  row("Can be used", c.not_before ? "from " + claims::formatUnixTime(*c.not_before) : "immediately");
  row("Token id", c.id);
  row("Valid", invalid ? "NO: " + invalid->message : "yes");
}

void runInspect(const InspectArgs& args) {
  const bool json = args.output == "json";
  auto bytes = readFile(args.archive);
  if (!bytes) failCommand(bytes.error().message);
  auto archive = par::readArchive(*bytes);
  if (!archive) {
    if (json) {
      nlohmann::ordered_json j;
      j["valid"] = false;
      j["error"] = archive.error().message;
      std::printf("%s\n", dumpJson(j).c_str());
      std::fflush(stdout);
    }
    failCommand(args.archive + ": " + archive.error().message);
  }
  std::optional<Error> invalid;
  if (auto verified = par::verifyArchive(*archive, claims::unixNow()); !verified) invalid = verified.error();

  if (json) {
    nlohmann::ordered_json j = archiveJson(*archive);
    j["valid"] = !invalid;
    if (invalid) j["error"] = invalid->message;
    std::printf("%s\n", dumpJson(j).c_str());
  } else {
    printText(args.archive, *archive, invalid);
  }
  std::fflush(stdout);
  if (invalid) failCommand(args.archive + ": provider archive is invalid: " + invalid->message);
}

}  // namespace

void addParCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("par", "Create, extend and inspect provider archives (.par / .par.gz)");
  cmd->require_subcommand(1);

  auto ca = std::make_shared<CreateArgs>();
  CLI::App* create = cmd->add_subcommand("create", "Build a signed provider archive holding one native library");
  create->add_option("-c,--capid", ca->capid, "Capability contract id, e.g. wasmcloud:keyvalue")->required();
  create->add_option("-n,--name", ca->name, "Name of the capability provider")->required();
  create->add_option("-v,--vendor", ca->vendor, "Vendor of the provider, e.g. wasmcloud")->required();
  create->add_option("-r,--rev,--revision", ca->rev, "Revision number (a 32-bit integer)");
  create->add_option("--ver", ca->ver, "Human-readable version, e.g. 0.1.0");
  create->add_option("-a,--arch", ca->arch, "Target of the library as ARCH-OS, e.g. " + par::currentTarget())
      ->required();
  create->add_option("-b,--binary", ca->binary, "The provider's native library (.so)")
      ->required()
      ->check(CLI::ExistingFile);
  create->add_option("-i,--issuer", ca->issuer, "Seed of the issuing account (SA...); generated when absent");
  create->add_option("-s,--subject", ca->subject, "Seed of the provider's service key (SV...); generated when absent");
  create->add_option("-o,--output,--destination", ca->output,
                     "Where to write the archive (default: <binary stem>.par, or .par.gz with --compress)");
  auto* compress =
      create->add_flag("--compress", ca->compress, "gzip the archive (default when the output ends with .gz)");
  create->add_flag("--no-compress", ca->no_compress, "Write a plain tar archive even if the output ends with .gz")
      ->excludes(compress);
  create->add_flag("--disable-keygen", ca->disable_keygen, "Require --issuer and --subject instead of generating keys");
  create->add_option("-x,--expires-in", ca->expires_in, "Validity period from now, e.g. 30s, 10m, 2h, 365d");
  create->add_option("--not-before", ca->not_before, "Delay before the claims become valid, e.g. 10m");
  create->callback([ca] { runCreate(*ca); });

  auto ia = std::make_shared<InsertArgs>();
  CLI::App* insert =
      cmd->add_subcommand("insert", "Add or replace a target's library and re-sign the archive (rewritten in place)");
  insert->add_option("archive", ia->archive, "The provider archive")->required()->check(CLI::ExistingFile);
  insert->add_option("-a,--arch", ia->arch, "Target of the library as ARCH-OS, e.g. aarch64-linux")->required();
  insert->add_option("-b,--binary", ia->binary, "The native library to insert")->required()->check(CLI::ExistingFile);
  insert->add_option("-i,--issuer", ia->issuer, "Seed of the archive's issuing account (SA...)")->required();
  insert->callback([ia] { runInsert(*ia); });

  auto pa = std::make_shared<InspectArgs>();
  CLI::App* inspect = cmd->add_subcommand(
      "inspect", "Print an archive's claims and targets and whether it verifies now (exit 1 if not)");
  inspect->add_option("archive", pa->archive, "The provider archive")->required();
  inspect->add_option("-o,--output", pa->output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  inspect->callback([pa] { runInspect(*pa); });
}

}  // namespace stratus::cli
