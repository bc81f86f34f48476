#include "stratus/host/manifest.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace stratus::host {

namespace fs = std::filesystem;

EnvLookup processEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::string substituteEnv(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = text.find("${", i);
    if (start == std::string_view::npos) break;
    const size_t end = text.find('}', start + 2);
    if (end == std::string_view::npos) break;
    out.append(text.substr(i, start - i));
    std::string_view inner = text.substr(start + 2, end - start - 2);
    std::optional<std::string_view> fallback;
    if (size_t colon = inner.find(':'); colon != std::string_view::npos) {
      fallback = inner.substr(colon + 1);
      inner = inner.substr(0, colon);
    }
    if (auto value = inner.empty() ? std::nullopt : env(inner)) {
      out += *value;
    } else if (fallback) {
      out.append(*fallback);
    } else {
      out.append(text.substr(start, end - start + 1));
    }
    i = end + 1;
  }
  out.append(text.substr(i));
  return out;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  Unexpected error(const std::string& where, const std::string& what, const YAML::Node& node) const {
    std::string at = source_;
    if (node.Mark().line >= 0) {  // appended piecewise: GCC 12 -O3 warns falsely (-Wrestrict) on ":" + to_string
      at += ':';
      at += std::to_string(node.Mark().line + 1);
    }
    return fail(ErrorCode::kMalformed, at + ": " + where + ": " + what);
  }

  Expected<std::string> scalar(const YAML::Node& node, const std::string& where) const {
    if (!node.IsScalar()) return error(where, "expected a string", node);
    return node.Scalar();
  }

  Expected<std::map<std::string, std::string>> stringMap(const YAML::Node& node, const std::string& where) const {
    std::map<std::string, std::string> out;
    if (!node || node.IsNull()) return out;
    if (!node.IsMap()) return error(where, "expected a map of strings", node);
    for (const auto& kv : node) {
      auto key = scalar(kv.first, where);
      if (!key) return fail(key.takeError());
      auto value = scalar(kv.second, where + "." + *key);
      if (!value) return fail(value.takeError());
      out[*key] = *value;
    }
    return out;
  }

  Expected<void> checkKeys(const YAML::Node& node, const std::string& where,
                           std::initializer_list<std::string_view> known) const {
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        return error(where, "unknown field '" + key + "' (expected: " + list + ")", kv.first);
      }
    }
    return ok();
  }

  Expected<ManifestActor> actor(const YAML::Node& node, const std::string& where) const {
    ManifestActor a;
    if (!node.IsMap()) {
      auto ref = scalar(node, where);
      if (!ref) return fail(ref.takeError());
      a.image_ref = std::move(*ref);
      return a;
    }
    STRATUS_TRY(checkKeys(node, where, {"image_ref", "engine"}));
    if (!node["image_ref"]) return error(where, "image_ref is missing", node);
    auto ref = scalar(node["image_ref"], where + ".image_ref");
    if (!ref) return fail(ref.takeError());
    a.image_ref = std::move(*ref);
    if (node["engine"] && !node["engine"].IsNull()) {
      auto engine = scalar(node["engine"], where + ".engine");
      if (!engine) return fail(engine.takeError());
      auto mode = EngineMode::parse(*engine);
      if (!mode) return error(where + ".engine", mode.error().message, node["engine"]);
      a.engine = *mode;
    }
    return a;
  }

  Expected<Manifest> parse(const YAML::Node& root) const {
    Manifest m;
    m.source = source_;
    if (!root || root.IsNull()) return m;
    if (!root.IsMap()) return error("manifest", "expected a map with labels, actors, capabilities, links", root);
    STRATUS_TRY(checkKeys(root, "manifest", {"labels", "actors", "capabilities", "links"}));

    auto labels = stringMap(root["labels"], "labels");
    if (!labels) return fail(labels.takeError());
    m.labels = std::move(*labels);

    if (const auto& actors = root["actors"]; actors && !actors.IsNull()) {
      if (!actors.IsSequence()) return error("actors", "expected a list of actor files", actors);
      for (size_t i = 0; i < actors.size(); ++i) {
        auto a = actor(actors[i], "actors[" + std::to_string(i) + "]");
        if (!a) return fail(a.takeError());
        m.actors.push_back(std::move(*a));
      }
    }

    if (const auto& caps = root["capabilities"]; caps && !caps.IsNull()) {
      if (!caps.IsSequence()) return error("capabilities", "expected a list of {image_ref, link_name}", caps);
      for (size_t i = 0; i < caps.size(); ++i) {
        const std::string where = "capabilities[" + std::to_string(i) + "]";
        const YAML::Node& c = caps[i];
        if (!c.IsMap()) return error(where, "expected a map with image_ref and link_name", c);
        STRATUS_TRY(checkKeys(c, where, {"image_ref", "link_name", "isolation"}));
        ManifestCapability cap;
        if (!c["image_ref"]) return error(where, "image_ref is missing", c);
        auto ref = scalar(c["image_ref"], where + ".image_ref");
        if (!ref) return fail(ref.takeError());
        cap.image_ref = std::move(*ref);
        if (c["link_name"] && !c["link_name"].IsNull()) {
          auto ln = scalar(c["link_name"], where + ".link_name");
          if (!ln) return fail(ln.takeError());
          cap.link_name = std::move(*ln);
        }
        if (c["isolation"] && !c["isolation"].IsNull()) {
          auto iso = scalar(c["isolation"], where + ".isolation");
          if (!iso) return fail(iso.takeError());
          auto parsed = parseProviderIsolation(*iso);
          if (!parsed) return error(where + ".isolation", parsed.error().message, c["isolation"]);
          cap.isolation = *parsed;
        }
        m.capabilities.push_back(std::move(cap));
      }
    }

    if (const auto& links = root["links"]; links && !links.IsNull()) {
      if (!links.IsSequence()) return error("links", "expected a list of link definitions", links);
      for (size_t i = 0; i < links.size(); ++i) {
        const std::string where = "links[" + std::to_string(i) + "]";
        const YAML::Node& l = links[i];
        if (!l.IsMap()) return error(where, "expected a map with actor, contract_id, provider_id", l);
        STRATUS_TRY(checkKeys(l, where, {"actor", "contract_id", "provider_id", "link_name", "values"}));
        LinkDefinition link;
        for (auto [field, target] : {std::pair{"actor", &link.actor_id}, std::pair{"contract_id", &link.contract_id},
                                     std::pair{"provider_id", &link.provider_id}}) {
          if (!l[field]) return error(where, std::string(field) + " is missing", l);
          auto v = scalar(l[field], where + "." + field);
          if (!v) return fail(v.takeError());
          *target = std::move(*v);
        }
        if (l["link_name"] && !l["link_name"].IsNull()) {
          auto ln = scalar(l["link_name"], where + ".link_name");
          if (!ln) return fail(ln.takeError());
          link.link_name = std::move(*ln);
        }
        auto values = stringMap(l["values"], where + ".values");
        if (!values) return fail(values.takeError());
        link.values = std::move(*values);
        m.links.push_back(std::move(link));
      }
    }
    return m;
  }

 private:
  std::string source_;
};

// A relative path is relative to the manifest's folder; what names no file there is an OCI reference.
std::string resolveRef(const std::string& base_dir, const std::string& ref) {
  if (ref.empty() || fs::path(ref).is_absolute() || base_dir.empty()) return ref;
  const std::string path = (fs::path(base_dir) / ref).lexically_normal().string();
  return oci::isFilePath(path) ? path : ref;
}

Unexpected entryError(const Manifest& m, const std::string& entry, Error e) {
  e.message = m.source + ": " + entry + ": " + e.message;
  return fail(std::move(e));
}

}  // namespace

Expected<Manifest> parseManifest(std::string_view text, std::string source, const EnvLookup& env) {
  const std::string substituted = substituteEnv(text, env);
  YAML::Node root;
  try {
    root = YAML::Load(substituted);
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kMalformed, source + ":" + std::to_string(e.mark.line + 1) + ":" +
                                           std::to_string(e.mark.column + 1) + ": not valid YAML or JSON: " + e.msg);
  }
  try {
    return Parser(std::move(source)).parse(root);
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kMalformed, source + ": " + e.what());
  }
}

Expected<Manifest> loadManifest(const std::string& path, const EnvLookup& env) {
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::kIo, "cannot read manifest " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto m = parseManifest(text.str(), path, env);
  if (!m) return m;
  m->base_dir = fs::absolute(path).parent_path().string();
  return m;
}

Expected<void> applyManifest(Host& host, const Manifest& m) {
  for (size_t i = 0; i < m.actors.size(); ++i) {
    const ManifestActor& actor = m.actors[i];
    const std::string entry = "actors[" + std::to_string(i) + "] (" + actor.image_ref + ")";
    auto pk = startActorFromRef(host, resolveRef(m.base_dir, actor.image_ref), {.engine = actor.engine});
    if (!pk) return entryError(m, entry, pk.takeError());
  }
  for (size_t i = 0; i < m.capabilities.size(); ++i) {
    const auto& cap = m.capabilities[i];
    const std::string entry = "capabilities[" + std::to_string(i) + "] (" + cap.image_ref + ")";
    auto pk = startProviderFromRef(host, resolveRef(m.base_dir, cap.image_ref), cap.link_name, cap.isolation);
    if (!pk) return entryError(m, entry, pk.takeError());
  }
  for (size_t i = 0; i < m.links.size(); ++i) {
    const auto& l = m.links[i];
    const std::string entry = "links[" + std::to_string(i) + "] (" + l.actor_id + " → " + l.contract_id + ")";
    if (auto set = host.setLink(l); !set) return entryError(m, entry, set.takeError());
  }
  return ok();
}

}  // namespace stratus::host
