// The OCI distribution API (v2) client: requests with auth retries, manifests and blobs verified by digest,
// monolithic and chunked uploads, and wasmCloud artifacts on top.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "oci/auth.h"
#include "oci/digest.h"
#include "oci/http.h"
#include "oci/manifest.h"
#include "stratus/common/thread_annotations.h"
#include "stratus/oci/oci.h"

namespace stratus::oci {
namespace {

constexpr uint64_t kMaxManifestBytes = 4 << 20;
constexpr uint64_t kMaxBlobBytes = uint64_t{4} << 30;
constexpr const char* kManifestAccept =
    "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";

enum class Access { kPull, kPush };

// The registry's own words: {"errors":[{"code":"…","message":"…"}]}.
std::string registryErrorText(const HttpResponse& response) {
  const auto j = nlohmann::json::parse(response.text(), nullptr, false);
  std::string text;
  if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      if (!text.empty()) text += "; ";
      text += e.value("code", std::string()) + ": " + e.value("message", std::string());
    }
  }
  return text;
}

Unexpected statusError(const std::string& what, const HttpResponse& response) {
  const long s = response.status;
  const ErrorCode code = s == 401 || s == 403 ? ErrorCode::kPermissionDenied
                         : s == 404           ? ErrorCode::kNotFound
                         : s == 400           ? ErrorCode::kInvalidArgument
                                              : ErrorCode::kUnavailable;
  std::string message = what + ": HTTP " + std::to_string(s);
  if (const auto text = registryErrorText(response); !text.empty()) message += " (" + text + ")";
  return fail(code, std::move(message));
}

}  // namespace

struct RegistryClient::Impl {
  ClientOptions options;
  Mutex mu;
  /// Authorization header values by "registry scope" (Bearer tokens per scope; Basic per registry).
  std::map<std::string, std::string> authorization STRATUS_GUARDED_BY(mu);

  bool insecure(const std::string& registry) const {
    const std::string host = registry.substr(0, registry.rfind(':'));
    return std::any_of(options.allowed_insecure.begin(), options.allowed_insecure.end(),
                       [&](const std::string& allowed) { return allowed == registry || allowed == host; });
  }

  std::string base(const Reference& ref) const {
    const std::string host = ref.registry == "docker.io" ? "registry-1.docker.io" : ref.registry;
    return (insecure(ref.registry) ? "http://" : "https://") + host;
  }

  std::string repoUrl(const Reference& ref) const { return base(ref) + "/v2/" + ref.repository; }

  std::string resolveLocation(const Reference& ref, const std::string& location) const {
    if (location.starts_with("http://") || location.starts_with("https://")) return location;
    return base(ref) + (location.starts_with("/") ? "" : "/") + location;
  }

  std::function<void(uint64_t, uint64_t)> reporter(std::string what) const {
    if (!options.progress) return {};
    struct Last {
      std::chrono::steady_clock::time_point at;
      uint64_t done = 0, total = 0;
    };
    auto last = std::make_shared<Last>();
    // A few reports a second, the final one once (curl repeats it).
    return [this, what = std::move(what), last](uint64_t done, uint64_t total) {
      const auto now = std::chrono::steady_clock::now();
      if (done == last->done && total == last->total) return;
      if (now - last->at < std::chrono::milliseconds(250) && done != total) return;
      *last = {now, done, total};
      options.progress(Progress{what, done, total});
    };
  }

  // Sends `request` to `ref`'s registry with the authorization it asked for before; on a 401 gets what the
  // challenge asks for (Basic credentials, or a Bearer token for the scope) and tries once more.
  Expected<HttpResponse> send(const Reference& ref, HttpRequest request, Access access) {
    const std::string scope = "repository:" + ref.repository + (access == Access::kPush ? ":pull,push" : ":pull");
    const std::string key = ref.registry + " " + scope;
    request.timeout = options.timeout;
    const auto base_headers = request.headers;
    for (int attempt = 0;; ++attempt) {
      request.headers = base_headers;
      {
        MutexLock lock(mu);
        if (auto it = authorization.find(key); it != authorization.end()) {
          request.headers.push_back("Authorization: " + it->second);
        } else if (auto basic = authorization.find(ref.registry); basic != authorization.end()) {
          request.headers.push_back("Authorization: " + basic->second);
        }
      }
      auto response = performHttp(request);
      if (!response) return fail(response.takeError().prefixed(ref.str() + ": "));
      if (response->status != 401 || attempt > 0) return response;

      auto challenge = parseChallenge(response->header("www-authenticate"));
      if (!challenge) return fail(challenge.takeError().prefixed(ref.str() + ": HTTP 401 with "));
      auto credentials = findCredentials(options.auth, ref.registry);
      if (!credentials) return fail(credentials.takeError());
      if (challenge->scheme == "basic") {
        if (!*credentials) {
          return fail(ErrorCode::kPermissionDenied,
                      ref.str() + ": registry " + ref.registry +
                          " requires credentials (OCI_REGISTRY_USER / OCI_REGISTRY_PASSWORD, or a credentials file)");
        }
        MutexLock lock(mu);
        authorization[ref.registry] = basicAuthorization(**credentials);
      } else if (challenge->scheme == "bearer") {
        auto token = fetchBearerToken(*challenge, scope, *credentials, options.timeout);
        if (!token) return fail(token.takeError().prefixed(ref.str() + ": "));
        MutexLock lock(mu);
        authorization[key] = "Bearer " + *token;
      } else {
        return fail(ErrorCode::kPermissionDenied,
                    ref.str() + ": registry asks for unsupported authentication '" + challenge->scheme + "'");
      }
    }
  }

  Expected<void> checkPolicy(const Reference& ref) const {
    if (ref.tag == "latest" && ref.digest.empty() && !options.allow_latest) {
      return fail(ErrorCode::kPermissionDenied, ref.str() +
                                                    ": references to ':latest' (or without a tag) are refused unless "
                                                    "allowed (--allow-latest / --allow-oci-latest): pin a version");
    }
    return {};
  }
};

RegistryClient::RegistryClient(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}
RegistryClient::~RegistryClient() = default;

const ClientOptions& RegistryClient::options() const { return impl_->options; }

Expected<void> RegistryClient::checkPolicy(const Reference& ref) const { return impl_->checkPolicy(ref); }

Expected<Manifest> RegistryClient::getManifest(const Reference& ref) {
  HttpRequest request;
  request.url = impl_->repoUrl(ref) + "/manifests/" + ref.identifier();
  request.headers = {kManifestAccept};
  request.max_response_bytes = kMaxManifestBytes;
  auto response = impl_->send(ref, std::move(request), Access::kPull);
  if (!response) return fail(response.takeError());
  if (response->status != 200) return statusError(ref.str() + ": GET manifest", *response);
  const std::string what = ref.str() + ": manifest";
  std::string digest = sha256Digest(std::span<const uint8_t>(response->body));
  if (!ref.digest.empty()) {
    if (auto ok = verifyDigest(response->body, ref.digest, what); !ok) return fail(ok.takeError());
  }
  if (const auto claimed = response->header("docker-content-digest"); isSha256Digest(claimed) && claimed != digest) {
    return fail(ErrorCode::kMalformed, what + ": digest mismatch: the registry says " + claimed + ", the bytes are " +
                                           digest + " (corrupted or substituted content)");
  }
  return parseManifest(response->text(), std::move(digest), what);
}

Expected<std::string> RegistryClient::resolveDigest(const Reference& ref) {
  if (!ref.digest.empty()) return ref.digest;
  HttpRequest request;
  request.method = "HEAD";
  request.url = impl_->repoUrl(ref) + "/manifests/" + ref.tag;
  request.headers = {kManifestAccept};
  auto response = impl_->send(ref, std::move(request), Access::kPull);
  if (!response) return fail(response.takeError());
  if (response->status != 200) return statusError(ref.str() + ": HEAD manifest", *response);
  if (auto digest = response->header("docker-content-digest"); isSha256Digest(digest)) return digest;
  auto manifest = getManifest(ref);  // a registry that does not say the digest: hash what it serves
  if (!manifest) return fail(manifest.takeError());
  return manifest->digest;
}

Expected<Bytes> RegistryClient::getBlob(const Reference& ref, const Descriptor& blob) {
  const std::string what = ref.str() + ": blob " + blob.digest;
  if (!isSha256Digest(blob.digest)) return fail(ErrorCode::kMalformed, what + ": not a sha256 digest");
  if (blob.size > kMaxBlobBytes) {
    return fail(ErrorCode::kResourceExhausted, what + ": " + std::to_string(blob.size) + " bytes is too large");
  }
  HttpRequest request;
  request.url = impl_->repoUrl(ref) + "/blobs/" + blob.digest;
  request.follow_redirects = true;
  request.max_response_bytes = blob.size;
  request.progress = impl_->reporter("pull " + ref.str());
  auto response = impl_->send(ref, std::move(request), Access::kPull);
  if (!response) {
    if (response.error().code == ErrorCode::kResourceExhausted) {
      return fail(ErrorCode::kMalformed, what + ": the registry sent more than the " + std::to_string(blob.size) +
                                             " bytes the manifest says (corrupted or substituted content)");
    }
    return fail(response.takeError());
  }
  if (response->status != 200) return statusError("GET " + what, *response);
  if (response->body.size() != blob.size) {
    return fail(ErrorCode::kMalformed, what + ": " + std::to_string(response->body.size()) +
                                           " bytes received, the manifest says " + std::to_string(blob.size));
  }
  if (auto ok = verifyDigest(response->body, blob.digest, what); !ok) return fail(ok.takeError());
  return std::move(response->body);
}

Expected<bool> RegistryClient::hasBlob(const Reference& ref, const std::string& digest) {
  HttpRequest request;
  request.method = "HEAD";
  request.url = impl_->repoUrl(ref) + "/blobs/" + digest;
  auto response = impl_->send(ref, std::move(request), Access::kPush);
  if (!response) return fail(response.takeError());
  if (response->status == 200) return true;
  if (response->status == 404) return false;
  return statusError(ref.str() + ": HEAD blob " + digest, *response);
}

Expected<std::string> RegistryClient::pushBlob(const Reference& ref, std::span<const uint8_t> bytes) {
  const std::string digest = sha256Digest(bytes);
  const std::string what = ref.str() + ": upload of blob " + digest;
  auto present = hasBlob(ref, digest);
  if (!present) return fail(present.takeError());
  if (*present) return digest;

  HttpRequest start;
  start.method = "POST";
  start.url = impl_->repoUrl(ref) + "/blobs/uploads/";
  auto started = impl_->send(ref, std::move(start), Access::kPush);
  if (!started) return fail(started.takeError());
  if (started->status != 202) return statusError(what, *started);
  std::string location = impl_->resolveLocation(ref, started->header("location"));

  const size_t chunk = std::max<size_t>(impl_->options.chunk_size, 1);
  auto progress = impl_->reporter("push " + ref.str());
  std::span<const uint8_t> last_body = bytes;
  if (bytes.size() > chunk) {
    for (size_t offset = 0; offset < bytes.size(); offset += chunk) {
      const auto piece = bytes.subspan(offset, std::min(chunk, bytes.size() - offset));
      HttpRequest patch;
      patch.method = "PATCH";
      patch.url = location;
      patch.body = piece;
      patch.headers = {"Content-Type: application/octet-stream",
                       "Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + piece.size() - 1)};
      auto sent = impl_->send(ref, std::move(patch), Access::kPush);
      if (!sent) return fail(sent.takeError());
      if (sent->status != 202) return statusError(what + " (chunk at " + std::to_string(offset) + ")", *sent);
      location = impl_->resolveLocation(ref, sent->header("location"));
      if (progress) progress(offset + piece.size(), bytes.size());
    }
    last_body = {};
  }
  HttpRequest finish;
  finish.method = "PUT";
  finish.url = location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + digest;
  finish.body = last_body;
  finish.headers = {"Content-Type: application/octet-stream"};
  if (!last_body.empty()) finish.progress = progress;
  auto done = impl_->send(ref, std::move(finish), Access::kPush);
  if (!done) return fail(done.takeError());
  if (done->status != 201) return statusError(what, *done);
  if (const auto stored = done->header("docker-content-digest"); isSha256Digest(stored) && stored != digest) {
    return fail(ErrorCode::kMalformed, what + ": the registry stored it as " + stored);
  }
  return digest;
}

Expected<std::string> RegistryClient::putManifest(const Reference& ref, std::string_view media_type,
                                                  const std::string& bytes) {
  const std::string digest = sha256Digest(bytes);
  HttpRequest request;
  request.method = "PUT";
  request.url = impl_->repoUrl(ref) + "/manifests/" + ref.identifier();
  request.body = {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
  request.headers = {"Content-Type: " + std::string(media_type)};
  auto response = impl_->send(ref, std::move(request), Access::kPush);
  if (!response) return fail(response.takeError());
  if (response->status != 201) return statusError(ref.str() + ": PUT manifest", *response);
  if (const auto stored = response->header("docker-content-digest"); isSha256Digest(stored) && stored != digest) {
    return fail(ErrorCode::kMalformed, ref.str() + ": the registry stored the manifest as " + stored +
                                           ", its bytes are " + digest);
  }
  return digest;
}

Expected<Artifact> RegistryClient::pullArtifact(const Reference& ref) {
  if (auto ok = checkPolicy(ref); !ok) return fail(ok.takeError());
  auto manifest = getManifest(ref);
  if (!manifest) return fail(manifest.takeError());
  auto layer = selectArtifactLayer(*manifest, ref.str());
  if (!layer) return fail(layer.takeError());
  auto bytes = getBlob(ref, *layer);
  if (!bytes) return fail(bytes.takeError());
  auto kind = checkLayerContent(*layer, *bytes, ref.str());
  if (!kind) return fail(kind.takeError());
  return Artifact{*kind, ref, manifest->digest, layer->digest, layer->media_type, std::move(*bytes)};
}

Expected<PushResult> RegistryClient::pushArtifact(const Reference& ref, std::span<const uint8_t> bytes,
                                                  const std::string& config) {
  if (auto ok = checkPolicy(ref); !ok) return fail(ok.takeError());
  auto kind = detectArtifactKind(bytes);
  if (!kind) return fail(kind.takeError().prefixed(ref.str() + ": what is pushed is "));
  const std::span<const uint8_t> config_bytes(reinterpret_cast<const uint8_t*>(config.data()), config.size());
  auto config_digest = pushBlob(ref, config_bytes);
  if (!config_digest) return fail(config_digest.takeError());
  auto layer_digest = pushBlob(ref, bytes);
  if (!layer_digest) return fail(layer_digest.takeError());
  const std::string manifest =
      buildManifest({std::string(configMediaType(*kind)), *config_digest, config.size()},
                    {std::string(layerMediaType(*kind)), *layer_digest, bytes.size()});
  auto manifest_digest = putManifest(ref, kOciManifestMediaType, manifest);
  if (!manifest_digest) return fail(manifest_digest.takeError());
  return PushResult{*manifest_digest, *layer_digest, bytes.size()};
}

}  // namespace stratus::oci
