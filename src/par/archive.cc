#include "stratus/par/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <new>
#include <utility>

namespace stratus::par {
namespace {

struct ReadDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ReadArchive = std::unique_ptr<struct archive, ReadDeleter>;
using WriteArchive = std::unique_ptr<struct archive, WriteDeleter>;
using Entry = std::unique_ptr<archive_entry, EntryDeleter>;

constexpr std::array<std::string_view, 8> kKnownTargets = {
    "x86_64-linux", "aarch64-linux", "arm-linux",     "mips-linux",
    "mips64-linux", "x86_64-macos",  "aarch64-macos", "x86_64-windows",
};

std::string libarchiveError(struct archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "libarchive gave no detail";
}

// Built by append: GCC 12 -O3 warns falsely (-Wrestrict) on "'" + std::string(...).
std::string quoted(std::string_view s) {
  std::string out = "'";
  out.append(s);
  out += '\'';
  return out;
}

std::string trimmed(const Bytes& data) {
  auto space = [](uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t begin = 0;
  size_t end = data.size();
  while (begin < end && space(data[begin])) ++begin;
  while (end > begin && space(data[end - 1])) --end;
  return std::string(data.begin() + static_cast<ptrdiff_t>(begin), data.begin() + static_cast<ptrdiff_t>(end));
}

// Checks member sizes as both readArchive and writeArchive bound them.
Expected<void> checkSizes(const std::map<std::string, Bytes>& libraries, size_t token_size) {
  size_t total = token_size;
  for (const auto& [target, lib] : libraries) {
    if (lib.size() > kMaxLibraryBytes) {
      return fail(ErrorCode::kInvalidArgument, "library of target " + target + " is " + std::to_string(lib.size()) +
                                                   " bytes, over the limit of " + std::to_string(kMaxLibraryBytes));
    }
    total += lib.size();
    if (total > kMaxTotalBytes) {
      return fail(ErrorCode::kInvalidArgument,
                  "the archive's members total over the limit of " + std::to_string(kMaxTotalBytes) + " bytes");
    }
  }
  return ok();
}

Expected<void> checkTargetName(std::string_view target) {
  if (isValidTargetName(target)) return ok();
  return fail(ErrorCode::kInvalidArgument,
              "invalid target name " + quoted(target) +
                  ": expected 1 to 64 characters from A-Z a-z 0-9 _ . - (not starting with '.'), other than "
                  "'claims', e.g. x86_64-linux");
}

Expected<void> checkIssuer(const claims::KeyPair& issuer) {
  if (issuer.type() != claims::KeyType::kAccount) {
    return fail(ErrorCode::kInvalidArgument, "the issuer of provider claims must be an account key ('A...'), not " +
                                                 std::string(claims::keyTypeName(issuer.type())) + " key " +
                                                 issuer.publicKey());
  }
  if (!issuer.hasSeed()) {
    return fail(ErrorCode::kInvalidArgument,
                "issuer " + issuer.publicKey() + " is a public key only: signing needs its seed ('SA...')");
  }
  return ok();
}

// The key type of a public key in the claims, or kInvalidClaims naming the role ("issuer", "subject").
Expected<claims::KeyType> claimKeyType(const std::string& key, std::string_view role) {
  auto kp = claims::KeyPair::fromPublicKey(key);
  if (!kp) {
    return fail(ErrorCode::kInvalidClaims,
                std::string(role) + " " + quoted(key) + " is not a valid public key: " + kp.error().message);
  }
  return kp->type();
}

// Signs `c` with `issuer` and returns the archive parts: the token and its own decoding.
Expected<std::pair<std::string, claims::ProviderClaims>> signClaims(claims::ProviderClaims c,
                                                                    const claims::KeyPair& issuer) {
  auto token = claims::encodeClaims(std::move(c), issuer);
  if (!token) return fail(token.takeError());
  auto decoded = claims::decodeClaims<claims::ProviderMetadata>(*token);
  if (!decoded) {
    return fail(ErrorCode::kInternal, "claims just signed do not decode: " + decoded.error().message);
  }
  return std::make_pair(std::move(*token), std::move(*decoded));
}

la_ssize_t appendToBytes(struct archive* a, void* client, const void* buffer, size_t length) {
  try {
    auto* out = static_cast<Bytes*>(client);
    const auto* p = static_cast<const uint8_t*>(buffer);
    out->insert(out->end(), p, p + length);
    return static_cast<la_ssize_t>(length);
  } catch (const std::bad_alloc&) {
    archive_set_error(a, ENOMEM, "out of memory while writing the archive");
    return -1;
  }
}

// Writes one regular-file member with the fixed metadata of provider-archive 0.4.
Expected<void> writeMember(struct archive* a, const std::string& name, std::span<const uint8_t> data) {
  Entry entry(archive_entry_new());
  if (!entry) return fail(ErrorCode::kInternal, "libarchive: out of memory");
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  archive_entry_set_mtime(entry.get(), 0, 0);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
  if (archive_write_header(a, entry.get()) != ARCHIVE_OK) {
    return fail(ErrorCode::kInternal, "cannot write the tar header of " + name + ": " + libarchiveError(a));
  }
  size_t written = 0;
  while (written < data.size()) {
    const la_ssize_t n = archive_write_data(a, data.data() + written, data.size() - written);
    if (n <= 0) return fail(ErrorCode::kInternal, "cannot write " + name + ": " + libarchiveError(a));
    written += static_cast<size_t>(n);
  }
  return ok();
}

// Reads the data of the current member (`size` bytes, as its header says) in full.
Expected<Bytes> readMemberData(struct archive* a, const std::string& path, size_t size) {
  Bytes data(size);
  size_t got = 0;
  while (got < size) {
    const la_ssize_t n = archive_read_data(a, data.data() + got, size - got);
    if (n < 0) {
      return fail(ErrorCode::kMalformed,
                  "provider archive is truncated or damaged in member " + quoted(path) + ": " + libarchiveError(a));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != size) {
    return fail(ErrorCode::kMalformed, "provider archive is truncated: member " + quoted(path) + " has " +
                                           std::to_string(got) + " of its " + std::to_string(size) + " bytes");
  }
  return data;
}

}  // namespace

Expected<ProviderArchive> readArchive(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return fail(ErrorCode::kMalformed, "provider archive is empty (0 bytes)");
  const bool gzip = bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;

  ReadArchive reader(archive_read_new());
  if (!reader) return fail(ErrorCode::kInternal, "libarchive: out of memory");
  struct archive* a = reader.get();
  // Only what a PAR may be: tar (any of its dialects), gzip-compressed when it starts with the gzip magic.
  if ((gzip && archive_read_support_filter_gzip(a) != ARCHIVE_OK) || archive_read_support_format_tar(a) != ARCHIVE_OK) {
    return fail(ErrorCode::kInternal, "libarchive cannot read tar/gzip: " + libarchiveError(a));
  }

  std::string last_member;
  size_t members = 0;
  auto unreadable = [&](const std::string& why) {
    if (members == 0) {
      return fail(ErrorCode::kMalformed,
                  gzip
                      ? "provider archive is gzip-compressed but truncated, corrupt or not a tar archive inside: " + why
                      : "provider archive is neither a tar archive nor gzip-compressed: " + why);
    }
    return fail(ErrorCode::kMalformed,
                "provider archive is truncated or damaged after member " + quoted(last_member) + ": " + why);
  };
  if (archive_read_open_memory(a, bytes.data(), bytes.size()) != ARCHIVE_OK) return unreadable(libarchiveError(a));

  std::optional<std::string> token;
  std::map<std::string, Bytes> libraries;
  size_t total = 0;
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
    const char* raw_path = archive_entry_pathname(entry);
    const std::string path = raw_path != nullptr ? raw_path : "";
    last_member = path;
    if (++members > kMaxMembers) {
      return fail(ErrorCode::kMalformed, "provider archive has more than " + std::to_string(kMaxMembers) + " members");
    }
    if (archive_entry_filetype(entry) == AE_IFDIR) continue;
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != nullptr) {
      return fail(ErrorCode::kMalformed, "provider archive member " + quoted(path) +
                                             " is not a regular file (links and special files are not allowed)");
    }
    const std::string base = path.substr(path.rfind('/') + 1);

    const bool is_claims = base == kClaimsMember;
    std::string target;
    if (!is_claims) {
      if (base.size() < kLibraryExtension.size() ||
          base.compare(base.size() - kLibraryExtension.size(), kLibraryExtension.size(), kLibraryExtension) != 0) {
        return fail(ErrorCode::kMalformed, "unexpected provider archive member " + quoted(path) +
                                               ": an archive holds only claims.jwt and <target>.bin files");
      }
      target = base.substr(0, base.size() - kLibraryExtension.size());
      if (target.empty()) {
        return fail(ErrorCode::kMalformed, "provider archive member " + quoted(path) + " has an empty target name");
      }
      if (target == "claims") {
        return fail(ErrorCode::kMalformed, "provider archive member " + quoted(path) +
                                               " uses the reserved target name 'claims' (0.18 reads it as the claims)");
      }
      if (libraries.count(target) != 0) {
        return fail(ErrorCode::kMalformed,
                    "provider archive has two libraries for target " + target + " (second: " + quoted(path) + ")");
      }
    } else if (token) {
      return fail(ErrorCode::kMalformed, "provider archive has a second claims.jwt member " + quoted(path));
    }

    if (!archive_entry_size_is_set(entry) || archive_entry_size(entry) < 0) {
      return fail(ErrorCode::kMalformed, "provider archive member " + quoted(path) + " has no valid size");
    }
    const auto declared = static_cast<uint64_t>(archive_entry_size(entry));
    const size_t limit = is_claims ? kMaxClaimsBytes : kMaxLibraryBytes;
    if (declared > limit) {
      return fail(ErrorCode::kMalformed, "provider archive member " + quoted(path) + " is " + std::to_string(declared) +
                                             " bytes, over the limit of " + std::to_string(limit));
    }
    const auto size = static_cast<size_t>(declared);
    if (total + size > kMaxTotalBytes) {
      return fail(ErrorCode::kMalformed, "provider archive members total over the limit of " +
                                             std::to_string(kMaxTotalBytes) + " bytes (at member " + quoted(path) +
                                             ")");
    }
    total += size;

    auto data = readMemberData(a, path, size);
    if (!data) return fail(data.takeError());
    if (is_claims) {
      token = trimmed(*data);
    } else {
      libraries.emplace(std::move(target), std::move(*data));
    }
  }
  if (rc != ARCHIVE_EOF) return unreadable(libarchiveError(a));

  if (!token) return fail(ErrorCode::kMalformed, "provider archive has no claims.jwt member");
  if (libraries.empty()) {
    return fail(ErrorCode::kMalformed,
                "provider archive has no library (a <target>.bin member, e.g. " + currentTarget() + ".bin)");
  }
  auto decoded = claims::decodeClaims<claims::ProviderMetadata>(*token);
  if (!decoded) {
    Error e = decoded.takeError();
    e.message = "claims.jwt: " + e.message;
    return fail(std::move(e));
  }
  return ProviderArchive{std::move(*decoded), std::move(*token), std::move(libraries)};
}

Expected<void> verifyArchive(const ProviderArchive& archive, int64_t now) {
  auto prefixed = [](Error e) {
    e.message = "claims.jwt: " + e.message;
    return fail(std::move(e));
  };
  auto token = claims::parseToken(archive.token);
  if (!token) return prefixed(token.takeError());
  if (auto valid = claims::validateToken(*token, now); !valid) return prefixed(valid.takeError());
  auto c = claims::decodeClaims<claims::ProviderMetadata>(archive.token);
  if (!c) return prefixed(c.takeError());

  auto issuer_type = claimKeyType(c->issuer, "issuer");
  if (!issuer_type) return fail(issuer_type.takeError());
  if (*issuer_type != claims::KeyType::kAccount) {
    return fail(ErrorCode::kInvalidClaims, "issuer " + c->issuer + " is " +
                                               std::string(claims::keyTypeName(*issuer_type)) +
                                               " key, but provider claims must be issued by an account key ('A...')");
  }
  auto subject_type = claimKeyType(c->subject, "subject");
  if (!subject_type) return fail(subject_type.takeError());
  if (*subject_type != claims::KeyType::kService) {
    return fail(ErrorCode::kInvalidClaims, "subject " + c->subject + " is " +
                                               std::string(claims::keyTypeName(*subject_type)) +
                                               " key, but a provider's subject must be a service key ('V...')");
  }

  if (archive.libraries.empty()) return fail(ErrorCode::kInvalidClaims, "provider archive has no library");
  const auto& hashes = c->metadata.target_hashes;
  for (const auto& [target, lib] : archive.libraries) {
    const auto it = hashes.find(target);
    const std::string actual = libraryHash(lib);
    if (it == hashes.end()) {
      return fail(ErrorCode::kInvalidClaims,
                  "target " + target + ": the claims hold no hash for this target (library is " + actual + ")");
    }
    if (it->second != actual) {
      return fail(ErrorCode::kInvalidClaims,
                  "target " + target + ": hash mismatch (claims say " + it->second + ", library is " + actual + ")");
    }
  }
  return ok();
}

Expected<Bytes> writeArchive(const ProviderArchive& archive, bool gzip) {
  if (archive.token.empty()) return fail(ErrorCode::kInvalidArgument, "provider archive has no claims token");
  if (archive.token.size() > kMaxClaimsBytes) {
    return fail(ErrorCode::kInvalidArgument,
                "the claims token is over the limit of " + std::to_string(kMaxClaimsBytes) + " bytes");
  }
  for (const auto& [target, lib] : archive.libraries) STRATUS_TRY(checkTargetName(target));
  STRATUS_TRY(checkSizes(archive.libraries, archive.token.size()));

  WriteArchive writer(archive_write_new());
  if (!writer) return fail(ErrorCode::kInternal, "libarchive: out of memory");
  struct archive* a = writer.get();
  if (archive_write_set_format_gnutar(a) != ARCHIVE_OK) {
    return fail(ErrorCode::kInternal, "libarchive cannot write GNU tar: " + libarchiveError(a));
  }
  if (gzip) {
    // No timestamp in the gzip header (libarchive writes the current time by default): same input, same bytes.
    if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_filter_option(a, "gzip", "timestamp", nullptr) < ARCHIVE_WARN) {
      return fail(ErrorCode::kInternal, "libarchive cannot write gzip: " + libarchiveError(a));
    }
  }
  // Like the Rust tar crate: the archive ends after its two zero blocks, not padded to a 10 KiB record.
  archive_write_set_bytes_in_last_block(a, 1);

  Bytes out;
  if (archive_write_open2(a, &out, nullptr, appendToBytes, nullptr, nullptr) != ARCHIVE_OK) {
    return fail(ErrorCode::kInternal, "libarchive cannot start the archive: " + libarchiveError(a));
  }
  const auto* token = reinterpret_cast<const uint8_t*>(archive.token.data());
  STRATUS_TRY(writeMember(a, std::string(kClaimsMember), std::span<const uint8_t>(token, archive.token.size())));
  for (const auto& [target, lib] : archive.libraries) {
    STRATUS_TRY(writeMember(a, target + std::string(kLibraryExtension), lib));
  }
  if (archive_write_close(a) != ARCHIVE_OK) {
    return fail(ErrorCode::kInternal, "libarchive cannot finish the archive: " + libarchiveError(a));
  }
  return out;
}

Expected<ProviderArchive> createArchive(const ArchiveInfo& info, std::map<std::string, Bytes> libraries,
                                        const claims::KeyPair& issuer, const claims::KeyPair& subject) {
  STRATUS_TRY(checkIssuer(issuer));
  if (subject.type() != claims::KeyType::kService) {
    return fail(ErrorCode::kInvalidArgument, "the subject of provider claims must be a service key ('V...'), not " +
                                                 std::string(claims::keyTypeName(subject.type())) + " key " +
                                                 subject.publicKey());
  }
  if (info.capid.empty()) return fail(ErrorCode::kInvalidArgument, "a provider archive needs a capability id");
  if (info.name.empty()) return fail(ErrorCode::kInvalidArgument, "a provider archive needs a name");
  if (info.vendor.empty()) return fail(ErrorCode::kInvalidArgument, "a provider archive needs a vendor");
  if (libraries.empty()) return fail(ErrorCode::kInvalidArgument, "a provider archive needs at least one library");
  for (const auto& [target, lib] : libraries) STRATUS_TRY(checkTargetName(target));
  STRATUS_TRY(checkSizes(libraries, 0));

  claims::ProviderClaims c;
  c.subject = subject.publicKey();
  c.id = claims::generateTokenId();
  c.issued_at = claims::unixNow();
  c.expires = info.expires;
  c.not_before = info.not_before;
  c.metadata.capid = info.capid;
  c.metadata.name = info.name;
  c.metadata.vendor = info.vendor;
  c.metadata.rev = info.rev;
  c.metadata.ver = info.ver;
  for (const auto& [target, lib] : libraries) c.metadata.target_hashes[target] = libraryHash(lib);

  auto signed_claims = signClaims(std::move(c), issuer);
  if (!signed_claims) return fail(signed_claims.takeError());
  return ProviderArchive{std::move(signed_claims->second), std::move(signed_claims->first), std::move(libraries)};
}

Expected<void> insertLibrary(ProviderArchive& archive, const std::string& target, Bytes library,
                             const claims::KeyPair& issuer) {
  STRATUS_TRY(checkIssuer(issuer));
  STRATUS_TRY(checkTargetName(target));
  auto token = claims::parseToken(archive.token);
  if (!token) return fail(token.takeError());
  if (token->registered.issuer != issuer.publicKey()) {
    return fail(ErrorCode::kInvalidArgument, "issuer " + issuer.publicKey() + " is not the archive's issuer " +
                                                 token->registered.issuer + ": only it can re-sign the archive");
  }
  if (auto sig = claims::verifyTokenSignature(*token); !sig) {
    Error e = sig.takeError();
    e.message = "refusing to re-sign claims that do not verify: " + e.message;
    return fail(std::move(e));
  }

  size_t total = archive.token.size() + library.size();
  for (const auto& [t, lib] : archive.libraries) {
    if (t != target) total += lib.size();
  }
  if (library.size() > kMaxLibraryBytes || total > kMaxTotalBytes) {
    return fail(ErrorCode::kInvalidArgument, "library of target " + target + " (" + std::to_string(library.size()) +
                                                 " bytes) is over the limit of " + std::to_string(kMaxLibraryBytes) +
                                                 " bytes, or makes the archive exceed " +
                                                 std::to_string(kMaxTotalBytes));
  }

  auto c = claims::decodeClaims<claims::ProviderMetadata>(archive.token);
  if (!c) return fail(c.takeError());
  c->id = claims::generateTokenId();
  c->issued_at = claims::unixNow();
  c->metadata.target_hashes[target] = libraryHash(library);
  auto signed_claims = signClaims(std::move(*c), issuer);
  if (!signed_claims) return fail(signed_claims.takeError());

  archive.libraries[target] = std::move(library);
  archive.token = std::move(signed_claims->first);
  archive.claims = std::move(signed_claims->second);
  return ok();
}

std::string libraryHash(std::span<const uint8_t> bytes) {
  // SHA-256 itself needs no initialisation; sodium_init() is called once anyway, as libsodium asks.
  static const bool sodium_ready = sodium_init() >= 0;
  (void)sodium_ready;
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), bytes.data(), bytes.size());
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(digest.size() * 2);
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0F]);
  }
  return out;
}

std::string currentTarget() {
#if defined(__x86_64__) || defined(_M_X64)
  std::string arch = "x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  std::string arch = "aarch64";
#elif defined(__arm__) || defined(_M_ARM)
  std::string arch = "arm";
#elif defined(__i386__) || defined(_M_IX86)
  std::string arch = "x86";
#elif defined(__mips__) && defined(__mips64)
  std::string arch = "mips64";
#elif defined(__mips__)
  std::string arch = "mips";
#elif defined(__riscv) && __riscv_xlen == 64
  std::string arch = "riscv64";
#elif defined(__powerpc64__)
  std::string arch = "powerpc64";
#elif defined(__s390x__)
  std::string arch = "s390x";
#else
  std::string arch = "unknown";
#endif
#if defined(__linux__)
  const char* os = "linux";
#elif defined(__APPLE__)
  const char* os = "macos";
#elif defined(_WIN32)
  const char* os = "windows";
#elif defined(__FreeBSD__)
  const char* os = "freebsd";
#else
  const char* os = "unknown";
#endif
  return arch + "-" + os;
}

std::span<const std::string_view> knownTargets() { return kKnownTargets; }

bool isValidTarget(std::string_view target) {
  return std::find(kKnownTargets.begin(), kKnownTargets.end(), target) != kKnownTargets.end() ||
         (target == currentTarget() && target.find("unknown") == std::string_view::npos);
}

bool isValidTargetName(std::string_view target) {
  if (target.empty() || target.size() > 64 || target.front() == '.' || target == "claims") return false;
  return std::all_of(target.begin(), target.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
           ch == '.';
  });
}

}  // namespace stratus::par
