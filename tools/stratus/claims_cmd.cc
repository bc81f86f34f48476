// `stratus claims`: sign a wasm actor with embedded wascap claims, and inspect/validate them.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "stratus/claims/claims.h"
#include "stratus/claims/nkeys.h"
#include "stratus/claims/wasm.h"

namespace stratus::cli {
namespace {

struct SignArgs {
  std::string input;
  std::string output;
  std::string name;
  std::vector<std::string> caps;
  std::vector<std::string> tags;
  std::optional<int32_t> rev;
  std::optional<std::string> ver;
  std::optional<std::string> call_alias;
  std::string issuer;
  std::string subject;
  std::string expires_in;
  std::string not_before;
  bool provider = false;
};

struct InspectArgs {
  std::string input;
  std::string output = "text";
};

std::string withArticle(std::string_view noun) {
  const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(noun);
}

// The key given as a seed (checked to be of `type`), or a fresh key of `type` when `seed` is empty.
claims::KeyPair loadOrGenerate(const std::string& seed, claims::KeyType type, std::string_view role,
                               bool* generated) {
  *generated = seed.empty();
  if (seed.empty()) {
    auto kp = claims::KeyPair::generate(type);
    if (!kp) failCommand(kp.error().message);
    return *kp;
  }
  auto kp = claims::KeyPair::fromSeed(seed);
  if (!kp) failCommand("--" + std::string(role) + ": " + kp.error().message);
  if (kp->type() != type) {
    failCommand("--" + std::string(role) + " must be " + withArticle(claims::keyTypeName(type)) +
                " key (a seed starting with 'S" + claims::keyTypePrefix(type) + "'), but this is " +
                withArticle(claims::keyTypeName(kp->type())) + " key ('S" + claims::keyTypePrefix(kp->type()) +
                "...')");
  }
  return *kp;
}

std::string defaultOutput(const std::string& input) {
  const std::string ext = ".wasm";
  if (input.size() > ext.size() && input.compare(input.size() - ext.size(), ext.size(), ext) == 0) {
    return input.substr(0, input.size() - ext.size()) + "_s.wasm";
  }
  return input + "_s.wasm";
}

void runSign(const SignArgs& args) {
  auto wasm = readFile(args.input);
  if (!wasm) failCommand(wasm.error().message);

  const int64_t now = claims::unixNow();
  std::optional<int64_t> expires;
  std::optional<int64_t> not_before;
  if (!args.expires_in.empty()) {
    auto d = parseDuration(args.expires_in);
    if (!d) failCommand("--expires-in: " + d.error().message);
    expires = now + d->count();
  }
  if (!args.not_before.empty()) {
    auto d = parseDuration(args.not_before);
    if (!d) failCommand("--not-before: " + d.error().message);
    not_before = now + d->count();
  }
  if (expires && not_before && *expires <= *not_before) {
    failCommand("--expires-in must be later than --not-before, or the claims can never be used");
  }

  bool issuer_generated = false;
  bool subject_generated = false;
  claims::KeyPair issuer = loadOrGenerate(args.issuer, claims::KeyType::kAccount, "issuer", &issuer_generated);
  claims::KeyPair subject = loadOrGenerate(args.subject, claims::KeyType::kModule, "subject", &subject_generated);

  claims::ActorClaims c;
  c.subject = subject.publicKey();
  c.issued_at = now;
  c.expires = expires;
  c.not_before = not_before;
  c.metadata.name = args.name;
  c.metadata.caps = args.caps;
  c.metadata.tags = args.tags;
  c.metadata.rev = args.rev;
  c.metadata.ver = args.ver;
  c.metadata.provider = args.provider;
  if (args.call_alias) {
    std::string alias = claims::normalizeCallAlias(*args.call_alias);
    if (alias.empty()) failCommand("--call-alias '" + *args.call_alias + "' is empty once normalized");
    c.metadata.call_alias = std::move(alias);
  }

  auto signed_wasm = claims::embedClaims(*wasm, std::move(c), issuer);
  if (!signed_wasm) failCommand(args.input + ": " + signed_wasm.error().message);
  const std::string out = args.output.empty() ? defaultOutput(args.input) : args.output;
  auto written = writeFile(out, *signed_wasm);
  if (!written) failCommand(written.error().message);

  if (issuer_generated) {
    std::printf("Generated issuer (account) key %s\n  seed: %s\n  keep this seed to sign future revisions\n",
                issuer.publicKey().c_str(), issuer.seed()->c_str());
  }
  if (subject_generated) {
    std::printf("Generated subject (module) key %s\n  seed: %s\n  keep this seed: it is the actor's identity\n",
                subject.publicKey().c_str(), subject.seed()->c_str());
  }
  auto hash = claims::moduleHash(*signed_wasm);
  std::printf("Signed %s -> %s\n  module %s\n  issuer %s\n  hash   %s\n", args.input.c_str(), out.c_str(),
              subject.publicKey().c_str(), issuer.publicKey().c_str(), hash ? hash->c_str() : "?");
}

std::string joined(const std::vector<std::string>& items) {
  if (items.empty()) return "None";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

void printText(const std::string& file, const claims::ActorClaims& c, const std::string& actual_hash,
               const std::optional<Error>& invalid) {
  const auto& m = c.metadata;
  auto row = [](const char* label, const std::string& value) { std::printf("  %-13s %s\n", label, value.c_str()); };
  std::printf("Claims of %s\n", file.c_str());
  row("Account", c.issuer);
  row("Module", c.subject);
  row("Name", m.name.empty() ? "(none)" : m.name);
  row("Version", (m.ver ? *m.ver : std::string("(none)")) + (m.rev ? " (rev " + std::to_string(*m.rev) + ")" : ""));
  row("Call alias", m.call_alias ? *m.call_alias : "(none)");
  row("Capabilities", joined(m.caps));
  row("Tags", joined(m.tags));
  row("Provider", m.provider ? "yes" : "no");
  row("Issued", claims::formatUnixTime(c.issued_at));
  row("Expires", c.expires ? claims::formatUnixTime(*c.expires) : "never");
  row("Can be used", c.not_before ? "from " + claims::formatUnixTime(*c.not_before) : "immediately");
  row("Hash", m.hash);
  if (!actual_hash.empty() && actual_hash != m.hash) row("Module hash", actual_hash);
  row("Token id", c.id);
  row("Valid", invalid ? "NO: " + invalid->message : "yes");
}

nlohmann::ordered_json claimsJson(const claims::ActorClaims& c, const std::string& actual_hash) {
  const auto& m = c.metadata;
  auto opt = [](const auto& v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr); };
  nlohmann::ordered_json j;
  j["issuer"] = c.issuer;
  j["subject"] = c.subject;
  j["name"] = m.name;
  j["caps"] = m.caps;
  j["tags"] = m.tags;
  j["rev"] = opt(m.rev);
  j["ver"] = opt(m.ver);
  j["call_alias"] = opt(m.call_alias);
  j["provider"] = m.provider;
  j["hash"] = m.hash;
  j["module_hash"] = actual_hash.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(actual_hash);
  j["id"] = c.id;
  j["issued_at"] = c.issued_at;
  j["expires"] = opt(c.expires);
  j["not_before"] = opt(c.not_before);
  return j;
}

std::string dumpJson(const nlohmann::ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void runInspect(const InspectArgs& args) {
  const bool json = args.output == "json";
  auto wasm = readFile(args.input);
  if (!wasm) failCommand(wasm.error().message);

  auto decoded = claims::decodeActor(*wasm);
  if (!decoded) {
    if (json) {
      nlohmann::ordered_json j;
      j["valid"] = false;
      j["error"] = decoded.error().message;
      std::printf("%s\n", dumpJson(j).c_str());
    }
    failCommand(args.input + ": " + decoded.error().message);
  }
  auto actual_hash = claims::moduleHash(*wasm);
  auto verified = claims::verifyActor(*wasm, claims::unixNow());
  std::optional<Error> invalid;
  if (!verified) invalid = verified.error();

  if (json) {
    nlohmann::ordered_json j = claimsJson(*decoded, actual_hash ? *actual_hash : std::string());
    j["valid"] = !invalid;
    if (invalid) j["error"] = invalid->message;
    std::printf("%s\n", dumpJson(j).c_str());
  } else {
    printText(args.input, *decoded, actual_hash ? *actual_hash : std::string(), invalid);
  }
  std::fflush(stdout);
  if (invalid) failCommand(args.input + ": claims are invalid: " + invalid->message);
}

}  // namespace

void addClaimsCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("claims", "Sign actors with wascap claims and inspect them");
  cmd->require_subcommand(1);

  auto sa = std::make_shared<SignArgs>();
  CLI::App* sign = cmd->add_subcommand("sign", "Embed signed claims in a wasm actor (replacing any existing ones)");
  sign->add_option("module", sa->input, "The wasm module to sign")->required()->check(CLI::ExistingFile);
  sign->add_option("-o,--output", sa->output, "Where to write the signed module (default: <module>_s.wasm)");
  sign->add_option("-n,--name", sa->name, "Friendly name of the actor")->required();
  // One value per occurrence, so `--cap a in.wasm` does not swallow the module path.
  sign->add_option("-c,--cap", sa->caps, "A capability contract the actor may use, e.g. wasmcloud:keyvalue "
                                         "(repeat for more)")
      ->allow_extra_args(false);
  sign->add_option("-t,--tag", sa->tags, "A free-form tag (repeat for more)")->allow_extra_args(false);
  sign->add_option("-r,--rev", sa->rev, "Revision number (a 32-bit integer)");
  sign->add_option("-v,--ver", sa->ver, "Human-readable version, e.g. 0.1.0");
  sign->add_option("-a,--call-alias", sa->call_alias, "Call alias (normalized: lowercase, ' ' '-' '.' -> '_')");
  sign->add_option("-i,--issuer", sa->issuer, "Seed of the issuing account (SA...); generated when absent");
  sign->add_option("-u,--subject", sa->subject, "Seed of the actor's module key (SM...); generated when absent");
  sign->add_option("-x,--expires-in", sa->expires_in, "Validity period from now, e.g. 30s, 10m, 2h, 7d");
  sign->add_option("-b,--not-before", sa->not_before, "Delay before the claims become valid, e.g. 10m");
  sign->add_flag("-p,--provider", sa->provider, "Mark the module as a (wasm) capability provider");
  sign->callback([sa] { runSign(*sa); });

  auto ia = std::make_shared<InspectArgs>();
  CLI::App* inspect = cmd->add_subcommand("inspect", "Print a module's claims and whether they are valid now "
                                                     "(exit status 1 when not)");
  inspect->add_option("module", ia->input, "The wasm module")->required();
  inspect->add_option("-o,--output", ia->output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  inspect->callback([ia] { runInspect(*ia); });
}

}  // namespace stratus::cli
