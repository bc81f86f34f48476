// Differential test: the same guests, operations and payloads through stratus and through @wapc/host on Node
// (an independent waPC host); results and error texts must be byte-identical. Guests: the prebuilt Rust fixtures
// shipped with @wapc/host, our C test actor, and an AssemblyScript actor built with @wapc/as-guest.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "stratus/common/files.h"
#include "stratus/engine/engine.h"
#include "stratus/wapc/wapc.h"
#include "support/engine_params.h"

namespace stratus {
namespace {

enum class Callback { kNone, kEcho, kEchoMsgpack };

struct Case {
  std::string module;  // path
  std::string operation;
  Bytes payload;
  Callback callback;
};

struct Outcome {
  bool ok = false;
  Bytes result;       // when ok
  std::string error;  // when not ok: the guest error text
  bool operator==(const Outcome&) const = default;
};

std::string toHex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t c : b) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

Bytes fromHex(std::string_view hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Outcome runOnNode(const Case& c) {
  char err_path[] = "/tmp/stratus-compat-XXXXXX";
  int fd = mkstemp(err_path);
  close(fd);
  std::string cmd = std::string(STRATUS_NODE) + " " + shellQuote(STRATUS_COMPAT_NODE_CALL) + " " + shellQuote(c.module) +
                    " " + shellQuote(c.operation) + " " + (c.payload.empty() ? std::string("-") : toHex(c.payload));
  if (c.callback == Callback::kEcho) cmd += " --host-call-echo";
  if (c.callback == Callback::kEchoMsgpack) cmd += " --host-call-echo-msgpack";
  cmd += " 2>" + std::string(err_path);
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  auto err_bytes = readFileBytes(err_path);
  std::remove(err_path);
  const std::string err = err_bytes ? std::string(err_bytes->begin(), err_bytes->end())
                                    : "(node's stderr is lost: " + err_bytes.error().message + ")";

  Outcome o;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    o.ok = true;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    o.result = fromHex(out);
    return o;
  }
  const std::string prefix = "guest error: ";
  auto at = err.find(prefix);
  EXPECT_NE(at, std::string::npos) << "node failed without a guest error: " << cmd << "\n" << err;
  if (at != std::string::npos) {
    o.error = err.substr(at + prefix.size());
    while (!o.error.empty() && o.error.back() == '\n') o.error.pop_back();
  }
  return o;
}

// The same host-call callbacks as wapc_node_call.mjs (tests/compat/README.md).
Expected<Bytes> echoCallback(Callback mode, std::string_view binding, std::string_view ns, std::string_view op,
                             std::span<const uint8_t> payload) {
  std::string prefix = std::string(binding) + "|" + std::string(ns) + "|" + std::string(op);
  if (op == "Fail") return fail(ErrorCode::kHostError, "host failure: " + prefix);
  prefix += "|";
  if (mode == Callback::kEcho) {
    Bytes out(prefix.begin(), prefix.end());
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
  }
  auto j = nlohmann::json::from_msgpack(payload, true, false);
  if (j.is_discarded() || !j.is_string()) return fail(ErrorCode::kHostError, "payload is not a msgpack string");
  return nlohmann::json::to_msgpack(nlohmann::json(prefix + j.get<std::string>()));
}

Outcome runOnStratus(engine::Engine& engine, const Case& c) {
  auto wasm = readFileBytes(c.module);
  EXPECT_TRUE(wasm) << wasm.error().toString();
  if (!wasm) return {};
  auto module = engine.compile(*wasm, {.name = c.module});
  EXPECT_TRUE(module) << module.error().toString();
  if (!module) return {};
  wapc::WapcOptions options;
  options.instance.call_timeout = std::chrono::seconds(10);
  if (c.callback != Callback::kNone) {
    options.host_call = [mode = c.callback](auto b, auto n, auto o, auto p) { return echoCallback(mode, b, n, o, p); };
  }
  auto inst = wapc::WapcInstance::create(*module, options);
  EXPECT_TRUE(inst) << inst.error().toString();
  if (!inst) return {};
  auto r = (*inst)->call(c.operation, c.payload);
  Outcome o;
  if (r) {
    o.ok = true;
    o.result = *r;
  } else {
    EXPECT_EQ(r.error().code, ErrorCode::kGuestError) << r.error().toString();
    o.error = r.error().message;
  }
  return o;
}

Bytes msgpack(const nlohmann::json& j) { return nlohmann::json::to_msgpack(j); }
Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::vector<Case> cases() {
  const std::string fixtures = STRATUS_COMPAT_FIXTURE_DIR;
  const std::string actors = STRATUS_TEST_ACTOR_DIR;
  const std::string echo = fixtures + "/rust_echo_string.wasm";
  const std::string hostcall = fixtures + "/rust_host_call.wasm";
  const nlohmann::json callback_args = {{"binding", "myBinding"},
                                        {"namespace", "myNamespace"},
                                        {"operation", "myOperation"},
                                        {"msg", "this is the payload"}};
  nlohmann::json failing_args = callback_args;
  failing_args["operation"] = "Fail";
  auto host_call = [](std::string_view op, const Bytes& payload) {
    return msgpack({{"binding", "default"},
                    {"namespace", "wasmcloud:keyvalue"},
                    {"operation", op},
                    {"payload", nlohmann::json::binary(payload)}});
  };
  std::vector<Case> out = {
      {echo, "echo", msgpack({{"msg", "hello world"}}), Callback::kNone},
      {echo, "echo", msgpack({{"msg", std::string(300, 'x')}}), Callback::kNone},
      {echo, "nope", {}, Callback::kNone},
      {hostcall, "callback", msgpack(callback_args), Callback::kEchoMsgpack},
      {hostcall, "callback", msgpack(failing_args), Callback::kEchoMsgpack},
  };
  for (const std::string name : {"test_actor", "as_actor"}) {
    const std::string path = actors + "/" + name + ".wasm";
    out.push_back({path, "Echo", text("hello"), Callback::kNone});
    out.push_back({path, "Echo", Bytes(5000, 0xAB), Callback::kNone});
    out.push_back({path, "Fail", text("oops"), Callback::kNone});
    out.push_back({path, "HostCall", host_call("Get", text("abc")), Callback::kEcho});
    out.push_back({path, "HostCall", host_call("Fail", text("abc")), Callback::kEcho});
  }
  return out;
}

class WapcDifferentialTest : public ::testing::TestWithParam<engine::Backend> {};

TEST_P(WapcDifferentialTest, SameBytesAsWapcHostOnNode) {
  auto engine = engine::createEngine(GetParam());
  ASSERT_TRUE(engine);
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.module + " " + c.operation + " " + toHex(c.payload).substr(0, 80));
    Outcome node = runOnNode(c);
    Outcome ours = runOnStratus(**engine, c);
    EXPECT_EQ(ours.ok, node.ok);
    EXPECT_EQ(toHex(ours.result), toHex(node.result));
    EXPECT_EQ(ours.error, node.error);
  }
}

INSTANTIATE_TEST_SUITE_P(AllEngines, WapcDifferentialTest, ::testing::ValuesIn(engine::availableBackends()),
                         stratus::testing::backendParamName);

}  // namespace
}  // namespace stratus
