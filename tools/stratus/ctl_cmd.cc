// `stratus ctl`: drive a lattice through its control interface, as `wash ctl` (wasmCloud 0.18 era) does: list hosts,
// inventories, links and claims; start and stop actors and providers; set and remove links; call actors. The work is
// done by lattice::ControlClient; this file parses arguments and prints.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "commands.h"
#include "stratus/common/strings.h"
#include "stratus/lattice/control_client.h"

namespace stratus::cli {
namespace {

struct CtlArgs {
  // Connection and output, common to every verb.
  std::string output = "text";
  std::string ctl_host = "127.0.0.1";
  uint16_t ctl_port = 4222;
  std::string creds_file, jwt, seed;
  std::string cluster_seed;
  int timeout_ms = 2000;
  std::string ns = "default";
  bool verbose = false;
  // The verbs' own arguments (one verb runs per invocation).
  std::string host_id, ref, actor, provider, contract_id, link_name, operation, new_ref;
  std::string payload, payload_file, payload_json;
  std::vector<std::string> constraints, values;
  bool raw = false;

  bool json() const { return output == "json"; }
};

std::unique_ptr<lattice::ControlClient> connect(const CtlArgs& args) {
  spdlog::set_level(args.verbose ? spdlog::level::info : spdlog::level::warn);
  lattice::NatsEndpoint endpoint{args.ctl_host, args.ctl_port, args.creds_file, valueOrFile(args.jwt),
                                 valueOrFile(args.seed)};
  auto client = lattice::ControlClient::connect(endpoint, args.ns, std::chrono::milliseconds(args.timeout_ms),
                                                valueOrFile(args.cluster_seed));
  if (!client) failCommand(client.error().message);
  return std::move(*client);
}

std::map<std::string, std::string> keyValues(const std::vector<std::string>& items, const std::string& what) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) failCommand(what + " '" + item + "': expected KEY=VALUE");
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

std::string optional(const std::optional<std::string>& value) { return value.value_or("N/A"); }

nlohmann::json optionalJson(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// Left-aligned columns, two spaces apart, as wash's blank table style.
void printTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

void printJson(nlohmann::json j) {
  j["success"] = true;
  std::cout << j.dump(2) << "\n";
}

// Text output, or `j` (plus "success": true) as JSON.
void report(const CtlArgs& args, const std::string& text, nlohmann::json j) {
  if (args.json()) {
    printJson(std::move(j));
  } else {
    std::cout << text << "\n";
  }
}

void getHosts(const CtlArgs& args) {
  auto hosts = connect(args)->hosts();
  if (!hosts) failCommand(hosts.error().message);
  if (args.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& h : *hosts) list.push_back({{"id", h.id}, {"uptime_seconds", h.uptime_seconds}});
    printJson({{"hosts", list}});
    return;
  }
  std::vector<std::vector<std::string>> rows{{"Host ID", "Uptime (seconds)"}};
  for (const auto& h : *hosts) rows.push_back({h.id, std::to_string(h.uptime_seconds)});
  printTable(rows);
}

void getInventory(const CtlArgs& args) {
  auto inv = connect(args)->inventory(args.host_id);
  if (!inv) failCommand(inv.error().message);
  if (args.json()) {
    nlohmann::json actors = nlohmann::json::array(), providers = nlohmann::json::array();
    for (const auto& a : inv->actors) {
      actors.push_back({{"id", a.id},
                        {"image_ref", optionalJson(a.image_ref)},
                        {"name", optionalJson(a.name)},
                        {"revision", a.revision}});
    }
    for (const auto& p : inv->providers) {
      providers.push_back({{"id", p.id},
                           {"link_name", p.link_name},
                           {"image_ref", optionalJson(p.image_ref)},
                           {"name", optionalJson(p.name)},
                           {"revision", p.revision}});
    }
    printJson({{"inventory",
                {{"host_id", inv->host_id}, {"labels", inv->labels}, {"actors", actors}, {"providers", providers}}}});
    return;
  }
  std::cout << "Host Inventory (" << inv->host_id << ")\n\n";
  if (inv->labels.empty()) {
    std::cout << "No labels present\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, v] : inv->labels) rows.push_back({"  " + k, v});
    printTable(rows);
  }
  std::cout << "\n";
  if (inv->actors.empty()) {
    std::cout << "No actors found\n";
  } else {
    std::vector<std::vector<std::string>> rows{{"Actor ID", "Name", "Revision", "Image Reference"}};
    for (const auto& a : inv->actors) {
      rows.push_back({a.id, optional(a.name), std::to_string(a.revision), optional(a.image_ref)});
    }
    printTable(rows);
  }
  std::cout << "\n";
  if (inv->providers.empty()) {
    std::cout << "No providers found\n";
  } else {
    std::vector<std::vector<std::string>> rows{{"Provider ID", "Name", "Link Name", "Revision", "Image Reference"}};
    for (const auto& p : inv->providers) {
      rows.push_back({p.id, optional(p.name), p.link_name, std::to_string(p.revision), optional(p.image_ref)});
    }
    printTable(rows);
  }
}

void getLinks(const CtlArgs& args) {
  auto links = connect(args)->links();
  if (!links) failCommand(links.error().message);
  if (args.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& l : *links) {
      list.push_back({{"actor_id", l.actor_id},
                      {"provider_id", l.provider_id},
                      {"contract_id", l.contract_id},
                      {"link_name", l.link_name},
                      {"values", l.values}});
    }
    printJson({{"links", list}});
    return;
  }
  if (links->empty()) {
    std::cout << "No links found\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{{"Actor ID", "Provider ID", "Contract ID", "Link Name", "Values"}};
  for (const auto& l : *links) {
    std::vector<std::string> values;
    for (const auto& [k, v] : l.values) values.push_back(k + "=" + v);
    rows.push_back({l.actor_id, l.provider_id, l.contract_id, l.link_name, join(values, ",")});
  }
  printTable(rows);
}

void getClaims(const CtlArgs& args) {
  auto claims = connect(args)->claims();
  if (!claims) failCommand(claims.error().message);
  if (args.json()) {
    printJson({{"claims", *claims}});
    return;
  }
  if (claims->empty()) {
    std::cout << "No claims found\n";
    return;
  }
  const auto get = [](const lattice::ClaimsValues& c, const std::string& key) {
    auto it = c.find(key);
    return it == c.end() ? std::string() : it->second;
  };
  std::vector<std::vector<std::string>> rows{{"Subject", "Issuer", "Capabilities", "Version", "Revision"}};
  for (const auto& c : *claims) {
    rows.push_back({get(c, "sub"), get(c, "iss"), get(c, "caps"), get(c, "version"), get(c, "rev")});
  }
  printTable(rows);
}

void startActor(const CtlArgs& args) {
  auto client = connect(args);
  std::string host = args.host_id;
  if (host.empty()) {
    auto chosen = client->startActorAnywhere(args.ref, keyValues(args.constraints, "--constraint"));
    if (!chosen) failCommand(chosen.error().message);
    host = *chosen;
  } else if (auto started = client->startActor(host, args.ref); !started) {
    failCommand(started.error().message);
  }
  report(args, "Host " + host + " acknowledged: start actor " + args.ref, {{"host_id", host}, {"actor_ref", args.ref}});
}

void startProvider(const CtlArgs& args) {
  auto client = connect(args);
  std::string host = args.host_id;
  if (host.empty()) {
    auto chosen = client->startProviderAnywhere(args.ref, args.link_name, keyValues(args.constraints, "--constraint"));
    if (!chosen) failCommand(chosen.error().message);
    host = *chosen;
  } else if (auto started = client->startProvider(host, args.ref, args.link_name); !started) {
    failCommand(started.error().message);
  }
  report(args, "Host " + host + " acknowledged: start provider " + args.ref + " (link name '" + args.link_name + "')",
         {{"host_id", host}, {"provider_ref", args.ref}, {"link_name", args.link_name}});
}

void stopActor(const CtlArgs& args) {
  if (auto stopped = connect(args)->stopActor(args.host_id, args.actor); !stopped) {
    failCommand(stopped.error().message);
  }
  report(args, "Host " + args.host_id + " acknowledged: stop actor " + args.actor,
         {{"host_id", args.host_id}, {"actor_ref", args.actor}});
}

void stopProvider(const CtlArgs& args) {
  auto stopped = connect(args)->stopProvider(args.host_id, args.provider, args.link_name, args.contract_id);
  if (!stopped) failCommand(stopped.error().message);
  report(args,
         "Host " + args.host_id + " acknowledged: stop provider " + args.provider + " (" + args.contract_id +
             ", link name '" + args.link_name + "')",
         {{"host_id", args.host_id},
          {"provider_ref", args.provider},
          {"link_name", args.link_name},
          {"contract_id", args.contract_id}});
}

void updateActor(const CtlArgs& args) {
  if (auto updated = connect(args)->updateActor(args.host_id, args.actor, args.new_ref); !updated) {
    failCommand(updated.error().message);
  }
  report(args, "Host " + args.host_id + " acknowledged: update actor " + args.actor + " to " + args.new_ref,
         {{"host_id", args.host_id}, {"actor_id", args.actor}, {"new_actor_ref", args.new_ref}});
}

void linkPut(const CtlArgs& args) {
  const host::LinkDefinition link{args.actor, args.provider, args.contract_id, args.link_name,
                                  keyValues(args.values, "link value")};
  if (auto put = connect(args)->putLink(link); !put) failCommand(put.error().message);
  report(args,
         "Published link (" + link.actor_id + ") <-> (" + link.provider_id + ") for " + link.contract_id +
             ", link name '" + link.link_name + "'",
         {{"actor_id", link.actor_id},
          {"provider_id", link.provider_id},
          {"contract_id", link.contract_id},
          {"link_name", link.link_name},
          {"values", link.values}});
}

void linkDel(const CtlArgs& args) {
  if (auto deleted = connect(args)->deleteLink(args.actor, args.contract_id, args.link_name); !deleted) {
    failCommand(deleted.error().message);
  }
  report(args, "Deleted link for " + args.actor + " on " + args.contract_id + " (link name '" + args.link_name + "')",
         {{"actor_id", args.actor}, {"contract_id", args.contract_id}, {"link_name", args.link_name}});
}

Bytes callPayload(const CtlArgs& args) {
  if (!args.payload_file.empty()) {
    auto bytes = readFile(args.payload_file);
    if (!bytes) failCommand("--payload-file: " + bytes.error().message);
    return std::move(*bytes);
  }
  if (!args.payload_json.empty()) {
    auto j = nlohmann::json::parse(args.payload_json, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) failCommand("--payload-json is not valid JSON: " + args.payload_json);
    return nlohmann::json::to_msgpack(j);
  }
  return Bytes(args.payload.begin(), args.payload.end());
}

void call(const CtlArgs& args) {
  auto reply = connect(args)->call(args.actor, args.operation, callPayload(args));
  if (!reply) failCommand(reply.error().message);
  if (args.json()) {
    const std::string text(reply->begin(), reply->end());
    try {
      (void)nlohmann::json(text).dump();  // throws when the reply is not UTF-8
      printJson({{"response", text}});
    } catch (const nlohmann::json::type_error&) {
      printJson({{"response_bytes", *reply}});
    }
    return;
  }
  std::cout.write(reinterpret_cast<const char*>(reply->data()), static_cast<std::streamsize>(reply->size()));
  if (!args.raw && !reply->empty() && reply->back() != '\n') std::cout << "\n";
  std::cout.flush();
}

// Connection and output options, on every verb so that they may follow its arguments.
void addCommonOptions(CLI::App* cmd, CtlArgs& args) {
  cmd->add_option("-o,--output", args.output, "Output format: text (tables) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--ctl-host", args.ctl_host, "NATS host of the lattice's control interface")
      ->envname("WASH_CTL_HOST")
      ->capture_default_str();
  cmd->add_option("--ctl-port", args.ctl_port, "NATS port of the lattice's control interface")
      ->envname("WASH_CTL_PORT")
      ->capture_default_str();
  cmd->add_option("--ctl-credsfile", args.creds_file, "NATS credentials file (user JWT and seed)")
      ->envname("WASH_CTL_CREDSFILE");
  cmd->add_option("--ctl-jwt", args.jwt, "NATS user JWT (or a file holding it); needs --ctl-seed")
      ->envname("WASH_CTL_JWT");
  cmd->add_option("--ctl-seed", args.seed, "NATS nkey seed (or a file holding it)")->envname("WASH_CTL_SEED");
  cmd->add_option("--timeout", args.timeout_ms,
                  "How long each query, auction, command or call waits for answers, in milliseconds")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  cmd->add_option("--cluster-seed", args.cluster_seed,
                  "Cluster seed ('SC…', or a file holding it) to sign `call` with, for hosts that accept only "
                  "their cluster issuers")
      ->envname("WASH_CLUSTER_SEED");
  cmd->add_option("--nsprefix", args.ns, "Lattice namespace")->envname("WASH_NSPREFIX")->capture_default_str();
  cmd->add_flag("-v,--verbose", args.verbose, "Log connection activity to stderr");
}

CLI::App* verb(CLI::App* parent, const std::string& name, const std::string& description,
               const std::shared_ptr<CtlArgs>& args, void (*run)(const CtlArgs&)) {
  auto* cmd = parent->add_subcommand(name, description);
  cmd->callback([args, run] { run(*args); });
  return cmd;
}

void addPlacement(CLI::App* cmd, CtlArgs& args) {
  auto* host = cmd->add_option("--host-id", args.host_id,
                               "Host to start it on; without it, an auction picks one of the hosts that bid");
  cmd->add_option("-c,--constraint", args.constraints,
                  "Label KEY=VALUE a bidding host must carry (repeat for more); only without --host-id")
      ->allow_extra_args(false)
      ->excludes(host);
}

}  // namespace

void addCtlCommand(CLI::App& app) {
  auto args = std::make_shared<CtlArgs>();
  args->link_name = "default";
  auto* ctl = app.add_subcommand("ctl", "Drive a lattice through its control interface (as wash ctl)");
  ctl->require_subcommand(1);

  auto* get = ctl->add_subcommand("get", "Query the lattice");
  get->require_subcommand(1);
  auto* hosts = verb(get, "hosts", "List the hosts that answer within the timeout", args, getHosts);
  addCommonOptions(hosts, *args);
  auto* inventory = verb(get, "inventory", "What one host runs: labels, actors, providers", args, getInventory);
  inventory->add_option("host-id", args->host_id, "Host ID (N…)")->required();
  addCommonOptions(inventory, *args);
  auto* links = verb(get, "links", "The lattice's link definitions", args, getLinks);
  addCommonOptions(links, *args);
  auto* claims = verb(get, "claims", "The claims of every actor known in the lattice", args, getClaims);
  addCommonOptions(claims, *args);

  auto* start = ctl->add_subcommand("start", "Start an actor or a provider on a host");
  start->require_subcommand(1);
  auto* start_actor =
      verb(start, "actor", "Start an actor (an OCI reference, or a file path the host reads)", args, startActor);
  start_actor->add_option("actor-ref", args->ref, "Actor reference")->required();
  addPlacement(start_actor, *args);
  addCommonOptions(start_actor, *args);
  auto* start_provider =
      verb(start, "provider", "Start a provider (an archive reference the host reads)", args, startProvider);
  start_provider->add_option("provider-ref", args->ref, "Provider reference")->required();
  start_provider->add_option("-l,--link-name", args->link_name, "Link name")->capture_default_str();
  addPlacement(start_provider, *args);
  addCommonOptions(start_provider, *args);

  auto* stop = ctl->add_subcommand("stop", "Stop an actor or a provider on a host");
  stop->require_subcommand(1);
  auto* stop_actor = verb(stop, "actor", "Stop an actor", args, stopActor);
  stop_actor->add_option("host-id", args->host_id, "Host ID (N…)")->required();
  stop_actor->add_option("actor-ref", args->actor, "Actor public key or the reference it was started from")->required();
  addCommonOptions(stop_actor, *args);
  auto* stop_provider = verb(stop, "provider", "Stop a provider", args, stopProvider);
  stop_provider->add_option("host-id", args->host_id, "Host ID (N…)")->required();
  stop_provider->add_option("provider-ref", args->provider, "Provider public key or the reference it was started from")
      ->required();
  stop_provider->add_option("link-name", args->link_name, "Link name it serves")->required();
  stop_provider->add_option("contract-id", args->contract_id, "Capability contract id, e.g. wasmcloud:httpserver")
      ->required();
  addCommonOptions(stop_provider, *args);

  auto* update = ctl->add_subcommand("update", "Live-update an actor");
  update->require_subcommand(1);
  auto* update_actor = verb(update, "actor", "Replace a running actor with a new revision", args, updateActor);
  update_actor->add_option("host-id", args->host_id, "Host ID (N…)")->required();
  update_actor->add_option("actor-id", args->actor, "Public key of the running actor (M…)")->required();
  update_actor->add_option("new-actor-ref", args->new_ref, "Reference of the new revision")->required();
  addCommonOptions(update_actor, *args);

  auto* link = ctl->add_subcommand("link", "Set or remove a link between an actor and a provider");
  link->require_subcommand(1);
  auto* put =
      verb(link, "put", "Set a link lattice-wide (it outlives the hosts when NATS has JetStream)", args, linkPut);
  put->add_option("actor-id", args->actor, "Actor public key (M…)")->required();
  put->add_option("provider-id", args->provider, "Provider public key (V…)")->required();
  put->add_option("contract-id", args->contract_id, "Capability contract id, e.g. wasmcloud:httpserver")->required();
  put->add_option("values", args->values, "Link values KEY=VALUE ...");
  put->add_option("-l,--link-name", args->link_name, "Link name")->capture_default_str();
  addCommonOptions(put, *args);
  auto* del = verb(link, "del", "Remove a link lattice-wide", args, linkDel);
  del->add_option("actor-id", args->actor, "Actor public key (M…)")->required();
  del->add_option("contract-id", args->contract_id, "Capability contract id")->required();
  del->add_option("-l,--link-name", args->link_name, "Link name")->capture_default_str();
  addCommonOptions(del, *args);

  auto* call_cmd = verb(ctl, "call", "Call an operation on an actor wherever it runs in the lattice", args, call);
  call_cmd->add_option("actor-id", args->actor, "Actor public key (M…)")->required();
  call_cmd->add_option("operation", args->operation, "Operation, e.g. HandleRequest")->required();
  auto* text = call_cmd->add_option("--payload", args->payload, "Send this text as the payload");
  auto* file = call_cmd->add_option("--payload-file", args->payload_file, "Send this file's bytes as the payload");
  auto* json = call_cmd->add_option("--payload-json", args->payload_json,
                                    "Send this JSON, encoded as msgpack, as the payload (as wash call does)");
  text->excludes(file)->excludes(json);
  file->excludes(json);
  call_cmd->add_flag("--raw", args->raw, "Print the reply's bytes exactly (no newline added)");
  addCommonOptions(call_cmd, *args);
}

}  // namespace stratus::cli
