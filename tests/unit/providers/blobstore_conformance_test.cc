// The wasmcloud:blobstore contract, written once and run against both blobstore providers: the filesystem one
// (providers/fs, on a temporary ROOT) and the S3 one (providers/s3, against an s3rver this suite starts on a free
// loopback port; scripts/install-deps.sh --test installs it with `npm ci` in tests/servers). Both must answer the
// same calls the same way. Then what only one of them has: path-escape refusals (fs); endpoint outages, S3 error
// documents and multipart uploads (s3). The SigV4 signer itself is tested against AWS's vectors in sigv4_test.cc
// (s3rver does not verify V4 signatures).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "stratus/codec/blobstore.h"
#include "stratus/codec/msgpack.h"
#include "support/server_process.h"
#include "unit/providers/provider_harness.h"

namespace stratus::testing {
namespace {

namespace fs = std::filesystem;
using codec::Blob;
using codec::Container;
using codec::FileChunk;
using codec::StreamRequest;
using namespace std::chrono_literals;

/// One provider under test.
struct Backend {
  std::string library;       ///< libstratus_<library>.so
  std::string display_name;  ///< what the provider calls itself
  bool s3 = false;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.library; }

/// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::path(::testing::TempDir()) / "stratus-blob-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    path_ = made ? fs::path(made) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// The answer of 127.0.0.1:port to `GET /` (empty when nothing answers within 2 s).
std::string httpGetRoot(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  const std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

/// The s3rver every S3 test of this process shares (tests use distinct bucket names), started on first use.
struct SharedS3rver {
  std::unique_ptr<TempDir> data;
  std::optional<ServerProcess> server;
  std::string error;
};

SharedS3rver& sharedS3rver() {
  static SharedS3rver shared = [] {
    SharedS3rver s;
    const std::string script = std::string(STRATUS_SOURCE_DIR) + "/tests/servers/node_modules/s3rver/bin/s3rver.js";
    if (findProgram("node").empty()) {
      s.error = "node is not installed: the S3 tests need it to run s3rver (scripts/install-deps.sh --test)";
      return s;
    }
    if (::access(script.c_str(), R_OK) != 0) {
      s.error =
          "s3rver is not installed at " + script + ": run scripts/install-deps.sh --test (npm ci in tests/servers)";
      return s;
    }
    s.data = std::make_unique<TempDir>();
    // A bucket only this s3rver lists: a port picked free can be taken by another test's server before ours binds
    // it, and then that server (not ours, which exits) would answer. Probe until ours answers; else retry.
    const std::string marker = "stratus-probe-" + std::to_string(::getpid());
    fs::create_directory(s.data->path() / marker);
    for (int attempt = 0; attempt < 5 && !s.server; ++attempt) {
      const uint16_t port = freeLoopbackPort();
      std::string log = (fs::path(::testing::TempDir()) / "stratus-s3rver-").string();
      log += std::to_string(port);
      log += ".log";
      auto started = ServerProcess::start({"node", script, "--address", "127.0.0.1", "--port", std::to_string(port),
                                           "--directory", s.data->path().string(), "--silent"},
                                          port, log, 30s);
      if (!started) {
        s.error = "cannot start s3rver: " + started.error().toString();
        continue;
      }
      const auto deadline = std::chrono::steady_clock::now() + 15s;
      bool ours = false;
      while (!ours && std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(started->pid(), &status, WNOHANG) == started->pid()) break;  // ours exited: port taken
        ours = httpGetRoot(port).find(marker) != std::string::npos;
        if (!ours) std::this_thread::sleep_for(50ms);
      }
      if (ours) {
        s.server = std::move(*started);
        s.error.clear();
      } else {
        s.error = "s3rver on port " + std::to_string(port) + " did not answer as itself (log: " + log + ")";
      }
    }
    return s;
  }();
  return shared;
}

std::map<std::string, std::string> s3Link(uint16_t port) {
  return {{"ENDPOINT", "http://127.0.0.1:" + std::to_string(port)},
          {"REGION", "us-east-1"},
          {"AWS_ACCESS_KEY", "S3RVER"},  // s3rver's built-in account
          {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
          {"PATH_STYLE", "true"}};
}

Bytes pattern(size_t n, uint8_t seed = 1) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 31 + seed) & 0xff);
  return b;
}

FileChunk chunkOf(const std::string& container, const std::string& id, uint64_t seq, uint64_t total,
                  uint64_t chunk_size, Bytes bytes = {}) {
  FileChunk c;
  c.sequence_no = seq;
  c.container = Container{container};
  c.id = id;
  c.total_bytes = total;
  c.chunk_size = chunk_size;
  c.chunk_bytes = std::move(bytes);
  return c;
}

std::atomic<int> g_counter{0};

/// Fixture shared by the contract suite and the provider-specific tests.
class BlobstoreTestBase {
 protected:
  void load(const std::string& library, std::map<std::string, std::string> link) {
    link_ = std::move(link);
    h_ = ProviderHarness::load(library);
    ASSERT_TRUE(h_);
    auto bound = h_->bind(a_, link_);
    ASSERT_TRUE(bound) << bound.error().toString();
    prefix_ = "t" + std::to_string(g_counter++) + "-" + std::to_string(::getpid()) + "-";
  }

  /// A container name unique to this test (S3 tests share one server).
  std::string name(const std::string& base) const { return prefix_ + base; }

  Expected<Bytes> call(std::string_view op, const Bytes& msg, const std::string& actor = "") {
    return h_->call(actor.empty() ? a_ : actor, op, msg);
  }
  /// The reply of a call that must succeed.
  Bytes ok(std::string_view op, const Bytes& msg, const std::string& actor = "") {
    auto r = call(op, msg, actor);
    EXPECT_TRUE(r) << op << ": " << r.error().toString();
    return r ? *r : Bytes{};
  }
  /// The error message of a call that must fail.
  std::string failure(std::string_view op, const Bytes& msg, const std::string& actor = "") {
    auto r = call(op, msg, actor);
    EXPECT_FALSE(r) << op << " succeeded but should have failed";
    return r ? std::string() : r.error().message;
  }
  void expectSuccess(const Bytes& reply) {
    auto result = codec::decodeBlobstoreResult(reply);
    ASSERT_TRUE(result) << result.error().toString();
    EXPECT_TRUE(result->success);
  }

  void createContainer(const std::string& c) { ok(codec::kOpCreateContainer, codec::encode(Container{c})); }

  /// StartUpload (metadata only), then UploadChunk for each `chunk`-sized piece, numbered from `first_seq`.
  void upload(const std::string& c, const std::string& id, const Bytes& data, size_t chunk, uint64_t first_seq = 0) {
    expectSuccess(ok(codec::kOpStartUpload, codec::encode(chunkOf(c, id, first_seq, data.size(), chunk))));
    uint64_t seq = first_seq;
    for (size_t off = 0; off < data.size(); off += chunk, ++seq) {
      Bytes piece(data.begin() + static_cast<ptrdiff_t>(off),
                  data.begin() + static_cast<ptrdiff_t>(std::min(data.size(), off + chunk)));
      expectSuccess(ok(codec::kOpUploadChunk, codec::encode(chunkOf(c, id, seq, data.size(), chunk, piece))));
    }
  }

  Blob info(const std::string& c, const std::string& id) {
    auto b = codec::decodeBlob(ok(codec::kOpGetObjectInfo, codec::encode(Blob{id, Container{c}, 0})));
    EXPECT_TRUE(b) << (b ? "" : b.error().toString());
    return b ? *b : Blob{};
  }

  std::vector<Blob> list(const std::string& c) {
    auto l = codec::decodeBlobList(ok(codec::kOpListObjects, codec::encode(Container{c})));
    EXPECT_TRUE(l) << (l ? "" : l.error().toString());
    return l ? l->blobs : std::vector<Blob>{};
  }

  /// The ReceiveChunk calls among `dispatched` that carry `context`, in dispatch order.
  static std::vector<FileChunk> chunksIn(const std::vector<ProviderHarness::Dispatched>& dispatched,
                                         const std::string& context) {
    std::vector<FileChunk> out;
    for (const auto& d : dispatched) {
      if (d.operation != codec::kOpReceiveChunk) continue;
      auto c = codec::decodeFileChunk(d.msg);
      if (c && c->context == context) out.push_back(std::move(*c));
    }
    return out;
  }
  /// The ReceiveChunk calls dispatched so far that carry `context` (not from inside a waitFor predicate).
  std::vector<FileChunk> received(const std::string& context) { return chunksIn(h_->dispatched(), context); }

  /// StartDownload and wait until the actor received every byte; returns the chunks in dispatch order.
  std::vector<FileChunk> download(const std::string& c, const std::string& id, uint64_t chunk_size) {
    const std::string context = "ctx-" + std::to_string(g_counter++);
    expectSuccess(ok(codec::kOpStartDownload, codec::encode(StreamRequest{id, Container{c}, chunk_size, context})));
    const bool complete = h_->waitFor(
        [&](const std::vector<ProviderHarness::Dispatched>& ds, const std::vector<ProviderHarness::LogLine>&) {
          uint64_t got = 0;
          uint64_t total = UINT64_MAX;
          for (const auto& d : ds) {
            if (d.operation != codec::kOpReceiveChunk) continue;
            auto fc = codec::decodeFileChunk(d.msg);
            if (!fc || fc->context != context) continue;
            got += fc->chunk_bytes.size();
            total = fc->total_bytes;
          }
          return total != UINT64_MAX && got >= total;
        },
        20s);
    EXPECT_TRUE(complete) << "the download of " << c << "/" << id << " did not complete";
    return received(context);
  }

  static Bytes joined(const std::vector<FileChunk>& chunks) {
    Bytes all;
    for (const auto& c : chunks) all.insert(all.end(), c.chunk_bytes.begin(), c.chunk_bytes.end());
    return all;
  }

  std::unique_ptr<ProviderHarness> h_;
  const std::string a_ = actorKey('A');
  std::map<std::string, std::string> link_;
  std::string prefix_;
  std::unique_ptr<TempDir> root_;
};

// ---- the contract, for both providers ----

class BlobstoreConformance : public BlobstoreTestBase, public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::map<std::string, std::string> link;
    if (GetParam().s3) {
      SharedS3rver& s3 = sharedS3rver();
      ASSERT_TRUE(s3.server) << s3.error;
      link = s3Link(s3.server->port());
    } else {
      root_ = std::make_unique<TempDir>();
      ASSERT_FALSE(root_->path().empty());
      link["ROOT"] = root_->path().string();
    }
    load(GetParam().library, link);
  }
};

TEST_P(BlobstoreConformance, IdentifiesItselfAndIsHealthy) {
  EXPECT_EQ(h_->provider->capabilityId(), "wasmcloud:blobstore");
  EXPECT_EQ(h_->provider->name(), GetParam().display_name);
  auto reply = h_->call(codec::kSystemActor, codec::kOpHealthRequest, codec::encode(codec::HealthRequest{}));
  ASSERT_TRUE(reply) << reply.error().toString();
  auto health = codec::decodeHealthResponse(*reply);
  ASSERT_TRUE(health);
  EXPECT_TRUE(health->healthy);
}

TEST_P(BlobstoreConformance, ContainersAreCreatedListedAndRemoved) {
  const std::string c = name("photos");
  auto created = codec::decodeContainer(ok(codec::kOpCreateContainer, codec::encode(Container{c})));
  ASSERT_TRUE(created);
  EXPECT_EQ(created->id, c);
  createContainer(c);  // creating an existing container is fine
  EXPECT_TRUE(list(c).empty());
  expectSuccess(ok(codec::kOpRemoveContainer, codec::encode(Container{c})));
  std::string gone = failure(codec::kOpListObjects, codec::encode(Container{c}));
  EXPECT_NE(gone.find("ListObjects"), std::string::npos) << gone;
  EXPECT_NE(gone.find("container '" + c + "' does not exist"), std::string::npos) << gone;
  std::string again = failure(codec::kOpRemoveContainer, codec::encode(Container{c}));
  EXPECT_NE(again.find("container '" + c + "' does not exist"), std::string::npos) << again;
}

TEST_P(BlobstoreConformance, ChunkedUploadThenInfoListAndChunkedDownload) {
  const std::string c = name("docs");
  createContainer(c);
  const Bytes data = pattern(10'000);
  upload(c, "report.bin", data, 3000);
  upload(c, "a.txt", Bytes{'h', 'i'}, 1);

  Blob b = info(c, "report.bin");
  EXPECT_EQ(b.id, "report.bin");
  EXPECT_EQ(b.container.id, c);
  EXPECT_EQ(b.byte_size, 10'000u);

  auto blobs = list(c);
  ASSERT_EQ(blobs.size(), 2u);
  EXPECT_EQ(blobs[0].id, "a.txt");  // sorted by name
  EXPECT_EQ(blobs[0].byte_size, 2u);
  EXPECT_EQ(blobs[1].id, "report.bin");
  EXPECT_EQ(blobs[1].byte_size, 10'000u);
  EXPECT_EQ(blobs[1].container.id, c);

  auto chunks = download(c, "report.bin", 4096);
  ASSERT_EQ(chunks.size(), 3u);
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].sequence_no, i);  // numbered from 0, delivered in order
    EXPECT_EQ(chunks[i].total_bytes, 10'000u);
    EXPECT_EQ(chunks[i].chunk_size, 4096u);
    EXPECT_EQ(chunks[i].id, "report.bin");
    EXPECT_EQ(chunks[i].container.id, c);
  }
  EXPECT_EQ(chunks[2].chunk_bytes.size(), 10'000u - 2 * 4096u);
  EXPECT_EQ(joined(chunks), data);
}

TEST_P(BlobstoreConformance, DownloadWithoutChunkSizeUsesOneMebibyte) {
  const std::string c = name("big");
  createContainer(c);
  const Bytes data = pattern((3u << 20) / 2, 7);  // 1.5 MiB
  upload(c, "blob", data, 1 << 20);
  auto chunks = download(c, "blob", 0);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].chunk_bytes.size(), 1u << 20);
  EXPECT_EQ(chunks[0].chunk_size, 1u << 20);
  EXPECT_EQ(joined(chunks), data);
}

TEST_P(BlobstoreConformance, ChunksAreOrderedBySequenceNumberFromZeroOrOne) {
  const std::string c = name("order");
  createContainer(c);
  // 0.18's S3 provider numbered upload chunks from 1 and sent them after a StartUpload without bytes.
  upload(c, "one-based", pattern(25), 10, 1);
  EXPECT_EQ(joined(download(c, "one-based", 100)), pattern(25));

  // Out of order: 2, 0, 1.
  const Bytes data = pattern(25, 3);
  auto piece = [&](size_t i) {
    return Bytes(data.begin() + static_cast<ptrdiff_t>(i * 10),
                 data.begin() + static_cast<ptrdiff_t>(std::min<size_t>(25, i * 10 + 10)));
  };
  expectSuccess(ok(codec::kOpStartUpload, codec::encode(chunkOf(c, "shuffled", 0, 25, 10))));
  for (size_t i : {2u, 0u, 1u}) {
    expectSuccess(ok(codec::kOpUploadChunk, codec::encode(chunkOf(c, "shuffled", i, 25, 10, piece(i)))));
  }
  EXPECT_EQ(joined(download(c, "shuffled", 7)), data);

  // StartUpload may carry the first chunk itself.
  expectSuccess(ok(codec::kOpStartUpload, codec::encode(chunkOf(c, "first-in-start", 0, 4, 2, Bytes{1, 2}))));
  expectSuccess(ok(codec::kOpUploadChunk, codec::encode(chunkOf(c, "first-in-start", 1, 4, 2, Bytes{3, 4}))));
  EXPECT_EQ(joined(download(c, "first-in-start", 10)), (Bytes{1, 2, 3, 4}));
}

TEST_P(BlobstoreConformance, AnObjectAppearsOnlyWhenComplete) {
  const std::string c = name("atomic");
  createContainer(c);
  upload(c, "doc", Bytes{'o', 'l', 'd'}, 3);
  expectSuccess(ok(codec::kOpStartUpload, codec::encode(chunkOf(c, "doc", 0, 6, 3))));
  expectSuccess(ok(codec::kOpUploadChunk, codec::encode(chunkOf(c, "doc", 0, 6, 3, Bytes{'n', 'e', 'w'}))));
  // Half uploaded: the old version is what readers see.
  EXPECT_EQ(info(c, "doc").byte_size, 3u);
  EXPECT_EQ(joined(download(c, "doc", 100)), (Bytes{'o', 'l', 'd'}));
  expectSuccess(ok(codec::kOpStartUpload, codec::encode(chunkOf(c, "fresh", 0, 4, 2))));
  expectSuccess(ok(codec::kOpUploadChunk, codec::encode(chunkOf(c, "fresh", 0, 4, 2, Bytes{1, 2}))));
  EXPECT_EQ(info(c, "fresh").id, "none");
  EXPECT_EQ(list(c).size(), 1u);
  // Done: replaced whole.
  expectSuccess(ok(codec::kOpUploadChunk, codec::encode(chunkOf(c, "doc", 1, 6, 3, Bytes{'e', 'r', '!'}))));
  EXPECT_EQ(info(c, "doc").byte_size, 6u);
  EXPECT_EQ(joined(download(c, "doc", 100)), (Bytes{'n', 'e', 'w', 'e', 'r', '!'}));
}

TEST_P(BlobstoreConformance, EmptyObjectIsOneEmptyChunk) {
  const std::string c = name("empty");
  createContainer(c);
  expectSuccess(ok(codec::kOpStartUpload, codec::encode(chunkOf(c, "nothing", 0, 0, 100))));
  Blob b = info(c, "nothing");
  EXPECT_EQ(b.id, "nothing");
  EXPECT_EQ(b.byte_size, 0u);
  auto chunks = download(c, "nothing", 100);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].total_bytes, 0u);
  EXPECT_TRUE(chunks[0].chunk_bytes.empty());
}

TEST_P(BlobstoreConformance, RemoveObject) {
  const std::string c = name("rm");
  createContainer(c);
  upload(c, "x", Bytes{1}, 1);
  expectSuccess(ok(codec::kOpRemoveObject, codec::encode(Blob{"x", Container{c}, 0})));
  EXPECT_EQ(info(c, "x").id, "none");
  EXPECT_TRUE(list(c).empty());
  std::string again = failure(codec::kOpRemoveObject, codec::encode(Blob{"x", Container{c}, 0}));
  EXPECT_NE(again.find("RemoveObject"), std::string::npos) << again;
  EXPECT_NE(again.find("object 'x' in container '" + c + "' does not exist"), std::string::npos) << again;
  const std::string nowhere = name("nowhere");
  std::string no_container = failure(codec::kOpRemoveObject, codec::encode(Blob{"x", Container{nowhere}, 0}));
  EXPECT_NE(no_container.find("container '" + nowhere + "' does not exist"), std::string::npos) << no_container;
}

TEST_P(BlobstoreConformance, MissingObjectsAndContainers) {
  const std::string c = name("present");
  const std::string nowhere = name("nowhere");
  createContainer(c);
  // GetObjectInfo answers 0.18's placeholder rather than an error.
  Blob none = info(c, "ghost");
  EXPECT_EQ(none.id, "none");
  EXPECT_EQ(none.container.id, "none");
  EXPECT_EQ(none.byte_size, 0u);
  EXPECT_EQ(info(nowhere, "ghost").id, "none");

  std::string download_missing =
      failure(codec::kOpStartDownload, codec::encode(StreamRequest{"ghost", Container{c}, 10, std::nullopt}));
  EXPECT_NE(download_missing.find("StartDownload"), std::string::npos) << download_missing;
  EXPECT_NE(download_missing.find("object 'ghost' in container '" + c + "' does not exist"), std::string::npos)
      << download_missing;
  std::string download_nowhere =
      failure(codec::kOpStartDownload, codec::encode(StreamRequest{"ghost", Container{nowhere}, 10, std::nullopt}));
  EXPECT_NE(download_nowhere.find("container '" + nowhere + "' does not exist"), std::string::npos) << download_nowhere;
  std::string upload_nowhere = failure(codec::kOpStartUpload, codec::encode(chunkOf(nowhere, "o", 0, 3, 3)));
  EXPECT_NE(upload_nowhere.find("container '" + nowhere + "' does not exist"), std::string::npos) << upload_nowhere;
  std::string list_nowhere = failure(codec::kOpListObjects, codec::encode(Container{nowhere}));
  EXPECT_NE(list_nowhere.find("container '" + nowhere + "' does not exist"), std::string::npos) << list_nowhere;
  std::string unknown = failure("Frobnicate", Bytes{0x80});
  EXPECT_NE(unknown.find("unknown operation"), std::string::npos) << unknown;
}

TEST_P(BlobstoreConformance, NonEmptyContainerIsNotRemoved) {
  const std::string c = name("full");
  createContainer(c);
  upload(c, "keep", Bytes{1, 2, 3}, 3);
  std::string refused = failure(codec::kOpRemoveContainer, codec::encode(Container{c}));
  EXPECT_NE(refused.find("container '" + c + "' is not empty"), std::string::npos) << refused;
  EXPECT_EQ(info(c, "keep").byte_size, 3u);
  expectSuccess(ok(codec::kOpRemoveObject, codec::encode(Blob{"keep", Container{c}, 0})));
  expectSuccess(ok(codec::kOpRemoveContainer, codec::encode(Container{c})));
}

TEST_P(BlobstoreConformance, UploadErrors) {
  const std::string c = name("errors");
  createContainer(c);
  std::string no_start = failure(codec::kOpUploadChunk, codec::encode(chunkOf(c, "o", 0, 3, 3, Bytes{1, 2, 3})));
  EXPECT_NE(no_start.find("no upload of object 'o' in container '" + c + "'"), std::string::npos) << no_start;
  EXPECT_NE(no_start.find("StartUpload first"), std::string::npos) << no_start;

  expectSuccess(ok(codec::kOpStartUpload, codec::encode(chunkOf(c, "o", 0, 4, 2))));
  expectSuccess(ok(codec::kOpUploadChunk, codec::encode(chunkOf(c, "o", 0, 4, 2, Bytes{1, 2}))));
  std::string twice = failure(codec::kOpUploadChunk, codec::encode(chunkOf(c, "o", 0, 4, 2, Bytes{1, 2})));
  EXPECT_NE(twice.find("chunk 0 of object 'o' in container '" + c + "' arrived twice"), std::string::npos) << twice;
  std::string too_much = failure(codec::kOpUploadChunk, codec::encode(chunkOf(c, "o", 1, 4, 2, Bytes{3, 4, 5})));
  EXPECT_NE(too_much.find("more than its totalBytes 4"), std::string::npos) << too_much;
  // The upload goes on after a refused chunk.
  expectSuccess(ok(codec::kOpUploadChunk, codec::encode(chunkOf(c, "o", 1, 4, 2, Bytes{3, 4}))));
  EXPECT_EQ(joined(download(c, "o", 10)), (Bytes{1, 2, 3, 4}));

  std::string malformed = failure(codec::kOpUploadChunk, Bytes{0xa3, 'a', 'b', 'c'});
  EXPECT_NE(malformed.find("FileChunk"), std::string::npos) << malformed;
}

TEST_P(BlobstoreConformance, LimitsFromTheLink) {
  const std::string b = actorKey('B');
  auto link = link_;
  link["MAX_OBJECT_BYTES"] = "1000";
  link["MAX_CHUNK_BYTES"] = "100";
  ASSERT_TRUE(h_->bind(b, link));
  const std::string c = name("limits");
  createContainer(c);
  std::string big = failure(codec::kOpStartUpload, codec::encode(chunkOf(c, "o", 0, 2000, 100)), b);
  EXPECT_NE(big.find("totalBytes 2000 is more than MAX_OBJECT_BYTES 1000"), std::string::npos) << big;
  std::string wide = failure(codec::kOpStartUpload, codec::encode(chunkOf(c, "o", 0, 500, 200)), b);
  EXPECT_NE(wide.find("chunkSize 200 is more than MAX_CHUNK_BYTES 100"), std::string::npos) << wide;
  expectSuccess(ok(codec::kOpStartUpload, codec::encode(chunkOf(c, "o", 0, 500, 100)), b));
  std::string fat = failure(codec::kOpUploadChunk, codec::encode(chunkOf(c, "o", 0, 500, 100, pattern(101))), b);
  EXPECT_NE(fat.find("101 bytes, more than MAX_CHUNK_BYTES 100"), std::string::npos) << fat;
  upload(c, "small", pattern(50), 50);
  std::string dl =
      failure(codec::kOpStartDownload, codec::encode(StreamRequest{"small", Container{c}, 101, std::nullopt}), b);
  EXPECT_NE(dl.find("chunkSize 101 is more than MAX_CHUNK_BYTES 100"), std::string::npos) << dl;

  auto bad = link_;
  bad["MAX_CHUNK_BYTES"] = "lots";
  auto refused = h_->bind(actorKey('C'), bad);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("MAX_CHUNK_BYTES='lots'"), std::string::npos) << refused.error().message;
}

// Every argument shape of the 0.18 era (see include/stratus/codec/blobstore.h).
TEST_P(BlobstoreConformance, AcceptsEveryArgumentShapeOfTheEra) {
  const std::string c = name("shapes");
  codec::Writer w;
  w.mapHeader(1).str("id").str(c);  // actor-blobstore 0.2.0 CreateContainerArgs
  ok(codec::kOpCreateContainer, w.take());
  upload(c, "o", Bytes{9, 8, 7}, 3);

  w.mapHeader(1).str("container_id").str(c);  // 0.2.0 ListObjectsArgs
  auto flat = codec::decodeBlobList(ok(codec::kOpListObjects, w.take()));
  ASSERT_TRUE(flat);
  EXPECT_EQ(flat->blobs.size(), 1u);
  w.mapHeader(1).str("container").mapHeader(1).str("id").str(c);  // 0.1 ListObjectsArgs
  auto wrapped = codec::decodeBlobList(ok(codec::kOpListObjects, w.take()));
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(wrapped->blobs.size(), 1u);

  w.mapHeader(2).str("blob_id").str("o").str("container_id").str(c);  // 0.2.0 GetObjectInfoArgs
  auto b = codec::decodeBlob(ok(codec::kOpGetObjectInfo, w.take()));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->byte_size, 3u);

  // 0.2.0 StartDownloadArgs
  w.mapHeader(4).str("blob_id").str("o").str("container_id").str(c).str("chunk_size").uint(2);
  w.str("context").str("flat-download");
  expectSuccess(ok(codec::kOpStartDownload, w.take()));
  ASSERT_TRUE(h_->waitFor([&](const auto& ds, const auto&) { return chunksIn(ds, "flat-download").size() == 2; }));
  EXPECT_EQ(joined(received("flat-download")), (Bytes{9, 8, 7}));

  w.mapHeader(2).str("id").str("o").str("container_id").str(c);  // 0.2.0 RemoveObjectArgs
  expectSuccess(ok(codec::kOpRemoveObject, w.take()));
  EXPECT_EQ(info(c, "o").id, "none");
}

// As in 0.18: StartDownload answers at once, and the chunks reach the actor from a provider thread.
TEST_P(BlobstoreConformance, StartDownloadAnswersBeforeTheChunksAreDelivered) {
  const std::string c = name("async");
  createContainer(c);
  upload(c, "o", pattern(30), 30);
  // Shared with the provider's thread, which may still be in the reply after the test body ends.
  struct State {
    std::mutex m;
    std::condition_variable cv;
    bool released = false;
    int calls = 0;
    std::set<std::thread::id> threads;
  };
  auto state = std::make_shared<State>();
  h_->setReply([state](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    if (d.operation == codec::kOpReceiveChunk) {
      std::unique_lock lock(state->m);
      state->threads.insert(std::this_thread::get_id());
      state->cv.wait_for(lock, 10s, [&] { return state->released; });
      ++state->calls;
      state->cv.notify_all();
    }
    return Bytes{};
  });
  // The first ReceiveChunk blocks until released, so this call cannot be waiting for the delivery.
  expectSuccess(ok(codec::kOpStartDownload, codec::encode(StreamRequest{"o", Container{c}, 10, "async"})));
  std::unique_lock lock(state->m);
  EXPECT_EQ(state->calls, 0);
  state->released = true;
  state->cv.notify_all();
  ASSERT_TRUE(state->cv.wait_for(lock, 10s, [&] { return state->calls == 3; }));
  ASSERT_EQ(state->threads.size(), 1u);  // one thread delivers the chunks of a download, in order
  EXPECT_NE(*state->threads.begin(), std::this_thread::get_id());
  lock.unlock();
  EXPECT_EQ(joined(received("async")), pattern(30));
}

TEST_P(BlobstoreConformance, DownloadStopsWhenTheActorFails) {
  const std::string c = name("fails");
  createContainer(c);
  upload(c, "o", pattern(100), 50);
  h_->setReply([](const ProviderHarness::Dispatched& d) -> Expected<Bytes> {
    if (d.operation == codec::kOpReceiveChunk) return fail(ErrorCode::kGuestError, "actor says no");
    return Bytes{};
  });
  expectSuccess(ok(codec::kOpStartDownload, codec::encode(StreamRequest{"o", Container{c}, 10, "stop"})));
  ASSERT_TRUE(h_->waitFor([](const auto&, const std::vector<ProviderHarness::LogLine>& logs) {
    for (const auto& l : logs) {
      if (l.level == STRATUS_LOG_ERROR && l.text.find("ReceiveChunk 0 failed") != std::string::npos) return true;
    }
    return false;
  })) << "no error logged";
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(received("stop").size(), 1u);  // the other nine chunks were not sent
}

TEST_P(BlobstoreConformance, UnlinkedActorsAreRefused) {
  std::string refused = failure(codec::kOpListObjects, codec::encode(Container{name("x")}), actorKey('Z'));
  EXPECT_NE(refused.find("is not linked to this provider"), std::string::npos) << refused;
  ASSERT_TRUE(h_->remove(a_));
  refused = failure(codec::kOpListObjects, codec::encode(Container{name("x")}));
  EXPECT_NE(refused.find("is not linked to this provider"), std::string::npos) << refused;
}

INSTANTIATE_TEST_SUITE_P(Providers, BlobstoreConformance,
                         ::testing::Values(Backend{"fs", "stratus filesystem blobstore", false},
                                           Backend{"s3", "stratus S3 blobstore (libcurl, SigV4)", true}),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.library; });

// ---- the filesystem provider only ----

class FsBlobstoreTest : public BlobstoreTestBase, public ::testing::Test {
 protected:
  void SetUp() override {
    outer_ = std::make_unique<TempDir>();
    ASSERT_FALSE(outer_->path().empty());
    root_path_ = outer_->path() / "root";
    outside_ = outer_->path() / "outside";
    fs::create_directories(outside_);
    std::ofstream(outside_ / "secret") << "top secret";
    load("fs", {{"ROOT", root_path_.string()}});
  }

  std::string outsideSecret() {
    std::ifstream in(outside_ / "secret");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  std::unique_ptr<TempDir> outer_;
  fs::path root_path_, outside_;
};

TEST_F(FsBlobstoreTest, ObjectsAreFilesUnderRootAndNoTemporaryFilesRemain) {
  createContainer("photos");
  upload("photos", "cat.jpg", pattern(5000), 1000);
  EXPECT_TRUE(fs::is_directory(root_path_ / "photos"));
  std::ifstream in(root_path_ / "photos" / "cat.jpg", std::ios::binary);
  Bytes on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(on_disk, pattern(5000));
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(root_path_ / "photos")) {
    EXPECT_EQ(e.path().filename(), "cat.jpg");
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST_F(FsBlobstoreTest, NamesThatWouldEscapeRootAreRefused) {
  createContainer("c");
  struct Case {
    std::string container, object, expected;
  };
  const std::vector<Case> cases = {
      {"..", "x", "container '..': the name would leave its directory: refused"},
      {"../outside", "secret", "container '../outside': the name contains '/'"},
      {"/etc", "passwd", "container '/etc': the name is an absolute path: refused"},
      {"", "x", "the container name is empty"},
      {std::string("c\0d", 3), "x", "contains a NUL byte"},
      {"c", "..", "object '..' in container 'c': the name would leave its directory: refused"},
      {"c", "../../outside/secret", "object '../../outside/secret' in container 'c': the name contains '/'"},
      {"c", "/etc/passwd", "object '/etc/passwd' in container 'c': the name is an absolute path: refused"},
      {"c", "", "the object name is empty (container 'c')"},
      {"c", ".stratus-upload-0123", "reserved for uploads in progress"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.container + " / " + k.object);
    for (auto op : {codec::kOpStartUpload, codec::kOpUploadChunk}) {
      std::string e = failure(op, codec::encode(chunkOf(k.container, k.object, 0, 3, 3, Bytes{1, 2, 3})));
      EXPECT_NE(e.find(k.expected), std::string::npos) << e;
    }
    for (auto op : {codec::kOpGetObjectInfo, codec::kOpRemoveObject}) {
      std::string e = failure(op, codec::encode(Blob{k.object, Container{k.container}, 0}));
      EXPECT_NE(e.find(k.expected), std::string::npos) << e;
    }
    std::string e =
        failure(codec::kOpStartDownload, codec::encode(StreamRequest{k.object, Container{k.container}, 10, {}}));
    EXPECT_NE(e.find(k.expected), std::string::npos) << e;
  }
  for (const std::string bad : {"..", "/tmp", "a/b", ""}) {
    std::string e = failure(codec::kOpCreateContainer, codec::encode(Container{bad}));
    EXPECT_FALSE(e.empty());
    e = failure(codec::kOpListObjects, codec::encode(Container{bad}));
    EXPECT_FALSE(e.empty());
    e = failure(codec::kOpRemoveContainer, codec::encode(Container{bad}));
    EXPECT_FALSE(e.empty());
  }
  EXPECT_EQ(outsideSecret(), "top secret");
  // Nothing was created beside ROOT.
  std::set<std::string> beside;
  for (const auto& e : fs::directory_iterator(outer_->path())) beside.insert(e.path().filename().string());
  EXPECT_EQ(beside, (std::set<std::string>{"outside", "root"}));
}

TEST_F(FsBlobstoreTest, SymbolicLinksInsideRootAreNeverFollowed) {
  createContainer("c");
  fs::create_directory_symlink(outside_, root_path_ / "evil");         // a container pointing out of ROOT
  fs::create_symlink(outside_ / "secret", root_path_ / "c" / "leak");  // an object pointing out of ROOT
  fs::create_symlink(root_path_ / "c", root_path_ / "inside");         // even a link staying inside ROOT

  for (const std::string container : {"evil", "inside"}) {
    SCOPED_TRACE(container);
    const std::string expected = "container '" + container + "' is a symbolic link: refused";
    std::string e = failure(codec::kOpListObjects, codec::encode(Container{container}));
    EXPECT_NE(e.find(expected), std::string::npos) << e;
    e = failure(codec::kOpGetObjectInfo, codec::encode(Blob{"secret", Container{container}, 0}));
    EXPECT_NE(e.find(expected), std::string::npos) << e;
    e = failure(codec::kOpStartDownload, codec::encode(StreamRequest{"secret", Container{container}, 10, {}}));
    EXPECT_NE(e.find(expected), std::string::npos) << e;
    e = failure(codec::kOpStartUpload, codec::encode(chunkOf(container, "secret", 0, 3, 3, Bytes{1, 2, 3})));
    EXPECT_NE(e.find(expected), std::string::npos) << e;
    e = failure(codec::kOpRemoveObject, codec::encode(Blob{"secret", Container{container}, 0}));
    EXPECT_NE(e.find(expected), std::string::npos) << e;
    e = failure(codec::kOpRemoveContainer, codec::encode(Container{container}));
    EXPECT_NE(e.find(expected), std::string::npos) << e;
    e = failure(codec::kOpCreateContainer, codec::encode(Container{container}));
    EXPECT_NE(e.find(expected), std::string::npos) << e;
  }

  const std::string expected = "object 'leak' in container 'c' is a symbolic link: refused";
  std::string e = failure(codec::kOpGetObjectInfo, codec::encode(Blob{"leak", Container{"c"}, 0}));
  EXPECT_NE(e.find(expected), std::string::npos) << e;
  e = failure(codec::kOpStartDownload, codec::encode(StreamRequest{"leak", Container{"c"}, 10, {}}));
  EXPECT_NE(e.find(expected), std::string::npos) << e;
  e = failure(codec::kOpRemoveObject, codec::encode(Blob{"leak", Container{"c"}, 0}));
  EXPECT_NE(e.find(expected), std::string::npos) << e;
  EXPECT_TRUE(list("c").empty());  // links are not objects

  // Uploading onto the link's name replaces the link, never the file it points to.
  upload("c", "leak", Bytes{'m', 'i', 'n', 'e'}, 4);
  EXPECT_FALSE(fs::is_symlink(root_path_ / "c" / "leak"));
  EXPECT_EQ(info("c", "leak").byte_size, 4u);
  EXPECT_EQ(outsideSecret(), "top secret");
  EXPECT_TRUE(fs::exists(outside_ / "secret"));
}

TEST_F(FsBlobstoreTest, RootIsRequiredAndCreated) {
  auto refused = h_->bind(actorKey('B'), {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("ROOT"), std::string::npos) << refused.error().message;
  const fs::path deep = outer_->path() / "a" / "b" / "c";
  ASSERT_TRUE(h_->bind(actorKey('C'), {{"ROOT", deep.string()}}));
  EXPECT_TRUE(fs::is_directory(deep));
  std::ofstream(outer_->path() / "plain") << "x";
  auto not_dir = h_->bind(actorKey('D'), {{"ROOT", (outer_->path() / "plain").string()}});
  ASSERT_FALSE(not_dir);
}

TEST_F(FsBlobstoreTest, RemovingTheActorDropsItsPendingUploads) {
  createContainer("c");
  expectSuccess(ok(codec::kOpStartUpload, codec::encode(chunkOf("c", "o", 0, 10, 5, pattern(5)))));
  size_t temps = 0;
  for (const auto& e : fs::directory_iterator(root_path_ / "c"))
    temps += e.path().filename().string().starts_with(".stratus-upload-");
  EXPECT_EQ(temps, 1u);
  ASSERT_TRUE(h_->remove(a_));
  EXPECT_TRUE(fs::is_empty(root_path_ / "c"));
}

// ---- the S3 provider only ----

class S3BlobstoreTest : public BlobstoreTestBase, public ::testing::Test {
 protected:
  void SetUp() override {
    SharedS3rver& s3 = sharedS3rver();
    ASSERT_TRUE(s3.server) << s3.error;
    port_ = s3.server->port();
    load("s3", s3Link(port_));
  }
  uint16_t port_ = 0;
};

TEST_F(S3BlobstoreTest, UnreachableEndpointIsNamed) {
  // A port bound but not listening: connections are refused, and no other process can take it meanwhile.
  int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const uint16_t dead = ntohs(addr.sin_port);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{holder};
  auto link = s3Link(dead);
  link["TIMEOUT_MS"] = "3000";
  ASSERT_TRUE(h_->bind(actorKey('B'), link));
  std::string e = failure(codec::kOpCreateContainer, codec::encode(Container{name("c")}), actorKey('B'));
  EXPECT_NE(e.find("CreateContainer: S3 endpoint http://127.0.0.1:" + std::to_string(dead) + " is unreachable"),
            std::string::npos)
      << e;
  e = failure(codec::kOpStartDownload, codec::encode(StreamRequest{"o", Container{name("c")}, 10, {}}), actorKey('B'));
  EXPECT_NE(e.find("http://127.0.0.1:" + std::to_string(dead)), std::string::npos) << e;
}

TEST_F(S3BlobstoreTest, ServerErrorsCarryS3CodeAndMessage) {
  auto link = s3Link(port_);
  link["AWS_ACCESS_KEY"] = "NOSUCHKEY";
  ASSERT_TRUE(h_->bind(actorKey('B'), link));
  std::string e = failure(codec::kOpCreateContainer, codec::encode(Container{name("c")}), actorKey('B'));
  EXPECT_NE(e.find("InvalidAccessKeyId"), std::string::npos) << e;
  EXPECT_NE(e.find("HTTP 403"), std::string::npos) << e;
  EXPECT_NE(e.find("does not exist in our records"), std::string::npos) << e;  // S3's own <Message>
}

TEST_F(S3BlobstoreTest, LargeObjectsGoUpInParts) {
  auto link = s3Link(port_);
  link["MULTIPART_BYTES"] = std::to_string(5u << 20);
  link["PART_BYTES"] = std::to_string(5u << 20);
  const std::string b = actorKey('B');
  ASSERT_TRUE(h_->bind(b, link));
  const std::string c = name("multi");
  ok(codec::kOpCreateContainer, codec::encode(Container{c}), b);
  const Bytes data = pattern(11u << 20, 5);  // three parts: 5 + 5 + 1 MiB
  const size_t chunk = 2u << 20;
  expectSuccess(ok(codec::kOpStartUpload, codec::encode(chunkOf(c, "big", 0, data.size(), chunk)), b));
  uint64_t seq = 0;
  for (size_t off = 0; off < data.size(); off += chunk, ++seq) {
    Bytes piece(data.begin() + static_cast<ptrdiff_t>(off),
                data.begin() + static_cast<ptrdiff_t>(std::min(data.size(), off + chunk)));
    expectSuccess(ok(codec::kOpUploadChunk, codec::encode(chunkOf(c, "big", seq, data.size(), chunk, piece)), b));
  }
  EXPECT_EQ(info(c, "big").byte_size, data.size());
  EXPECT_EQ(joined(download(c, "big", 4u << 20)), data);
}

TEST_F(S3BlobstoreTest, ConfigurationErrors) {
  auto no_keys = s3Link(port_);
  no_keys.erase("AWS_ACCESS_KEY");
  no_keys.erase("AWS_SECRET_ACCESS_KEY");
  if (!std::getenv("AWS_ACCESS_KEY_ID")) {
    auto refused = h_->bind(actorKey('B'), no_keys);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("no credentials"), std::string::npos) << refused.error().message;
  }
  auto bad_endpoint = s3Link(port_);
  bad_endpoint["ENDPOINT"] = "ftp://127.0.0.1:21";
  auto refused = h_->bind(actorKey('C'), bad_endpoint);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("ENDPOINT 'ftp://127.0.0.1:21'"), std::string::npos)
      << refused.error().message;
  auto bad_style = s3Link(port_);
  bad_style["PATH_STYLE"] = "sometimes";
  ASSERT_FALSE(h_->bind(actorKey('D'), bad_style));

  std::string bad_bucket = failure(codec::kOpCreateContainer, codec::encode(Container{"Not_A_Bucket"}));
  EXPECT_NE(bad_bucket.find("'Not_A_Bucket' is not a valid S3 bucket name"), std::string::npos) << bad_bucket;
}

TEST_F(S3BlobstoreTest, KeysWithSlashesAndSpaces) {
  const std::string c = name("keys");
  createContainer(c);
  upload(c, "dir/sub dir/file name+1.txt", Bytes{1, 2, 3}, 2);
  auto blobs = list(c);
  ASSERT_EQ(blobs.size(), 1u);
  EXPECT_EQ(blobs[0].id, "dir/sub dir/file name+1.txt");
  EXPECT_EQ(joined(download(c, "dir/sub dir/file name+1.txt", 2)), (Bytes{1, 2, 3}));
}

}  // namespace
}  // namespace stratus::testing
