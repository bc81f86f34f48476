// `stratus keys`: generate nkeys and derive public keys from seeds.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli_util.h"
#include "commands.h"
#include "stratus/claims/nkeys.h"

namespace stratus::cli {
namespace {

struct GenArgs {
  std::string type;
  std::string output = "text";
};

void runGen(const GenArgs& args) {
  auto type = claims::parseKeyType(args.type);
  if (!type) failCommand(type.error().message);
  auto kp = claims::KeyPair::generate(*type);
  if (!kp) failCommand(kp.error().message);
  auto seed = kp->seed();
  if (!seed) failCommand(seed.error().message);
  if (args.output == "json") {
    nlohmann::ordered_json j;
    j["public_key"] = kp->publicKey();
    j["seed"] = *seed;
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("Public Key: %s\nSeed: %s\n\nRemember that the seed is private: treat it as a secret.\n",
              kp->publicKey().c_str(), seed->c_str());
}

void runGet(const std::string& arg) {
  std::string seed = arg;
  if (seed == "-") {
    // Reading the seed from stdin keeps it out of the shell history and the process list.
    if (!std::getline(std::cin, seed)) failCommand("no seed on standard input");
    while (!seed.empty() && (seed.back() == '\r' || seed.back() == ' ')) seed.pop_back();
  }
  auto kp = claims::KeyPair::fromSeed(seed);
  if (!kp) failCommand(kp.error().message);
  std::printf("%s\n", kp->publicKey().c_str());
}

}  // namespace

void addKeysCommand(CLI::App& app) {
  CLI::App* keys = app.add_subcommand("keys", "Generate and inspect nkeys (Ed25519 keys with a type prefix)");
  keys->require_subcommand(1);

  auto gen_args = std::make_shared<GenArgs>();
  CLI::App* gen = keys->add_subcommand("gen", "Generate a key pair and print its public key and seed");
  gen->add_option("type", gen_args->type,
                  "Key type: account, cluster, operator, module (actor), server, service (provider), user")
      ->required();
  gen->add_option("-o,--output", gen_args->output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  gen->callback([gen_args] { runGen(*gen_args); });

  auto seed = std::make_shared<std::string>();
  CLI::App* get = keys->add_subcommand("get", "Print the public key of a seed");
  get->add_option("seed", *seed, "An encoded seed (S...), or - to read it from standard input")->required();
  get->callback([seed] { runGet(*seed); });
}

}  // namespace stratus::cli
