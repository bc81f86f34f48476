#include "engine/aot/disk_cache.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>
#include <vector>

#include "stratus/common/files.h"

namespace stratus::engine::aot {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "stratus-aot-cache 1";
// Header fields are single-line values; a header longer than this is garbage, not an entry.
constexpr size_t kMaxHeader = 16 * 1024;

std::string oneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

// Parses "name: value" lines up to the blank line that ends the header; returns the offset of the library bytes.
std::optional<size_t> parseHeader(std::span<const uint8_t> entry, std::map<std::string, std::string>& fields,
                                  std::string& problem) {
  const std::string_view text(reinterpret_cast<const char*>(entry.data()), std::min(entry.size(), kMaxHeader));
  const size_t end = text.find("\n\n");
  if (end == std::string_view::npos) {
    problem = "no header";
    return std::nullopt;
  }
  size_t pos = text.find('\n');
  if (text.substr(0, pos) != kMagic) {
    problem = "not a stratus aot cache entry of format 1";
    return std::nullopt;
  }
  while (pos < end) {
    const size_t start = pos + 1;
    pos = text.find('\n', start);
    const std::string_view line = text.substr(start, pos - start);
    const size_t colon = line.find(": ");
    if (colon == std::string_view::npos) {
      problem = "malformed header line '" + oneLine(line) + "'";
      return std::nullopt;
    }
    fields.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
  }
  return end + 2;
}

std::string field(const std::map<std::string, std::string>& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

}  // namespace

std::string sha256Hex(std::span<const uint8_t> bytes, std::span<const std::string> parts) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, bytes.data(), bytes.size());
  for (const auto& p : parts) {
    const uint64_t n = p.size();
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(&n), sizeof n);
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(p.data()), p.size());
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : digest) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

fs::path DiskCache::entryPath(const std::string& key) const {
  return fs::path(dir_) / key.substr(0, 2) / (key + ".entry");
}

CacheLookup DiskCache::load(const CacheIdentity& id) const {
  const fs::path path = entryPath(id.key);
  auto entry = readFileBytes(path);
  if (!entry) {
    if (entry.error().code == ErrorCode::kNotFound) return {};
    return {std::nullopt, entry.error().message};
  }
  std::map<std::string, std::string> fields;
  std::string problem;
  auto offset = parseHeader(*entry, fields, problem);
  if (offset) {
    const std::span<const uint8_t> library(entry->data() + *offset, entry->size() - *offset);
    size_t declared = 0;
    const std::string size_text = field(fields, "library-size");
    auto [p, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), declared);
    if (field(fields, "key") != id.key) {
      problem = "it belongs to key " + field(fields, "key");
    } else if (field(fields, "stratus") != id.stratus_version) {
      problem = "stale: built by stratus " + field(fields, "stratus") + ", this is " + id.stratus_version;
    } else if (field(fields, "abi") != std::to_string(id.abi_version)) {
      problem = "stale: built for engine ABI " + field(fields, "abi") + ", this is " +
                std::to_string(id.abi_version);
    } else if (field(fields, "compiler") != oneLine(id.compiler)) {
      problem = "stale: built by compiler '" + field(fields, "compiler") + "'";
    } else if (ec != std::errc() || p != size_text.data() + size_text.size() || declared != library.size()) {
      problem = "truncated: the library has " + std::to_string(library.size()) + " bytes, the header says " +
                size_text;
    } else if (sha256Hex(library) != field(fields, "library-sha256")) {
      problem = "the library's SHA-256 does not match its header";
    } else {
      std::error_code touch_ec;  // a read-only cache still serves the entry
      fs::last_write_time(path, fs::file_time_type::clock::now(), touch_ec);  // used now: pruned last
      return {Bytes(library.begin(), library.end()), {}};
    }
  }
  remove(id.key);
  return {std::nullopt, path.string() + ": " + problem};
}

Expected<std::string> DiskCache::store(const CacheIdentity& id, std::string_view module_name,
                                       std::span<const uint8_t> library) const {
  std::string header(kMagic);
  header += "\nkey: " + id.key;
  header += "\nstratus: " + id.stratus_version;
  header += "\nabi: " + std::to_string(id.abi_version);
  header += "\ncompiler: " + oneLine(id.compiler);
  header += "\nmodule: " + oneLine(module_name);
  header += "\nlibrary-size: " + std::to_string(library.size());
  header += "\nlibrary-sha256: " + sha256Hex(library);
  header += "\n\n";
  Bytes entry(header.begin(), header.end());
  entry.insert(entry.end(), library.begin(), library.end());
  const fs::path path = entryPath(id.key);
  STRATUS_TRY(writeFileAtomically(path, entry));
  if (max_bytes_ > 0) prune(max_bytes_, id.key);
  return path.string();
}

void DiskCache::remove(const std::string& key) const {
  std::error_code ec;
  fs::remove(entryPath(key), ec);
}

CacheUsage DiskCache::prune(uint64_t max_bytes, const std::string& keep) const {
  struct Entry {
    fs::file_time_type used;
    uint64_t bytes;
    fs::path path;
  };
  CacheUsage usage;
  std::vector<Entry> entries;
  const auto stale_temporary = fs::file_time_type::clock::now() - std::chrono::hours(1);
  const fs::path kept = keep.empty() ? fs::path() : entryPath(keep);
  std::error_code walk_ec;
  std::error_code ec;
  // Files vanish and appear while other processes use the cache: an error on one file just skips it.
  for (fs::recursive_directory_iterator it(dir_, walk_ec), end; !walk_ec && it != end; it.increment(walk_ec)) {
    if (it.depth() != 1 || !it->is_regular_file(ec)) continue;
    const fs::path& path = it->path();
    const auto used = it->last_write_time(ec);
    const auto bytes = ec ? 0 : it->file_size(ec);
    if (ec) {
      ec.clear();
      continue;
    }
    const std::string name = path.filename().string();
    if (name.find(".entry.tmp") != std::string::npos) {
      if (used < stale_temporary && fs::remove(path, ec)) ++usage.removed;
      ec.clear();
    } else if (path.extension() == ".entry") {
      entries.push_back({used, bytes, path});
      usage.bytes += bytes;
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.used < b.used; });
  usage.entries = entries.size();
  for (const Entry& e : entries) {
    if (max_bytes == 0 || usage.bytes <= max_bytes) break;
    if (e.path == kept) continue;
    fs::remove(e.path, ec);  // false without an error: another process removed it first
    if (ec) {
      ec.clear();
      continue;
    }
    usage.bytes -= e.bytes;
    --usage.entries;
    ++usage.removed;
  }
  return usage;
}

}  // namespace stratus::engine::aot
