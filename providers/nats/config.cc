#include "config.h"

#include <fcntl.h>
#include <nats/nats.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "stratus/common/strings.h"

namespace stratus::providers::nats {
namespace {

std::vector<std::string> commaList(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    const size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

const std::string* find(const std::map<std::string, std::string>& values, const char* name) {
  auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

Error invalid(const std::string& name, const std::string& text, const std::string& why) {
  std::string message = "link value ";
  message += name;
  message += "='";
  message += text;
  message += "' ";
  message += why;
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

template <typename T>
Expected<void> number(const std::map<std::string, std::string>& values, const char* name, int64_t lo, int64_t hi,
                      T& out) {
  const std::string* raw = find(values, name);
  if (!raw) return ok();
  const std::string_view text = trim(*raw);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
    std::string why = "must be a number from ";
    why += std::to_string(lo);
    why += " to ";
    why += std::to_string(hi);
    return fail(invalid(name, *raw, why));
  }
  out = static_cast<T>(v);
  return ok();
}

Expected<void> boolean(const std::map<std::string, std::string>& values, const char* name, bool& out) {
  const std::string* raw = find(values, name);
  if (!raw) return ok();
  const std::string_view text = trim(*raw);
  if (text == "true" || text == "1" || text == "yes") {
    out = true;
  } else if (text == "false" || text == "0" || text == "no") {
    out = false;
  } else {
    return fail(invalid(name, *raw, "must be true or false"));
  }
  return ok();
}

// libnats reads the file only while connecting; checking here turns a typo into a BindActor error that names it.
Expected<void> checkReadableFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(invalid("CREDSFILE", path, std::string("cannot be read: ") + std::strerror(errno)));
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  if (!regular) return fail(invalid("CREDSFILE", path, "is not a regular file"));
  return ok();
}

Expected<void> checkSeed(const std::string& seed) {
  unsigned char* signature = nullptr;
  int length = 0;
  const natsStatus s = nats_Sign(seed.c_str(), "stratus", &signature, &length);
  std::free(signature);
  if (s != NATS_OK) {
    return fail(Error{ErrorCode::kInvalidArgument,
                      std::string("link value CLIENT_SEED is not a valid nkey seed: ") + natsStatus_GetText(s)});
  }
  return ok();
}

}  // namespace

std::string NatsConfig::serverList() const {
  std::string out;
  for (const auto& s : servers) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

Expected<NatsConfig> parseConfig(const std::map<std::string, std::string>& values) {
  NatsConfig c;
  if (const std::string* url = find(values, "URL")) {
    c.servers = commaList(*url);
    if (c.servers.empty()) return fail(invalid("URL", *url, "names no server"));
  } else {
    c.servers = {kDefaultUrl};
  }
  if (const std::string* subs = find(values, "SUBSCRIPTION")) c.subscriptions = commaList(*subs);
  if (const std::string* q = find(values, "QUEUEGROUP_NAME")) c.queue_group = std::string(trim(*q));
  if (const std::string* jwt = find(values, "CLIENT_JWT")) c.client_jwt = std::string(trim(*jwt));
  if (const std::string* seed = find(values, "CLIENT_SEED")) c.client_seed = std::string(trim(*seed));
  if (const std::string* creds = find(values, "CREDSFILE")) c.creds_file = std::string(trim(*creds));

  STRATUS_TRY(number(values, "REQUEST_TIMEOUT_MS", 1, 3'600'000, c.request_timeout_ms));
  STRATUS_TRY(number(values, "CONNECT_TIMEOUT_MS", 1, 600'000, c.connect_timeout_ms));
  STRATUS_TRY(number(values, "RECONNECT_WAIT_MS", 1, 600'000, c.reconnect_wait_ms));
  STRATUS_TRY(number(values, "RECONNECT_MAX_WAIT_MS", 1, 3'600'000, c.reconnect_max_wait_ms));
  STRATUS_TRY(number(values, "MAX_PENDING", 1, 1'000'000, c.max_pending));
  STRATUS_TRY(number(values, "DELIVERY_THREADS", 1, 64, c.delivery_threads));
  STRATUS_TRY(boolean(values, "SEND_ASAP", c.send_asap));
  if (c.reconnect_max_wait_ms < c.reconnect_wait_ms) c.reconnect_max_wait_ms = c.reconnect_wait_ms;

  if (!c.creds_file.empty()) {
    STRATUS_TRY(checkReadableFile(c.creds_file));
  } else if (!c.client_jwt.empty() || !c.client_seed.empty()) {
    if (c.client_seed.empty()) {
      return fail(ErrorCode::kInvalidArgument, "link value CLIENT_JWT needs CLIENT_SEED (the user's nkey seed)");
    }
    if (c.client_jwt.empty()) {
      return fail(ErrorCode::kInvalidArgument, "link value CLIENT_SEED needs CLIENT_JWT (the user's JWT)");
    }
    STRATUS_TRY(checkSeed(c.client_seed));
  }
  return c;
}

}  // namespace stratus::providers::nats
