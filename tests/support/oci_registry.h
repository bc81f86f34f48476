// A real OCI registry (distribution's docker-registry) for the OCI client tests, on a free loopback port, in a folder
// of its own; optionally with htpasswd (Basic) auth, or token (Bearer) auth with a token server of its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "support/server_process.h"

namespace stratus::testing {

/// How the registry authenticates clients. Default: anonymous, everyone may pull and push.
struct OciRegistryOptions {
  /// Non-empty: the registry requires HTTP Basic auth (an htpasswd file, bcrypt) with this user and password.
  std::string user;
  std::string password;
  /// The registry uses `auth: token` (Bearer) with a token server the fixture starts too
  /// (tests/support/oci_token_server.mjs, on its own port, realm http://127.0.0.1:<that port>/token, service
  /// "stratus-test"). user/password are then what the token server accepts as HTTP Basic credentials on /token:
  /// they get every action they ask for; anonymous token requests get a token with no access; others get 401.
  bool token_auth = false;
};

/// docker-registry (distribution 2.8) serving plain HTTP on 127.0.0.1 (a free port), its filesystem storage in
/// storageDir() (no blob descriptor cache, so a blob corrupted on disk is served corrupted) with deletes enabled,
/// its config.yml and logs (registry.log, token.log) in dir(). dir() is a fresh folder the test may use too; it is
/// removed with the registry.
class OciRegistry {
 public:
  /// Errors: kNotFound when docker-registry (or, for the auth options, htpasswd, openssl or node) is not installed,
  /// kUnavailable when the registry or token server does not start or a setup tool fails (the message holds its
  /// log's tail).
  static Expected<std::unique_ptr<OciRegistry>> start(const std::string& name, OciRegistryOptions options = {});
  /// Stops the registry and the token server, and removes dir().
  ~OciRegistry();

  uint16_t port() const { return process_.port(); }
  /// "127.0.0.1:<port>", the registry part of an image reference.
  std::string host() const { return "127.0.0.1:" + std::to_string(port()); }
  const std::filesystem::path& dir() const { return dir_; }
  /// The filesystem driver's rootdirectory.
  std::filesystem::path storageDir() const { return dir_ / "storage"; }
  /// The data file of the blob `digest` ("sha256:<hex>") in the filesystem driver's layout
  /// (docker/registry/v2/blobs/sha256/<first two hex digits>/<hex>/data), for tests that corrupt a blob on disk.
  std::filesystem::path blobPath(const std::string& digest) const;
  /// The registry process, to stop, restart, pause or resume it (the token server keeps running).
  ServerProcess& process() { return process_; }

 private:
  OciRegistry(ServerProcess process, std::optional<ServerProcess> token_server, std::filesystem::path dir)
      : process_(std::move(process)), token_server_(std::move(token_server)), dir_(std::move(dir)) {}
  ServerProcess process_;
  std::optional<ServerProcess> token_server_;
  std::filesystem::path dir_;
};

/// Writes a Docker config.json with no credentials into `dir` and returns its path: for ClientOptions::auth in
/// tests, so that the user's own ~/.docker/config.json never takes part.
std::string noCredentials(const std::filesystem::path& dir);

}  // namespace stratus::testing
