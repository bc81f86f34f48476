// The control-interface JSON of wasmCloud 0.18.2 (wasmcloud-control-interface 0.3.1). Every expected text below is
// written by hand from the Rust definitions (serde_derive: declaration order, compact, Options as null unless
// skip_serializing_if), not produced by the code under test.
#include "lattice/control_wire.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace stratus::lattice::ctl {
namespace {

using nlohmann::json;

constexpr char kHost[] = "NBHOST";
constexpr char kActor[] = "MBECHO";
constexpr char kProvider[] = "VHTTP";

template <typename T>
std::string errorOf(const Expected<T>& r) {
  EXPECT_FALSE(r.hasValue());
  if (r.hasValue()) return "";
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  return r.error().message;
}

claims::ActorClaims echoClaims() {
  claims::ActorClaims c;
  c.issuer = "ACCOUNT";
  c.subject = kActor;
  c.id = "JTI1";
  c.issued_at = 1620000000;
  c.metadata.name = "echo";
  c.metadata.hash = "ABCD";
  c.metadata.caps = {"wasmcloud:httpserver", "wasmcloud:keyvalue"};
  c.metadata.rev = 3;
  c.metadata.ver = "0.2.1";
  return c;
}

// ---- queries --------------------------------------------------------------------------------------------------

TEST(ControlWire, HostIsIdAndUptime) {
  EXPECT_EQ(toJson(Host{kHost, 42}), R"({"id":"NBHOST","uptime":42})");
  auto h = parseHost(R"( { "uptime": 18446744073709551615, "id": "NBHOST", "labels": {} } )");
  ASSERT_TRUE(h.hasValue()) << h.error().message;
  EXPECT_EQ(h->id, kHost);
  EXPECT_EQ(h->uptime, 18446744073709551615ull);
}

TEST(ControlWire, HostErrorsNameTheField) {
  EXPECT_EQ(errorOf(parseHost(R"({"id":"N","uptime":-1})")),
            "Host: field 'uptime': expected an unsigned 64-bit integer");
  EXPECT_EQ(errorOf(parseHost(R"({"id":"N","uptime":1.5})")),
            "Host: field 'uptime': expected an unsigned 64-bit integer");
  EXPECT_EQ(errorOf(parseHost(R"({"id":"N","uptime":"5"})")),
            "Host: field 'uptime': expected an unsigned 64-bit integer");
  EXPECT_EQ(errorOf(parseHost(R"({"uptime":5})")), "Host: missing field 'id'");
  EXPECT_EQ(errorOf(parseHost(R"({"id":null,"uptime":5})")), "Host: field 'id': expected a string");
  EXPECT_EQ(errorOf(parseHost(R"(["N",5])")), "Host: expected a JSON object");
  EXPECT_EQ(errorOf(parseHost("")).rfind("Host: invalid JSON: ", 0), 0u);
  EXPECT_EQ(errorOf(parseHost(R"({"id":"N","uptime":5} x)")).rfind("Host: invalid JSON: ", 0), 0u);
  EXPECT_EQ(errorOf(parseHost("{\"id\":\"\xff\",\"uptime\":5}")).rfind("Host: invalid JSON: ", 0), 0u);
}

TEST(ControlWire, HostInventoryOmitsEmptyImageRefAndName) {
  HostInventory inv;
  inv.host_id = kHost;
  inv.labels = {{"hostcore.os", "linux"}, {"hostcore.arch", "x86_64"}};
  inv.actors.push_back({kActor, "localhost:5000/echo:0.2.1", "echo", 3});
  inv.actors.push_back({"MBARE", std::nullopt, std::nullopt, 0});
  inv.providers.push_back({kProvider, "default", "localhost:5000/httpserver:0.12.2", "HTTP Server", 2});
  inv.providers.push_back({"VBARE", "other", std::nullopt, std::nullopt, -1});
  EXPECT_EQ(toJson(inv),
            R"({"host_id":"NBHOST","labels":{"hostcore.arch":"x86_64","hostcore.os":"linux"},)"
            R"("actors":[{"id":"MBECHO","image_ref":"localhost:5000/echo:0.2.1","name":"echo","revision":3},)"
            R"({"id":"MBARE","revision":0}],)"
            R"("providers":[{"id":"VHTTP","link_name":"default","image_ref":"localhost:5000/httpserver:0.12.2",)"
            R"("name":"HTTP Server","revision":2},{"id":"VBARE","link_name":"other","revision":-1}]})");
  EXPECT_EQ(toJson(HostInventory{kHost, {}, {}, {}}), R"({"host_id":"NBHOST","labels":{},"actors":[],"providers":[]})");
}

TEST(ControlWire, HostInventoryParsesMissingAndNullOptions) {
  auto inv = parseHostInventory(R"({
    "host_id": "NBHOST",
    "labels": {"region": "eu"},
    "actors": [{"id": "MBECHO", "revision": 3, "image_ref": null}, {"id": "M2", "name": "two", "revision": 0}],
    "providers": [{"id": "VHTTP", "link_name": "default", "image_ref": "r", "revision": 2147483647}]
  })");
  ASSERT_TRUE(inv.hasValue()) << inv.error().message;
  EXPECT_EQ(inv->labels, (StringMap{{"region", "eu"}}));
  ASSERT_EQ(inv->actors.size(), 2u);
  EXPECT_FALSE(inv->actors[0].image_ref.has_value());
  EXPECT_FALSE(inv->actors[0].name.has_value());
  EXPECT_EQ(inv->actors[0].revision, 3);
  EXPECT_EQ(inv->actors[1].name, "two");
  ASSERT_EQ(inv->providers.size(), 1u);
  EXPECT_EQ(inv->providers[0].image_ref, "r");
  EXPECT_EQ(inv->providers[0].revision, 2147483647);
}

TEST(ControlWire, HostInventoryErrorsNameTheNestedField) {
  EXPECT_EQ(errorOf(parseHostInventory(
                R"({"host_id":"N","labels":{},"actors":[{"id":"M","revision":1},{"id":"M2","revision":2147483648}],)"
                R"("providers":[]})")),
            "HostInventory: field 'actors[1].revision': expected a 32-bit integer");
  EXPECT_EQ(errorOf(parseHostInventory(R"({"host_id":"N","labels":{},"actors":[],"providers":[{"id":"V"}]})")),
            "HostInventory: missing field 'providers[0].link_name'");
  EXPECT_EQ(errorOf(parseHostInventory(R"({"host_id":"N","labels":{"a":1},"actors":[],"providers":[]})")),
            "HostInventory: field 'labels.a': expected a string");
  EXPECT_EQ(errorOf(parseHostInventory(R"({"host_id":"N","labels":{},"actors":["M"],"providers":[]})")),
            "HostInventory: field 'actors[0]': expected an object");
  EXPECT_EQ(errorOf(parseHostInventory(R"({"host_id":"N","labels":{},"actors":{},"providers":[]})")),
            "HostInventory: field 'actors': expected an array");
  EXPECT_EQ(errorOf(parseHostInventory(R"({"host_id":"N","actors":[],"providers":[]})")),
            "HostInventory: missing field 'labels'");
}

TEST(ControlWire, LinkDefinitionListPutsLinkNameBeforeContractId) {
  LinkDefinitionList list;
  list.links.push_back({kActor, kProvider, "wasmcloud:httpserver", "default", {{"PORT", "8080"}}});
  EXPECT_EQ(toJson(list), R"({"links":[{"actor_id":"MBECHO","provider_id":"VHTTP","link_name":"default",)"
                          R"("contract_id":"wasmcloud:httpserver","values":{"PORT":"8080"}}]})");
  EXPECT_EQ(toJson(LinkDefinitionList{}), R"({"links":[]})");

  auto parsed = parseLinkDefinitionList(
      R"({"links":[{"values":{},"contract_id":"wasmcloud:keyvalue","link_name":"cache","provider_id":"VREDIS",)"
      R"("actor_id":"MBECHO"}]})");
  ASSERT_TRUE(parsed.hasValue()) << parsed.error().message;
  ASSERT_EQ(parsed->links.size(), 1u);
  EXPECT_EQ(parsed->links[0].actor_id, kActor);
  EXPECT_EQ(parsed->links[0].provider_id, "VREDIS");
  EXPECT_EQ(parsed->links[0].contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(parsed->links[0].link_name, "cache");
  EXPECT_TRUE(parsed->links[0].values.empty());
  EXPECT_EQ(errorOf(parseLinkDefinitionList(R"({"links":[{"actor_id":"M","provider_id":"V","link_name":"d",)"
                                            R"("contract_id":"c"}]})")),
            "LinkDefinitionList: missing field 'links[0].values'");
}

TEST(ControlWire, ClaimsValuesAreWhatTheHostReports) {
  Claims c = claimsValues(echoClaims());
  EXPECT_EQ(c.values, (StringMap{{"sub", "MBECHO"},
                                 {"iss", "ACCOUNT"},
                                 {"caps", "wasmcloud:httpserver,wasmcloud:keyvalue"},
                                 {"rev", "3"},
                                 {"version", "0.2.1"}}));
  claims::ActorClaims bare;
  bare.issuer = "A";
  bare.subject = "M";
  bare.metadata.name = "unnamed";
  bare.metadata.tags = {"t"};
  bare.metadata.call_alias = "alias";
  EXPECT_EQ(claimsValues(bare).values,
            (StringMap{{"sub", "M"}, {"iss", "A"}, {"caps", ""}, {"rev", "0"}, {"version", ""}}));
}

TEST(ControlWire, ClaimsListRoundTrips) {
  ClaimsList list{{claimsValues(echoClaims())}};
  const std::string text = toJson(list);
  EXPECT_EQ(json::parse(text), json::parse(R"({"claims":[{"values":{"version":"0.2.1","rev":"3","iss":"ACCOUNT",)"
                                           R"("sub":"MBECHO","caps":"wasmcloud:httpserver,wasmcloud:keyvalue"}}]})"));
  auto parsed = parseClaimsList(text);
  ASSERT_TRUE(parsed.hasValue()) << parsed.error().message;
  ASSERT_EQ(parsed->claims.size(), 1u);
  EXPECT_EQ(parsed->claims[0].values, list.claims[0].values);
  EXPECT_EQ(errorOf(parseClaimsList(R"({"claims":[{"values":{"rev":3}}]})")),
            "ClaimsList: field 'claims[0].values.rev': expected a string");
}

// ---- auctions -------------------------------------------------------------------------------------------------

TEST(ControlWire, Auctions) {
  EXPECT_EQ(toJson(ActorAuctionRequest{"localhost:5000/echo:0.2.1", {{"region", "eu"}}}),
            R"({"actor_ref":"localhost:5000/echo:0.2.1","constraints":{"region":"eu"}})");
  EXPECT_EQ(toJson(ActorAuctionAck{"localhost:5000/echo:0.2.1", {}, kHost}),
            R"({"actor_ref":"localhost:5000/echo:0.2.1","constraints":{},"host_id":"NBHOST"})");
  EXPECT_EQ(toJson(ProviderAuctionRequest{"p:1", "default", {{"a", "1"}, {"b", "2"}}}),
            R"({"provider_ref":"p:1","link_name":"default","constraints":{"a":"1","b":"2"}})");
  EXPECT_EQ(toJson(ProviderAuctionAck{"p:1", "default", kHost}),
            R"({"provider_ref":"p:1","link_name":"default","host_id":"NBHOST"})");

  // As wash sends them: any order, whitespace.
  auto req =
      parseActorAuctionRequest("{\n  \"constraints\": {\"hostcore.os\": \"linux\"},\n  \"actor_ref\": \"e:1\"\n}");
  ASSERT_TRUE(req.hasValue()) << req.error().message;
  EXPECT_EQ(req->actor_ref, "e:1");
  EXPECT_EQ(req->constraints, (StringMap{{"hostcore.os", "linux"}}));
  auto ack = parseActorAuctionAck(R"({"host_id":"NB","actor_ref":"e:1","constraints":{}})");
  ASSERT_TRUE(ack.hasValue()) << ack.error().message;
  EXPECT_EQ(ack->host_id, "NB");
  auto preq = parseProviderAuctionRequest(R"({"provider_ref":"p","link_name":"l","constraints":{}})");
  ASSERT_TRUE(preq.hasValue()) << preq.error().message;
  EXPECT_EQ(preq->link_name, "l");
  auto pack = parseProviderAuctionAck(R"({"provider_ref":"p","link_name":"l","host_id":"NB"})");
  ASSERT_TRUE(pack.hasValue()) << pack.error().message;
  EXPECT_EQ(pack->provider_ref, "p");

  EXPECT_EQ(errorOf(parseActorAuctionRequest(R"({"actor_ref":"e"})")),
            "ActorAuctionRequest: missing field 'constraints'");
  EXPECT_EQ(errorOf(parseActorAuctionRequest(R"({"actor_ref":"e","constraints":null})")),
            "ActorAuctionRequest: field 'constraints': expected an object of strings");
  EXPECT_EQ(errorOf(parseProviderAuctionRequest(R"({"provider_ref":"p","constraints":{}})")),
            "ProviderAuctionRequest: missing field 'link_name'");
  EXPECT_EQ(errorOf(parseProviderAuctionAck(R"({"provider_ref":"p","link_name":"l","host_id":7})")),
            "ProviderAuctionAck: field 'host_id': expected a string");
  EXPECT_EQ(errorOf(parseActorAuctionAck(R"({"actor_ref":"e","constraints":{}})")),
            "ActorAuctionAck: missing field 'host_id'");
}

// ---- commands -------------------------------------------------------------------------------------------------

TEST(ControlWire, ActorCommands) {
  EXPECT_EQ(toJson(StartActorCommand{"e:1", kHost}), R"({"actor_ref":"e:1","host_id":"NBHOST"})");
  EXPECT_EQ(toJson(StartActorAck{kHost, "e:1", std::nullopt}),
            R"({"host_id":"NBHOST","actor_ref":"e:1","failure":null})");
  EXPECT_EQ(toJson(StartActorAck{kHost, "e:1", "Actor with image ref 'e:1' is already running on this host"}),
            R"({"host_id":"NBHOST","actor_ref":"e:1",)"
            R"("failure":"Actor with image ref 'e:1' is already running on this host"})");
  EXPECT_EQ(toJson(StopActorCommand{kHost, kActor}), R"({"host_id":"NBHOST","actor_ref":"MBECHO"})");
  EXPECT_EQ(toJson(StopActorAck{}), R"({"failure":null})");
  EXPECT_EQ(toJson(StopActorAck{"not running"}), R"({"failure":"not running"})");
  EXPECT_EQ(toJson(UpdateActorCommand{kHost, kActor, "e:2"}),
            R"({"host_id":"NBHOST","actor_id":"MBECHO","new_actor_ref":"e:2"})");
  EXPECT_EQ(toJson(UpdateActorAck{true}), R"({"accepted":true})");
  EXPECT_EQ(toJson(UpdateActorAck{false}), R"({"accepted":false})");

  auto start = parseStartActorCommand(R"({"host_id": "NB", "actor_ref": "wasmcloud.azurecr.io/echo:0.2.1"})");
  ASSERT_TRUE(start.hasValue()) << start.error().message;
  EXPECT_EQ(start->actor_ref, "wasmcloud.azurecr.io/echo:0.2.1");
  EXPECT_EQ(start->host_id, "NB");
  // A later client's `count` is ignored, as serde ignores unknown fields.
  auto stop = parseStopActorCommand(R"({"host_id":"NB","actor_ref":"MBECHO","count":2})");
  ASSERT_TRUE(stop.hasValue()) << stop.error().message;
  EXPECT_EQ(stop->actor_ref, kActor);
  auto upd = parseUpdateActorCommand(R"({"host_id":"NB","actor_id":"MBECHO","new_actor_ref":"e:2"})");
  ASSERT_TRUE(upd.hasValue()) << upd.error().message;
  EXPECT_EQ(upd->new_actor_ref, "e:2");
  auto uack = parseUpdateActorAck(R"({"accepted":true})");
  ASSERT_TRUE(uack.hasValue()) << uack.error().message;
  EXPECT_TRUE(uack->accepted);

  EXPECT_EQ(errorOf(parseStartActorCommand(R"({"actor_ref":5,"host_id":"NB"})")),
            "StartActorCommand: field 'actor_ref': expected a string");
  EXPECT_EQ(errorOf(parseStartActorCommand(R"({"actor_ref":"e"})")), "StartActorCommand: missing field 'host_id'");
  EXPECT_EQ(errorOf(parseStopActorCommand(R"({"actor_ref":"e"})")), "StopActorCommand: missing field 'host_id'");
  EXPECT_EQ(errorOf(parseUpdateActorCommand(R"({"host_id":"N","actor_id":"M"})")),
            "UpdateActorCommand: missing field 'new_actor_ref'");
  EXPECT_EQ(errorOf(parseUpdateActorAck(R"({"accepted":1})")), "UpdateActorAck: field 'accepted': expected a boolean");
  EXPECT_EQ(errorOf(parseUpdateActorAck("{}")), "UpdateActorAck: missing field 'accepted'");
}

TEST(ControlWire, AckFailureIsMissingNullOrString) {
  for (const char* text : {R"({"host_id":"N","actor_ref":"e"})", R"({"host_id":"N","actor_ref":"e","failure":null})"}) {
    auto ack = parseStartActorAck(text);
    ASSERT_TRUE(ack.hasValue()) << ack.error().message;
    EXPECT_FALSE(ack->failure.has_value());
  }
  auto ack = parseStartActorAck(R"({"host_id":"N","actor_ref":"e","failure":"boom"})");
  ASSERT_TRUE(ack.hasValue()) << ack.error().message;
  EXPECT_EQ(ack->failure, "boom");
  EXPECT_EQ(errorOf(parseStartActorAck(R"({"host_id":"N","actor_ref":"e","failure":false})")),
            "StartActorAck: field 'failure': expected a string or null");
  auto stop = parseStopActorAck("{}");
  ASSERT_TRUE(stop.hasValue()) << stop.error().message;
  EXPECT_FALSE(stop->failure.has_value());
  auto stopp = parseStopProviderAck(R"({"failure":"Provider V/default is not running on this host"})");
  ASSERT_TRUE(stopp.hasValue()) << stopp.error().message;
  EXPECT_EQ(stopp->failure, "Provider V/default is not running on this host");
  EXPECT_EQ(errorOf(parseStopProviderAck(R"({"failure":[]})")),
            "StopProviderAck: field 'failure': expected a string or null");
}

TEST(ControlWire, ProviderCommands) {
  EXPECT_EQ(toJson(StartProviderCommand{kHost, "h:0.12.2", "default"}),
            R"({"host_id":"NBHOST","provider_ref":"h:0.12.2","link_name":"default"})");
  EXPECT_EQ(toJson(StartProviderAck{kHost, "h:0.12.2", std::nullopt}),
            R"({"host_id":"NBHOST","provider_ref":"h:0.12.2","failure":null})");
  EXPECT_EQ(toJson(StartProviderAck{kHost, "h", "already running"}),
            R"({"host_id":"NBHOST","provider_ref":"h","failure":"already running"})");
  EXPECT_EQ(
      toJson(StopProviderCommand{kHost, kProvider, "default", "wasmcloud:httpserver"}),
      R"({"host_id":"NBHOST","provider_ref":"VHTTP","link_name":"default","contract_id":"wasmcloud:httpserver"})");
  EXPECT_EQ(toJson(StopProviderAck{}), R"({"failure":null})");

  auto start = parseStartProviderCommand(R"({"link_name":"default","provider_ref":"h:0.12.2","host_id":"NB"})");
  ASSERT_TRUE(start.hasValue()) << start.error().message;
  EXPECT_EQ(start->provider_ref, "h:0.12.2");
  auto sack = parseStartProviderAck(R"({"host_id":"NB","provider_ref":"h","failure":null})");
  ASSERT_TRUE(sack.hasValue()) << sack.error().message;
  EXPECT_FALSE(sack->failure.has_value());
  auto stop = parseStopProviderCommand(
      R"({"host_id":"NB","provider_ref":"VHTTP","link_name":"default","contract_id":"wasmcloud:httpserver"})");
  ASSERT_TRUE(stop.hasValue()) << stop.error().message;
  EXPECT_EQ(stop->contract_id, "wasmcloud:httpserver");

  EXPECT_EQ(errorOf(parseStartProviderCommand(R"({"host_id":"N","provider_ref":"p"})")),
            "StartProviderCommand: missing field 'link_name'");
  EXPECT_EQ(errorOf(parseStopProviderCommand(R"({"host_id":"N","provider_ref":"p","link_name":"d"})")),
            "StopProviderCommand: missing field 'contract_id'");
  EXPECT_EQ(errorOf(parseStartProviderAck(R"({"host_id":"N"})")), "StartProviderAck: missing field 'provider_ref'");
}

TEST(ControlWire, WritingNeverThrowsOnInvalidUtf8) {
  EXPECT_EQ(toJson(StopActorAck{std::string("bad \xff byte\n")}), "{\"failure\":\"bad \xef\xbf\xbd byte\\n\"}");
}

// ---- events ---------------------------------------------------------------------------------------------------

PublishedEvent published(ControlEvent e) { return PublishedEvent{std::move(e), EventHeader{kHost, 1620000000}}; }

std::string eventText(const std::string& event) {
  return R"({"event":)" + event + R"(,"header":{"host_origin":"NBHOST","timestamp":1620000000}})";
}

TEST(ControlWire, UnitEventsAreStrings) {
  EXPECT_EQ(toJson(published(HostStarted{})), eventText(R"("HostStarted")"));
  EXPECT_EQ(toJson(published(HostStopped{})), eventText(R"("HostStopped")"));
  auto e = parsePublishedEvent(eventText(R"("HostStopped")"));
  ASSERT_TRUE(e.hasValue()) << e.error().message;
  EXPECT_TRUE(std::holds_alternative<HostStopped>(e->event));
  EXPECT_EQ(e->header.host_origin, kHost);
  EXPECT_EQ(e->header.timestamp, 1620000000u);
  auto tagged = parsePublishedEvent(eventText(R"({"HostStarted":null})"));
  ASSERT_TRUE(tagged.hasValue()) << tagged.error().message;
  EXPECT_TRUE(std::holds_alternative<HostStarted>(tagged->event));
}

TEST(ControlWire, ActorEvents) {
  EXPECT_EQ(toJson(published(ActorStarted{kActor, "e:1"})),
            eventText(R"({"ActorStarted":{"actor":"MBECHO","image_ref":"e:1"}})"));
  EXPECT_EQ(toJson(published(ActorStarted{kActor, std::nullopt})),
            eventText(R"({"ActorStarted":{"actor":"MBECHO","image_ref":null}})"));
  EXPECT_EQ(toJson(published(ActorStopped{kActor})), eventText(R"({"ActorStopped":{"actor":"MBECHO"}})"));
  EXPECT_EQ(toJson(published(ActorUpdateBegan{kActor, 1, 2})),
            eventText(R"({"ActorUpdateBegan":{"actor":"MBECHO","old_revision":1,"new_revision":2}})"));
  EXPECT_EQ(toJson(published(ActorUpdateCompleted{kActor, 1, 4294967295u})),
            eventText(R"({"ActorUpdateCompleted":{"actor":"MBECHO","old_revision":1,"new_revision":4294967295}})"));

  auto started = parsePublishedEvent(eventText(R"({"ActorStarted":{"actor":"MBECHO"}})"));
  ASSERT_TRUE(started.hasValue()) << started.error().message;
  ASSERT_TRUE(std::holds_alternative<ActorStarted>(started->event));
  EXPECT_EQ(std::get<ActorStarted>(started->event).actor, kActor);
  EXPECT_FALSE(std::get<ActorStarted>(started->event).image_ref.has_value());
  auto stopped = parsePublishedEvent(eventText(R"({"ActorStopped":{"actor":"MBECHO"}})"));
  ASSERT_TRUE(stopped.hasValue()) << stopped.error().message;
  EXPECT_EQ(std::get<ActorStopped>(stopped->event).actor, kActor);
  auto done = parsePublishedEvent(
      eventText(R"({"ActorUpdateCompleted":{"new_revision":3,"old_revision":2,"actor":"MBECHO"}})"));
  ASSERT_TRUE(done.hasValue()) << done.error().message;
  ASSERT_TRUE(std::holds_alternative<ActorUpdateCompleted>(done->event));
  EXPECT_EQ(std::get<ActorUpdateCompleted>(done->event).old_revision, 2u);
  EXPECT_EQ(std::get<ActorUpdateCompleted>(done->event).new_revision, 3u);
  auto began =
      parsePublishedEvent(eventText(R"({"ActorUpdateBegan":{"actor":"MBECHO","old_revision":0,"new_revision":1}})"));
  ASSERT_TRUE(began.hasValue()) << began.error().message;
  EXPECT_TRUE(std::holds_alternative<ActorUpdateBegan>(began->event));
}

TEST(ControlWire, ProviderEvents) {
  EXPECT_EQ(toJson(published(ProviderStarted{"wasmcloud:httpserver", "default", kProvider, "h:0.12.2"})),
            eventText(R"({"ProviderStarted":{"contract_id":"wasmcloud:httpserver","link_name":"default",)"
                      R"("provider_id":"VHTTP","image_ref":"h:0.12.2"}})"));
  EXPECT_EQ(toJson(published(ProviderStarted{"wasmcloud:httpserver", "default", kProvider, std::nullopt})),
            eventText(R"({"ProviderStarted":{"contract_id":"wasmcloud:httpserver","link_name":"default",)"
                      R"("provider_id":"VHTTP","image_ref":null}})"));
  EXPECT_EQ(toJson(published(ProviderStopped{"wasmcloud:httpserver", "default", kProvider})),
            eventText(R"({"ProviderStopped":{"contract_id":"wasmcloud:httpserver","link_name":"default",)"
                      R"("provider_id":"VHTTP"}})"));

  auto started = parsePublishedEvent(
      eventText(R"({"ProviderStarted":{"contract_id":"c","link_name":"l","provider_id":"V","image_ref":null}})"));
  ASSERT_TRUE(started.hasValue()) << started.error().message;
  const auto& ps = std::get<ProviderStarted>(started->event);
  EXPECT_EQ(ps.contract_id, "c");
  EXPECT_EQ(ps.link_name, "l");
  EXPECT_EQ(ps.provider_id, "V");
  EXPECT_FALSE(ps.image_ref.has_value());
  auto stopped =
      parsePublishedEvent(eventText(R"({"ProviderStopped":{"contract_id":"c","link_name":"l","provider_id":"V"}})"));
  ASSERT_TRUE(stopped.hasValue()) << stopped.error().message;
  EXPECT_EQ(std::get<ProviderStopped>(stopped->event).provider_id, "V");
}

TEST(ControlWire, Heartbeat) {
  Heartbeat hb;
  hb.claims.push_back(echoClaims());
  hb.entities[kActor] = RunState{};
  hb.entities[kProvider] = RunState{false, "No successful health check response from target"};
  // The claims object is wascap's Claims<Actor> in serde order (what claims::claimsToJson writes).
  const std::string expected = eventText(
      R"({"Heartbeat":{"claims":[{"jti":"JTI1","iat":1620000000,"iss":"ACCOUNT","sub":"MBECHO","wascap":)"
      R"({"name":"echo","hash":"ABCD","tags":[],"caps":["wasmcloud:httpserver","wasmcloud:keyvalue"],"rev":3,)"
      R"("ver":"0.2.1","prov":false}}],"entities":{"MBECHO":"Running",)"
      R"("VHTTP":{"Unhealthy":"No successful health check response from target"}}}})");
  EXPECT_EQ(toJson(published(hb)), expected);
  EXPECT_EQ(toJson(published(Heartbeat{})), eventText(R"({"Heartbeat":{"claims":[],"entities":{}}})"));

  auto parsed = parsePublishedEvent(expected);
  ASSERT_TRUE(parsed.hasValue()) << parsed.error().message;
  ASSERT_TRUE(std::holds_alternative<Heartbeat>(parsed->event));
  const auto& got = std::get<Heartbeat>(parsed->event);
  ASSERT_EQ(got.claims.size(), 1u);
  EXPECT_EQ(got.claims[0].subject, kActor);
  EXPECT_EQ(got.claims[0].issuer, "ACCOUNT");
  EXPECT_EQ(got.claims[0].issued_at, 1620000000);
  EXPECT_EQ(got.claims[0].metadata.caps, echoClaims().metadata.caps);
  EXPECT_EQ(got.claims[0].metadata.rev, 3);
  ASSERT_EQ(got.entities.size(), 2u);
  EXPECT_TRUE(got.entities.at(kActor).running);
  EXPECT_FALSE(got.entities.at(kProvider).running);
  EXPECT_EQ(got.entities.at(kProvider).message, "No successful health check response from target");
  auto tagged = parsePublishedEvent(eventText(R"({"Heartbeat":{"claims":[],"entities":{"M":{"Running":null}}}})"));
  ASSERT_TRUE(tagged.hasValue()) << tagged.error().message;
  EXPECT_TRUE(std::get<Heartbeat>(tagged->event).entities.at("M").running);
}

TEST(ControlWire, HeartbeatErrorsNameTheField) {
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"({"Heartbeat":{"claims":[],"entities":{"M":"Stopped"}}})"))),
            R"(PublishedEvent: field 'event.Heartbeat.entities.M': expected "Running" or {"Unhealthy": message})");
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"({"Heartbeat":{"claims":[],"entities":{"M":{"Unhealthy":1}}}})"))),
            R"(PublishedEvent: field 'event.Heartbeat.entities.M': expected "Running" or {"Unhealthy": message})");
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"({"Heartbeat":{"claims":[7],"entities":{}}})"))),
            "PublishedEvent: field 'event.Heartbeat.claims[0]': expected a claims object");
  const std::string bad = errorOf(parsePublishedEvent(
      eventText(R"({"Heartbeat":{"claims":[{"jti":"J","iat":1,"iss":"A","sub":"M"}],"entities":{}}})")));
  EXPECT_EQ(bad.rfind("PublishedEvent: field 'event.Heartbeat.claims[0]': ", 0), 0u) << bad;
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"({"Heartbeat":{"claims":[]}})"))),
            "PublishedEvent: missing field 'event.Heartbeat.entities'");
}

TEST(ControlWire, EventErrorsNameTheField) {
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"("HostExploded")"))),
            "PublishedEvent: field 'event': unknown variant 'HostExploded'");
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"({"ActorStopped":{"actor":"M"},"HostStarted":null})"))),
            "PublishedEvent: field 'event': expected a variant name or an object with exactly one key");
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"("ActorStopped")"))),
            "PublishedEvent: field 'event': expected an object: variant 'ActorStopped' has fields");
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"({"HostStarted":{}})"))),
            "PublishedEvent: field 'event.HostStarted': expected null (a unit variant)");
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"({"ActorStopped":"M"})"))),
            "PublishedEvent: field 'event.ActorStopped': expected an object");
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"({"ActorStopped":{}})"))),
            "PublishedEvent: missing field 'event.ActorStopped.actor'");
  EXPECT_EQ(errorOf(parsePublishedEvent(
                eventText(R"({"ActorUpdateBegan":{"actor":"M","old_revision":-1,"new_revision":1}})"))),
            "PublishedEvent: field 'event.ActorUpdateBegan.old_revision': expected an unsigned 32-bit integer");
  EXPECT_EQ(errorOf(parsePublishedEvent(
                eventText(R"({"ActorUpdateBegan":{"actor":"M","old_revision":0,"new_revision":4294967296}})"))),
            "PublishedEvent: field 'event.ActorUpdateBegan.new_revision': expected an unsigned 32-bit integer");
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(R"({"ProviderStopped":{"contract_id":"c","link_name":"l"}})"))),
            "PublishedEvent: missing field 'event.ProviderStopped.provider_id'");
  EXPECT_EQ(errorOf(parsePublishedEvent(R"({"event":"HostStarted"})")), "PublishedEvent: missing field 'header'");
  EXPECT_EQ(errorOf(parsePublishedEvent(R"({"header":{"host_origin":"N","timestamp":1}})")),
            "PublishedEvent: missing field 'event'");
  EXPECT_EQ(errorOf(parsePublishedEvent(R"({"event":"HostStarted","header":[]})")),
            "PublishedEvent: field 'header': expected an object");
  EXPECT_EQ(errorOf(parsePublishedEvent(
                R"({"event":"HostStarted","header":{"host_origin":"N","timestamp":"2021-05-14T00:00:00Z"}})")),
            "PublishedEvent: field 'header.timestamp': expected an unsigned 64-bit integer");
  EXPECT_EQ(errorOf(parsePublishedEvent(R"({"event":"HostStarted","header":{"timestamp":1}})")),
            "PublishedEvent: missing field 'header.host_origin'");
}

TEST(ControlWire, EventNames) {
  EXPECT_EQ(eventName(HostStarted{}), "HostStarted");
  EXPECT_EQ(eventName(HostStopped{}), "HostStopped");
  EXPECT_EQ(eventName(ActorStarted{}), "ActorStarted");
  EXPECT_EQ(eventName(ActorStopped{}), "ActorStopped");
  EXPECT_EQ(eventName(ActorUpdateBegan{}), "ActorUpdateBegan");
  EXPECT_EQ(eventName(ActorUpdateCompleted{}), "ActorUpdateCompleted");
  EXPECT_EQ(eventName(ProviderStarted{}), "ProviderStarted");
  EXPECT_EQ(eventName(ProviderStopped{}), "ProviderStopped");
  EXPECT_EQ(eventName(Heartbeat{}), "Heartbeat");
}

TEST(ControlWire, HostileInputIsAnErrorNotACrash) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(errorOf(parseHost(deep)), "Host: expected a JSON object");
  std::string nested;
  for (int i = 0; i < 10000; ++i) nested += R"({"ActorStopped":)";
  nested += "{}" + std::string(10000, '}');
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText(nested))),
            "PublishedEvent: missing field 'event.ActorStopped.actor'");
  static constexpr char kNul[] = "{\"id\":\"N\0\",\"uptime\":1}";
  EXPECT_EQ(errorOf(parseHost(std::string(kNul, sizeof kNul - 1))).rfind("Host: invalid JSON", 0), 0u);
  const std::string longName(1000, 'X');
  EXPECT_EQ(errorOf(parsePublishedEvent(eventText("\"" + longName + "\""))),
            "PublishedEvent: field 'event': unknown variant '" + std::string(64, 'X') + "...'");
}

}  // namespace
}  // namespace stratus::lattice::ctl
