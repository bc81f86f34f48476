// Provider archives (PAR, provider-archive 0.4 / wasmCloud 0.18): a tar file, optionally gzip-compressed, that
// carries a capability provider's signed claims and one native library per target.
//
// Layout: member `claims.jwt` (a wascap token whose metadata is ProviderMetadata, issued by an account 'A' about a
// service 'V'), then one member `<target>.bin` per target, e.g. `x86_64-linux.bin`. The claims' `target_hashes`
// map every target to the SHA-256 (uppercase hex) of its library bytes, so a library cannot be swapped without
// re-signing.
//
// wasmCloud 0.18 only decodes the claims of an archive; stratus also verifies their signature, times and key
// types (verifyArchive). Reading and verifying are separate steps so that tools can inspect an archive that does
// not verify.
//
// Everything here works on bytes in memory and does no file I/O. Functions are thread-safe: they share no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "stratus/claims/claims.h"
#include "stratus/claims/nkeys.h"
#include "stratus/common/expected.h"

namespace stratus::par {

/// Name of the archive member that holds the claims token.
inline constexpr std::string_view kClaimsMember = "claims.jwt";
/// Extension of the library members: the member of target T is named T + kLibraryExtension.
inline constexpr std::string_view kLibraryExtension = ".bin";

/// Largest library member readArchive accepts and writeArchive writes (256 MiB).
inline constexpr size_t kMaxLibraryBytes = size_t{256} << 20;
/// Largest claims.jwt member readArchive accepts (1 MiB; real tokens are well under 4 KiB).
inline constexpr size_t kMaxClaimsBytes = size_t{1} << 20;
/// Largest sum of all member sizes readArchive accepts and writeArchive writes (1 GiB), once decompressed.
inline constexpr size_t kMaxTotalBytes = size_t{1} << 30;
/// Most members (of any kind, directories included) readArchive accepts.
inline constexpr size_t kMaxMembers = 1024;

/// A provider archive in memory. Plain value type; it owns all its bytes.
///
/// `token` is the authoritative, signed form of the claims; `claims` is its decoding (readArchive, createArchive
/// and insertLibrary keep the two in step). verifyArchive re-decodes `token` and never trusts `claims`.
struct ProviderArchive {
  claims::ProviderClaims claims;           ///< the decoded claims.jwt (not verified by readArchive)
  std::string token;                       ///< the claims.jwt text: a signed wascap token
  std::map<std::string, Bytes> libraries;  ///< target (e.g. "x86_64-linux") -> native library bytes
};

/// What createArchive puts in the claims besides the target hashes and the keys.
struct ArchiveInfo {
  std::string capid;                  ///< capability contract id, e.g. "wasmcloud:keyvalue" (required)
  std::string name;                   ///< friendly name of the provider (required)
  std::string vendor;                 ///< vendor, e.g. "wasmcloud" (required)
  std::optional<int32_t> rev;         ///< monotonically increasing revision
  std::optional<std::string> ver;     ///< human-readable version, e.g. "0.1.0"
  std::optional<int64_t> expires;     ///< `exp`, seconds since the Unix epoch (not checked against the clock here)
  std::optional<int64_t> not_before;  ///< `nbf`, seconds since the Unix epoch
};

/// Parses a provider archive: a tar file, or a gzip-compressed one (recognised by its first bytes 0x1f 0x8b).
///
/// Members are identified by their base name (any directory part is ignored, as 0.18 keys by file stem):
/// `claims.jwt` is the token (surrounding whitespace trimmed) and `<target>.bin` the library of <target>. Directory
/// members are skipped. The claims are decoded but NOT verified: call verifyArchive.
/// Errors (kMalformed, each naming the problem and the member): empty input; not a tar archive or a corrupt gzip
/// stream; a truncated or damaged archive; a member that is neither claims.jwt nor *.bin, or is not a regular file;
/// an empty target name or the reserved target "claims"; a second claims.jwt or a duplicate target; a member over
/// kMaxClaimsBytes / kMaxLibraryBytes, members totalling over kMaxTotalBytes, or more than kMaxMembers; no
/// claims.jwt; no library. A token that does not decode as provider claims fails with the decoder's error
/// (kMalformed or kInvalidClaims) prefixed by "claims.jwt: ".
Expected<ProviderArchive> readArchive(std::span<const uint8_t> bytes);

/// Verifies an archive the way stratus requires before loading a provider (stricter than wasmCloud 0.18, which
/// only compared hashes). Checks, in order: `token` decodes and its signature verifies against its issuer; it is
/// not expired and not before its `nbf` at `now` (seconds since the Unix epoch); the issuer is an account key
/// ('A') and the subject a service key ('V'); the archive has at least one library; every library has an entry in
/// `target_hashes` equal to the SHA-256 HEXUPPER of its bytes. Hash entries for targets the archive does not carry
/// are allowed. Errors: kInvalidClaims naming the failed check, e.g. "target x86_64-linux: hash mismatch (claims
/// say …, library is …)"; kMalformed for a token that does not parse.
Expected<void> verifyArchive(const ProviderArchive& archive, int64_t now);

/// Serialises an archive as provider-archive 0.4 does: GNU tar headers with mode 0, uid/gid 0, mtime 0 and no
/// owner names; `claims.jwt` (the `token` text) first, then `<target>.bin` for each library in target order;
/// ended by two zero blocks without further padding. With `gzip`, the tar stream is gzip-compressed with a zero
/// timestamp, so equal archives give equal bytes. The result is not verified.
/// Errors: kInvalidArgument for an empty token, a target name that isValidTargetName rejects, a library over
/// kMaxLibraryBytes or members totalling over kMaxTotalBytes; kInternal if libarchive fails.
Expected<Bytes> writeArchive(const ProviderArchive& archive, bool gzip);

/// Builds and signs a new archive: target_hashes computed from `libraries`, claims issued now by `issuer` about
/// `subject` with the fields of `info`, and a fresh token id. Takes ownership of `libraries`.
/// Errors (kInvalidArgument): `issuer` is not an account key or has no seed; `subject` is not a service key
/// (its seed is not needed); capid, name or vendor empty; no library; a target name isValidTargetName rejects; a
/// library over kMaxLibraryBytes or a total over kMaxTotalBytes.
Expected<ProviderArchive> createArchive(const ArchiveInfo& info, std::map<std::string, Bytes> libraries,
                                        const claims::KeyPair& issuer, const claims::KeyPair& subject);

/// Adds the library of `target` to `archive`, replacing any library it had for that target, and re-signs the
/// claims with `issuer`: a fresh token id and issue time, `target_hashes[target]` set to the new library's hash,
/// everything else (subject, metadata, other targets' hashes, exp, nbf) kept. Because other hashes are carried
/// over rather than recomputed, a library altered since it was signed still fails verifyArchive afterwards.
/// On error `archive` is left unchanged.
/// Errors: kInvalidArgument if `issuer` has no seed, is not an account key, or differs from the archive's issuer;
/// if `target` fails isValidTargetName; if the library is over kMaxLibraryBytes or the total over kMaxTotalBytes.
/// kInvalidClaims (or kMalformed) if the archive's current token is not validly signed by its issuer, so that a
/// forged token is never re-signed.
Expected<void> insertLibrary(ProviderArchive& archive, const std::string& target, Bytes library,
                             const claims::KeyPair& issuer);

/// SHA-256 of `bytes` as uppercase hex (64 characters), the form target_hashes holds.
std::string libraryHash(std::span<const uint8_t> bytes);

/// The target this program was built for, in Rust's `{ARCH}-{OS}` form (std::env::consts), e.g. "x86_64-linux",
/// "aarch64-linux", "arm-linux", "x86_64-macos", "aarch64-macos". Unknown parts read "unknown".
std::string currentTarget();

/// The targets wasmCloud 0.18 provider archives are known to use: x86_64-linux, aarch64-linux, arm-linux,
/// mips-linux, mips64-linux, x86_64-macos, aarch64-macos, x86_64-windows (in that order).
std::span<const std::string_view> knownTargets();

/// True when `target` is one of knownTargets() or currentTarget(). The CLI uses it to reject typos such as
/// "x86-64-linux"; the library functions accept any isValidTargetName.
bool isValidTarget(std::string_view target);

/// True when `target` can name an archive member: 1 to 64 characters from [A-Za-z0-9_.-], not starting with '.',
/// and not "claims" (whose member `claims.bin` 0.18 would take for the token, as it keys members by file stem).
bool isValidTargetName(std::string_view target);

}  // namespace stratus::par
