// `stratus provider-host`: hidden; what a host runs in a child process for a provider with process isolation
// (docs/providers.md, "Isolation"). Speaks the host's frame protocol on fd 3.
#include <unistd.h>

#include <string>

#include "commands.h"
#include "stratus/capability/provider_host.h"

namespace stratus::cli {

void addProviderHostCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("provider-host", "Run one provider for a host (started by the host itself)");
  cmd->group("");  // hidden from --help: not for people
  auto library = std::make_shared<std::string>();
  auto identity = std::make_shared<capability::ProviderIdentity>();
  cmd->add_option("--library", *library, "The provider library")->required();
  cmd->add_option("--capid", identity->capability_id, "Its capability id (from its claims)");
  cmd->add_option("--name", identity->name, "Its name (from its claims)");
  cmd->callback([library, identity] {
    const int status = capability::runProviderHost(3, *library, *identity);
    std::fflush(nullptr);
    _exit(status);  // provider threads may still run: do not run static destructors under them
  });
}

}  // namespace stratus::cli
