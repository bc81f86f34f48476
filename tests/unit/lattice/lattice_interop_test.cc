// Interop checked from outside: a Node.js lattice client (lattice_client.mjs: npm nats, @msgpack/msgpack,
// nkeys.js, node:crypto; none of stratus's codecs) queries, commands and invokes stratus hosts on a real
// nats-server, and decodes what they send: the control interface and events (JSON), link adverts and invocations
// (msgpack, signed by hand-written JWTs), including tampered ones, and cluster-key signing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "stratus/claims/nkeys.h"
#include "stratus/lattice/lattice.h"
#include "support/actors.h"
#include "support/eventually.h"
#include "support/nats_server.h"
#include "support/server_process.h"

namespace stratus::lattice {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using stratus::testing::loadActor;
using stratus::testing::eventually;
using stratus::testing::signActor;

const std::string kModules = std::string(STRATUS_SOURCE_DIR) + "/tests/compat/node_modules";
const std::string kScript = std::string(STRATUS_SOURCE_DIR) + "/tests/unit/lattice/lattice_client.mjs";
const std::string kLoggingPar = std::string(STRATUS_PROVIDER_DIR) + "/logging.par.gz";
constexpr const char* kInstall = "run scripts/install-deps.sh --test";

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    if (i + 2 < in.size()) v |= uint8_t(in[i + 2]);
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += i + 1 < in.size() ? kAlphabet[v >> 6 & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

std::set<std::string> keysOf(const json& object) {
  std::set<std::string> keys;
  for (const auto& [k, v] : object.items()) keys.insert(k);
  return keys;
}

// The script, started with popen: its stdout is JSON, one value a line.
class NodeRun {
 public:
  explicit NodeRun(const std::vector<std::string>& args) {
    err_ = ::testing::TempDir() + "/stratus-lattice-client-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter_++) + ".err";
    std::string cmd = shellQuote(stratus::testing::findProgram("node")) + " " + shellQuote(kScript) + " " +
                      shellQuote(kModules);
    for (const auto& a : args) cmd += " " + shellQuote(a);
    command = cmd;
    pipe_ = ::popen((cmd + " 2>" + shellQuote(err_)).c_str(), "r");
  }
  ~NodeRun() { finish(); }

  // The next line of output, parsed (null when the script ended).
  json line() {
    std::string text;
    char buf[65536];
    while (pipe_ && std::fgets(buf, sizeof buf, pipe_)) {
      text += buf;
      if (!text.empty() && text.back() == '\n') break;
    }
    if (text.empty()) return nullptr;
    return json::parse(text, nullptr, false);
  }
  // Waits for the script; its exit status, stderr in `stderr_text`.
  int finish() {
    if (!pipe_) return status_;
    const int status = ::pclose(pipe_);
    pipe_ = nullptr;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    std::ifstream in(err_);
    stderr_text = std::string(std::istreambuf_iterator<char>(in), {});
    std::filesystem::remove(err_);
    return status_;
  }

  std::string stderr_text;
  std::string command;

 private:
  static inline int counter_ = 0;
  FILE* pipe_ = nullptr;
  std::string err_;
  int status_ = -1;
};

class LatticeInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (stratus::testing::findProgram("node").empty()) GTEST_FAIL() << "node is not installed: " << kInstall;
    for (const char* package : {"nats", "@msgpack/msgpack", "nkeys.js"}) {
      if (!std::filesystem::exists(kModules + "/" + package + "/package.json")) {
        GTEST_FAIL() << "npm package " << package << " is missing in " << kModules << ": " << kInstall;
      }
    }
    auto server = stratus::testing::NatsServer::start("lattice-interop");
    ASSERT_TRUE(server) << server.error().toString() << " (" << kInstall << " installs nats-server)";
    nats_ = std::move(*server);
    dir_ = nats_->dir();
    server_ = "127.0.0.1:" + std::to_string(nats_->port());
    actor_wasm_ = signActor(loadActor("test_actor"), {.name = "interop", .caps = {"stratus:test"}}, &actor_);
    actor_path_ = (dir_ / "interop_actor.wasm").string();
    std::ofstream(actor_path_, std::ios::binary)
        .write(reinterpret_cast<const char*>(actor_wasm_.data()), std::streamsize(actor_wasm_.size()));
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    nats_.reset();
  }

  LatticeOptions options() const {
    LatticeOptions o;
    o.rpc.port = o.control.port = nats_->port();
    o.ns = "interop";
    o.heartbeat_interval = 300ms;
    return o;
  }
  std::unique_ptr<LatticeHost> join(LatticeOptions o, std::optional<std::string> zone = std::nullopt) {
    host::HostBuilder builder;
    builder.withProviderHealthInterval(0ms)
        .withProviderCacheDir((dir_ / "provider-cache").string())
        .withActorOptions({.min_instances = 1, .max_instances = 1});
    if (zone) builder.withLabel("zone", *zone);
    auto joined = LatticeHost::start(std::move(builder), std::move(o));
    EXPECT_TRUE(joined) << joined.error().toString();
    return joined ? std::move(*joined) : nullptr;
  }
  void joinBoth(const LatticeOptions& o) {
    a_ = join(o, "a");
    b_ = join(o);
    ASSERT_TRUE(a_ && b_);
  }
  const std::string& idA() const { return a_->host().id(); }
  const std::string& idB() const { return b_->host().id(); }

  // Runs the script to the end; the last line of its output, parsed. Fails the test unless it exits with
  // `expected_status`.
  json node(const std::vector<std::string>& args, int expected_status = 0) {
    NodeRun run(args);
    json last = nullptr;
    for (json j = run.line(); !j.is_null(); j = run.line()) last = j;
    const int status = run.finish();
    EXPECT_EQ(status, expected_status) << run.command << "\n" << run.stderr_text;
    return last;
  }
  std::string ctl(const std::string& rest) const { return "wasmbus.ctl.interop." + rest; }
  json request(const std::string& subject, const json& body, int timeout_ms = 3000) {
    return node({"request", server_, ctl(subject), body.is_null() ? "" : body.dump(), std::to_string(timeout_ms)});
  }
  json collect(const std::string& subject, const json& body, int ms = 1000) {
    return node({"collect", server_, ctl(subject), body.is_null() ? "" : body.dump(), std::to_string(ms)});
  }
  json invoke(const json& target, const std::string& op, std::string_view payload, const std::string& seed,
              std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"invoke", server_, "interop", target.dump(), op, base64(payload), seed};
    args.insert(args.end(), extra.begin(), extra.end());
    return node(args);
  }
  // The test actor's per-instance counter (u32 LE), read by a Count invocation from Node.
  uint32_t count(const std::string& actor, const std::string& seed) {
    const json r = invoke({{"actor", actor}}, "Count", "", seed);
    EXPECT_TRUE(r["response"]["error"].is_null()) << r.dump();
    const json& b = r["response"]["msg_bytes"];
    if (!b.is_array() || b.size() != 4) return ~0u;
    return b[0].get<uint32_t>() | b[1].get<uint32_t>() << 8 | b[2].get<uint32_t>() << 16 | b[3].get<uint32_t>() << 24;
  }
  json startActorAck(const std::string& host_id, const std::string& path) {
    return request("cmd." + host_id + ".la", {{"actor_ref", path}, {"host_id", host_id}});
  }

  std::filesystem::path dir_;
  std::unique_ptr<stratus::testing::NatsServer> nats_;
  std::string server_;
  Bytes actor_wasm_;
  std::string actor_, actor_path_;
  std::unique_ptr<LatticeHost> a_, b_;
};

TEST_F(LatticeInteropTest, GetHostsIsAnsweredByEveryHostWithIdAndUptime) {
  ASSERT_NO_FATAL_FAILURE(joinBoth(options()));
  const json replies = collect("get.hosts", nullptr);
  ASSERT_TRUE(replies.is_array()) << replies.dump();
  ASSERT_EQ(replies.size(), 2u) << replies.dump();
  std::set<std::string> ids;
  for (const auto& host : replies) {
    EXPECT_EQ(keysOf(host), (std::set<std::string>{"id", "uptime"})) << host.dump();
    EXPECT_TRUE(host["uptime"].is_number_unsigned()) << host.dump();
    ids.insert(host.value("id", ""));
  }
  EXPECT_EQ(ids, (std::set<std::string>{idA(), idB()}));
}

TEST_F(LatticeInteropTest, AnActorStartedByCommandIsInTheInventoryWithItsReference) {
  ASSERT_NO_FATAL_FAILURE(joinBoth(options()));
  const json ack = startActorAck(idA(), actor_path_);
  EXPECT_EQ(ack, (json{{"host_id", idA()}, {"actor_ref", actor_path_}, {"failure", nullptr}})) << ack.dump();
  const json inv = request("get." + idA() + ".inv", nullptr);
  EXPECT_EQ(inv["host_id"], idA()) << inv.dump();
  ASSERT_EQ(inv["actors"].size(), 1u) << inv.dump();
  EXPECT_EQ(inv["actors"][0], (json{{"id", actor_}, {"image_ref", actor_path_}, {"name", "interop"}, {"revision", 1}}));
  for (const char* label : {"hostcore.arch", "hostcore.os", "hostcore.osfamily"}) {
    EXPECT_TRUE(inv["labels"][label].is_string()) << label << ": " << inv.dump();
  }
  EXPECT_EQ(inv["labels"]["zone"], "a") << inv.dump();
  EXPECT_TRUE(inv["providers"].is_array()) << inv.dump();
  // B's inventory: its own id, no zone, no actor.
  const json inv_b = request("get." + idB() + ".inv", nullptr);
  EXPECT_EQ(inv_b["host_id"], idB());
  EXPECT_FALSE(inv_b["labels"].contains("zone")) << inv_b.dump();
  EXPECT_TRUE(inv_b["actors"].empty()) << inv_b.dump();
}

TEST_F(LatticeInteropTest, ALinkAdvertFromOutsideReachesEveryHostAndTheQueries) {
  ASSERT_NO_FATAL_FAILURE(joinBoth(options()));
  ASSERT_EQ(startActorAck(idA(), actor_path_)["failure"], nullptr);
  const std::string provider = claims::KeyPair::generate(claims::KeyType::kService)->publicKey();
  const json link{{"actor_id", actor_},
                  {"provider_id", provider},
                  {"link_name", "default"},
                  {"contract_id", "stratus:test"},
                  {"values", {{"KEY", "value"}, {"OTHER", "x y"}}}};
  node({"advert", server_, "wasmbus.rpc.interop.links", link.dump()});
  for (auto* h : {a_.get(), b_.get()}) {
    ASSERT_TRUE(eventually([&] { return h->host().links().size() == 1; })) << h->host().id();
    const auto l = h->host().links()[0];
    EXPECT_EQ(l.actor_id, actor_);
    EXPECT_EQ(l.provider_id, provider);
    EXPECT_EQ(l.contract_id, "stratus:test");
    EXPECT_EQ(l.link_name, "default");
    EXPECT_EQ(l.values, (std::map<std::string, std::string>{{"KEY", "value"}, {"OTHER", "x y"}}));
  }
  const json links = collect("get.links", nullptr);
  ASSERT_EQ(links.size(), 2u) << links.dump();
  for (const auto& reply : links) EXPECT_EQ(reply, (json{{"links", {link}}})) << reply.dump();

  const auto claims = a_->host().knownActorClaims(actor_);
  ASSERT_TRUE(claims);
  ASSERT_TRUE(eventually([&] { return b_->host().knownActorClaims(actor_).has_value(); }));
  const json expected_claims{{"values",
                              {{"sub", actor_},
                               {"iss", claims->issuer},
                               {"caps", "stratus:test"},
                               {"rev", "1"},
                               {"version", "0.1.0"}}}};
  const json claim_replies = collect("get.claims", nullptr);
  ASSERT_EQ(claim_replies.size(), 2u) << claim_replies.dump();
  for (const auto& reply : claim_replies) EXPECT_EQ(reply, (json{{"claims", {expected_claims}}})) << reply.dump();

  // And the removal advert takes it away everywhere.
  node({"advert", server_, "wasmbus.rpc.interop.remlinks", link.dump()});
  for (auto* h : {a_.get(), b_.get()}) {
    EXPECT_TRUE(eventually([&] { return h->host().links().empty(); })) << h->host().id();
  }
}

TEST_F(LatticeInteropTest, AuctionsAreAnsweredByTheHostsThatQualify) {
  ASSERT_NO_FATAL_FAILURE(joinBoth(options()));
  const auto hostsOf = [](const json& acks) {
    std::set<std::string> ids;
    for (const auto& ack : acks) ids.insert(ack.value("host_id", "?"));
    return ids;
  };
  json acks = collect("auction.actor", {{"actor_ref", actor_path_}, {"constraints", {{"zone", "a"}}}});
  ASSERT_EQ(acks.size(), 1u) << acks.dump();
  EXPECT_EQ(acks[0], (json{{"actor_ref", actor_path_}, {"constraints", {{"zone", "a"}}}, {"host_id", idA()}}));
  EXPECT_TRUE(collect("auction.actor", {{"actor_ref", actor_path_}, {"constraints", {{"zone", "b"}}}}).empty());
  acks = collect("auction.actor", {{"actor_ref", actor_path_}, {"constraints", json::object()}});
  EXPECT_EQ(hostsOf(acks), (std::set<std::string>{idA(), idB()})) << acks.dump();
  // Once it runs on A, only B bids, by reference or by key.
  ASSERT_EQ(startActorAck(idA(), actor_path_)["failure"], nullptr);
  acks = collect("auction.actor", {{"actor_ref", actor_path_}, {"constraints", json::object()}});
  EXPECT_EQ(hostsOf(acks), (std::set<std::string>{idB()})) << acks.dump();
  acks = collect("auction.actor", {{"actor_ref", actor_}, {"constraints", json::object()}});
  EXPECT_EQ(hostsOf(acks), (std::set<std::string>{idB()})) << acks.dump();

  const json provider_auction{{"provider_ref", kLoggingPar}, {"link_name", "default"}, {"constraints", json::object()}};
  acks = collect("auction.provider", provider_auction);
  EXPECT_EQ(hostsOf(acks), (std::set<std::string>{idA(), idB()})) << acks.dump();
  for (const auto& ack : acks) EXPECT_EQ(keysOf(ack), (std::set<std::string>{"provider_ref", "link_name", "host_id"}));
  json zoned = provider_auction;
  zoned["constraints"] = {{"zone", "a"}};
  acks = collect("auction.provider", zoned);
  ASSERT_EQ(acks.size(), 1u) << acks.dump();
  EXPECT_EQ(acks[0], (json{{"provider_ref", kLoggingPar}, {"link_name", "default"}, {"host_id", idA()}}));
  const json lp = request("cmd." + idB() + ".lp", {{"host_id", idB()}, {"provider_ref", kLoggingPar}, {"link_name", "default"}});
  ASSERT_EQ(lp["failure"], nullptr) << lp.dump();
  acks = collect("auction.provider", provider_auction);
  EXPECT_EQ(hostsOf(acks), (std::set<std::string>{idA()})) << acks.dump();
}

TEST_F(LatticeInteropTest, CommandsAreAcknowledged) {
  ASSERT_NO_FATAL_FAILURE(joinBoth(options()));
  ASSERT_EQ(startActorAck(idB(), actor_path_)["failure"], nullptr);
  ASSERT_EQ(b_->host().actors().size(), 1u);
  EXPECT_EQ(request("cmd." + idB() + ".sa", {{"host_id", idB()}, {"actor_ref", actor_path_}}),
            (json{{"failure", nullptr}}));
  EXPECT_TRUE(b_->host().actors().empty());
  json failed = request("cmd." + idB() + ".sa", {{"host_id", idB()}, {"actor_ref", actor_path_}});
  EXPECT_TRUE(failed["failure"].is_string()) << failed.dump();

  const json lp = request("cmd." + idA() + ".lp", {{"host_id", idA()}, {"provider_ref", kLoggingPar}, {"link_name", "default"}});
  EXPECT_EQ(lp, (json{{"host_id", idA()}, {"provider_ref", kLoggingPar}, {"failure", nullptr}})) << lp.dump();
  const json inv = request("get." + idA() + ".inv", nullptr);
  std::string provider_id;
  for (const auto& p : inv["providers"]) {
    if (p.value("image_ref", "") == kLoggingPar) provider_id = p.value("id", "");
  }
  ASSERT_EQ(provider_id.size(), 56u) << inv.dump();
  const json sp = request("cmd." + idA() + ".sp", {{"host_id", idA()},
                                                   {"provider_ref", kLoggingPar},
                                                   {"link_name", "default"},
                                                   {"contract_id", "wasmcloud:logging"}});
  EXPECT_EQ(sp, (json{{"failure", nullptr}})) << sp.dump();
  for (const auto& p : a_->host().providers()) EXPECT_NE(p.public_key, provider_id);

  EXPECT_EQ(request("cmd." + idA() + ".upd", {{"host_id", idA()}, {"actor_id", actor_}, {"new_actor_ref", actor_path_}}),
            (json{{"accepted", false}}));

  const std::string missing = (dir_ / "no_such_actor.wasm").string();
  const json la = startActorAck(idA(), missing);
  EXPECT_EQ(la["host_id"], idA());
  EXPECT_EQ(la["actor_ref"], missing);
  ASSERT_TRUE(la["failure"].is_string()) << la.dump();
  EXPECT_NE(la["failure"].get<std::string>().find(missing), std::string::npos) << la.dump();
}

TEST_F(LatticeInteropTest, EventsTellWhatHappensOnEveryHost) {
  ASSERT_NO_FATAL_FAILURE(joinBoth(options()));
  NodeRun events({"events", server_, "interop", "20000", "HostStopped"});  // ends at the first HostStopped
  ASSERT_EQ(events.line(), (json{{"ready", true}})) << events.command;
  ASSERT_EQ(startActorAck(idA(), actor_path_)["failure"], nullptr);
  auto provider = a_->host().startProviderFromArchive(kLoggingPar);
  ASSERT_TRUE(provider) << provider.error().toString();
  std::this_thread::sleep_for(800ms);  // a heartbeat or two while both run
  ASSERT_TRUE(a_->host().stopActor(actor_));
  ASSERT_TRUE(a_->host().stopProvider(*provider));
  std::string c_id;
  {
    auto c = join(options());
    ASSERT_TRUE(c);
    c_id = c->host().id();
  }
  const json got = events.line();
  ASSERT_EQ(events.finish(), 0) << events.stderr_text;
  ASSERT_TRUE(got.is_array()) << got.dump();

  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  std::map<std::string, int> first;  // "Kind host": index of its first occurrence
  bool beat_with_both = false;
  for (size_t i = 0; i < got.size(); ++i) {
    const json& e = got[i];
    ASSERT_EQ(keysOf(e), (std::set<std::string>{"event", "header"})) << e.dump();
    ASSERT_EQ(keysOf(e["header"]), (std::set<std::string>{"host_origin", "timestamp"})) << e.dump();
    ASSERT_TRUE(e["header"]["timestamp"].is_number_integer()) << e.dump();
    EXPECT_LE(std::abs(e["header"]["timestamp"].get<int64_t>() - now), 60) << e.dump();
    const std::string origin = e["header"]["host_origin"];
    const json& ev = e["event"];
    const std::string kind = ev.is_string() ? ev.get<std::string>() : ev.begin().key();
    first.emplace(kind + " " + origin, int(i));
    if (kind == "ActorStarted") {
      EXPECT_EQ(ev[kind], (json{{"actor", actor_}, {"image_ref", actor_path_}}));
    } else if (kind == "ActorStopped") {
      EXPECT_EQ(ev[kind], (json{{"actor", actor_}}));
    } else if (kind == "ProviderStarted") {
      EXPECT_EQ(ev[kind], (json{{"contract_id", "wasmcloud:logging"},
                                {"link_name", "default"},
                                {"provider_id", *provider},
                                {"image_ref", kLoggingPar}}));
    } else if (kind == "ProviderStopped") {
      EXPECT_EQ(ev[kind], (json{{"contract_id", "wasmcloud:logging"}, {"link_name", "default"}, {"provider_id", *provider}}));
    } else if (kind == "Heartbeat") {
      ASSERT_EQ(keysOf(ev[kind]), (std::set<std::string>{"claims", "entities"})) << e.dump();
      const json& beat = ev[kind];
      ASSERT_TRUE(beat["claims"].is_array() && beat["entities"].is_object()) << e.dump();
      // The provider takes a while to unpack: look for a beat of A's while both run.
      if (origin == idA() && beat["entities"].contains(actor_) && beat["entities"].contains(*provider)) {
        beat_with_both = true;
        EXPECT_EQ(beat["entities"][actor_], "Running") << e.dump();
        EXPECT_EQ(beat["entities"][*provider], "Running") << e.dump();
        bool listed = false;
        for (const auto& c : beat["claims"]) listed |= c.value("sub", "") == actor_;
        EXPECT_TRUE(listed) << e.dump();
      }
    }
  }
  EXPECT_TRUE(beat_with_both) << got.dump();
  const auto at = [&](const std::string& key) {
    auto it = first.find(key);
    EXPECT_NE(it, first.end()) << key << " missing from " << got.dump();
    return it == first.end() ? -1 : it->second;
  };
  EXPECT_LT(at("ActorStarted " + idA()), at("ActorStopped " + idA()));
  EXPECT_LT(at("ProviderStarted " + idA()), at("ProviderStopped " + idA()));
  EXPECT_LT(at("HostStarted " + c_id), at("HostStopped " + c_id));
  at("Heartbeat " + idB());
}

TEST_F(LatticeInteropTest, InvocationsFromOutsideRunAndTamperedOnesAreRefused) {
  ASSERT_NO_FATAL_FAILURE(joinBoth(options()));
  ASSERT_EQ(startActorAck(idA(), actor_path_)["failure"], nullptr);
  std::string other;
  ASSERT_TRUE(b_->host().startActor(signActor(loadActor("test_actor"), {.name = "other"}, &other)));
  const std::string seed = node({"keygen", "server"})["seed"];
  const json target{{"actor", actor_}};

  const json echo = invoke(target, "Echo", "hello from node", seed);
  EXPECT_EQ(echo["response"]["msg_text"], "hello from node") << echo.dump();
  EXPECT_TRUE(echo["response"]["error"].is_null()) << echo.dump();
  EXPECT_EQ(echo["response"]["invocation_id"], echo["sent_id"]) << echo.dump();
  // As rmp-serde writes InvocationResponse: a map of msg (Vec<u8>: an array of integers), error, invocation_id.
  EXPECT_EQ(echo["response"]["keys"], (json{"msg", "error", "invocation_id"})) << echo.dump();
  EXPECT_EQ(echo["response"]["msg_encoding"], "array") << echo.dump();

  // A provider target too (URL wasmbus://wasmcloud/extras/default/V…): the built-in extras makes a GUID.
  using namespace std::string_literals;
  const std::string guid_request = "\x85\xa4guid\xc3\xa8sequence\xc2\xa6random\xc2\xa3min\x00\xa3max\x00"s;
  const json extras{{"provider",
                     {{"id", "VDHPKGFKDI34Y4RN4PWWZHRYZ6373HYRSNNEM4UTDLLOGO5B37TSVREP"},
                      {"contract_id", "wasmcloud:extras"},
                      {"link_name", "default"}}}};
  const json guid = invoke(extras, "RequestGuid", guid_request, seed);
  EXPECT_TRUE(guid["response"]["error"].is_null()) << guid.dump();
  EXPECT_NE(guid["response"]["msg_text"].get<std::string>().find("guid"), std::string::npos) << guid.dump();

  const uint32_t before = count(actor_, seed), other_before = count(other, seed);
  const std::vector<std::pair<std::string, std::string>> cases{
      {"msg", "invocation hash does not match signed claims hash"},
      {"operation", "invocation hash does not match signed claims hash"},
      {"target", "invocation hash does not match signed claims hash"},
      {"replay", "targets actor " + actor_},
      {"url", "invocation claims and invocation target URL do not match"},
      {"sub", "subject of invocation claims token does not match invocation ID"},
      {"expired", "invocation claims token expired"},
      {"nbf", "attempt to use invocation before claims token allows"},
      {"issuer", "invocation claims issuer does not match invocation host"},
  };
  for (const auto& [tamper, message] : cases) {
    SCOPED_TRACE(tamper);
    const std::string op = tamper == "operation" ? "Echo" : "Count";  // the tamper turns Echo into Count
    const json r = invoke(target, op, "", seed, {"--tamper", tamper, "--other", other});
    ASSERT_TRUE(r["response"]["error"].is_string()) << r.dump();
    EXPECT_NE(r["response"]["error"].get<std::string>().find(message), std::string::npos) << r.dump();
    EXPECT_EQ(r["response"]["invocation_id"], r["sent_id"]) << r.dump();
  }
  // Neither actor ran any of them: each counter moved by the one call that reads it.
  EXPECT_EQ(count(actor_, seed), before + 1);
  EXPECT_EQ(count(other, seed), other_before + 1);
}

TEST_F(LatticeInteropTest, UnderClusterKeysOnlyClusterSignedInvocationsAreAccepted) {
  auto cluster = claims::KeyPair::generate(claims::KeyType::kCluster);
  ASSERT_TRUE(cluster);
  auto o = options();
  o.cluster_issuers = {cluster->publicKey()};
  o.cluster_seed = *cluster->seed();
  ASSERT_NO_FATAL_FAILURE(joinBoth(o));
  ASSERT_TRUE(a_->host().startActor(actor_wasm_));
  const json target{{"actor", actor_}};
  const std::string any_host = node({"keygen", "server"})["public_key"];

  const json ok = invoke(target, "Echo", "cluster", *cluster->seed(), {"--host-id", any_host});
  EXPECT_EQ(ok["response"]["msg_text"], "cluster") << ok.dump();
  EXPECT_TRUE(ok["response"]["error"].is_null()) << ok.dump();

  const std::string server_seed = node({"keygen", "server"})["seed"];
  const json refused = invoke(target, "Echo", "0.18 style", server_seed);
  ASSERT_TRUE(refused["response"]["error"].is_string()) << refused.dump();
  EXPECT_NE(refused["response"]["error"].get<std::string>().find("is not one of the lattice's cluster issuers"),
            std::string::npos)
      << refused.dump();
  // And the hosts themselves still reach each other, signing with the cluster key.
  auto across = b_->host().callActor(actor_, "Echo", Bytes{'h', 'i'});
  ASSERT_TRUE(across) << across.error().toString();
  EXPECT_EQ(std::string(across->begin(), across->end()), "hi");
}

}  // namespace
}  // namespace stratus::lattice
