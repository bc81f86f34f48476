// Image references, with the grammar of distribution's reference package (Docker, oci-distribution, wash).
#include <sys/stat.h>

#include "oci/digest.h"
#include "stratus/oci/oci.h"

namespace stratus::oci {
namespace {

constexpr std::string_view kDockerHub = "docker.io";

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// path-component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
bool validPathComponent(std::string_view c) {
  if (c.empty() || !isLowerAlnum(c.front()) || !isLowerAlnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (isLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    size_t run = i;
    while (run < c.size() && !isLowerAlnum(c[run])) ++run;
    const std::string_view sep = c.substr(i, run - i);
    const bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    i = run;
  }
  return true;
}

// host[:port], host = label('.' label)*, label = [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?
bool validRegistry(std::string_view r) {
  const auto colon = r.rfind(':');
  std::string_view host = r.substr(0, colon);
  if (colon != std::string_view::npos) {
    const std::string_view port = r.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
  }
  if (host.empty()) return false;
  size_t start = 0;
  while (start <= host.size()) {
    const auto dot = host.find('.', start);
    const std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool validTag(std::string_view t) {
  if (t.empty() || t.size() > 128 || t.front() == '.' || t.front() == '-') return false;
  for (char c : t) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

Unexpected bad(std::string_view text, std::string why) {
  return fail(ErrorCode::kInvalidArgument, "invalid image reference '" + std::string(text) + "': " + why);
}

}  // namespace

Expected<Reference> Reference::parse(std::string_view text) {
  if (text.empty()) return bad(text, "empty");
  Reference ref;
  std::string_view rest = text;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    if (!isSha256Digest(ref.digest)) {
      return bad(text, "digest '" + ref.digest + "' is not sha256:<64 lowercase hex digits>");
    }
    rest = rest.substr(0, at);
  }
  const auto last_slash = rest.rfind('/');
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos &&
                                          (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    if (!validTag(ref.tag)) return bad(text, "tag '" + ref.tag + "' is not valid");
    rest = rest.substr(0, colon);
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";

  std::string_view path = rest;
  const auto first_slash = rest.find('/');
  if (first_slash != std::string_view::npos) {
    const std::string_view first = rest.substr(0, first_slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") {
      if (!validRegistry(first)) return bad(text, "registry '" + std::string(first) + "' is not host[:port]");
      ref.registry = std::string(first);
      path = rest.substr(first_slash + 1);
    }
  }
  if (ref.registry.empty()) ref.registry = std::string(kDockerHub);
  if (path.empty()) return bad(text, "no repository");
  size_t start = 0;
  while (true) {
    const auto slash = path.find('/', start);
    const std::string_view component = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!validPathComponent(component)) {
      return bad(text, "repository component '" + std::string(component) +
                           "' must be lowercase letters and digits, separated by '.', '_', '__' or '-'");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  ref.repository = std::string(path);
  if (ref.registry == kDockerHub && ref.repository.find('/') == std::string::npos) {
    ref.repository.insert(0, "library/");
  }
  if (ref.registry.size() + 1 + ref.repository.size() > 255) return bad(text, "name longer than 255 characters");
  return ref;
}

std::string Reference::str() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

bool isFilePath(const std::string& text) {
  struct stat st {};
  return ::stat(text.c_str(), &st) == 0;
}

}  // namespace stratus::oci
