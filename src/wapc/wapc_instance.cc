#include <string>

#include "stratus/wapc/wapc.h"

namespace stratus::wapc {

using engine::FunctionType;
using engine::HostContext;
using engine::HostFunction;
using engine::Value;
using engine::ValueType;

/// Protocol state of one instance, reached by the host functions through HostContext::userData().
struct WapcInstance::State {
  WapcOptions options;
  // The invocation being delivered; valid only inside WapcInstance::call.
  std::string_view operation;
  std::span<const uint8_t> payload;
  Bytes guest_response;
  bool has_guest_response = false;
  std::string guest_error;
  bool has_guest_error = false;
  Bytes host_response;
  std::string host_error;
};

namespace {

using State = WapcInstance::State;
using Args = std::span<const Value>;
using Results = std::span<Value>;

State& stateOf(HostContext& ctx) { return *static_cast<State*>(ctx.userData()); }

std::string_view asText(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const uint8_t> asBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

Expected<void> guestRequest(HostContext& ctx, Args args, Results) {
  State& s = stateOf(ctx);
  auto memory = ctx.memory();
  STRATUS_TRY(memory.write(args[0].i32, asBytes(s.operation)));
  STRATUS_TRY(memory.write(args[1].i32, s.payload));
  return ok();
}

Expected<void> guestResponse(HostContext& ctx, Args args, Results) {
  State& s = stateOf(ctx);
  auto bytes = ctx.memory().read(args[0].i32, args[1].i32);
  if (!bytes) return fail(bytes.takeError());
  s.guest_response = std::move(*bytes);
  s.has_guest_response = true;
  return ok();
}

Expected<void> guestError(HostContext& ctx, Args args, Results) {
  State& s = stateOf(ctx);
  auto bytes = ctx.memory().span(args[0].i32, args[1].i32);
  if (!bytes) return fail(bytes.takeError());
  s.guest_error.assign(asText(*bytes));
  s.has_guest_error = true;
  return ok();
}

Expected<void> hostCall(HostContext& ctx, Args args, Results results) {
  State& s = stateOf(ctx);
  auto memory = ctx.memory();
  // Copies: the handler may run guest code of other actors, and this memory may move if the guest grows it.
  auto binding = memory.read(args[0].i32, args[1].i32);
  if (!binding) return fail(binding.takeError());
  auto ns = memory.read(args[2].i32, args[3].i32);
  if (!ns) return fail(ns.takeError());
  auto op = memory.read(args[4].i32, args[5].i32);
  if (!op) return fail(op.takeError());
  auto payload = memory.read(args[6].i32, args[7].i32);
  if (!payload) return fail(payload.takeError());

  s.host_response.clear();
  s.host_error.clear();
  if (!s.options.host_call) {
    s.host_error = "no host call handler is configured";
    results[0] = Value::makeI32(0);
    return ok();
  }
  auto reply = s.options.host_call(asText(*binding), asText(*ns), asText(*op), *payload);
  if (reply) {
    s.host_response = std::move(*reply);
    results[0] = Value::makeI32(1);
  } else {
    s.host_error = reply.error().message;
    results[0] = Value::makeI32(0);
  }
  return ok();
}

Expected<void> hostResponseLen(HostContext& ctx, Args, Results results) {
  results[0] = Value::makeI32(static_cast<uint32_t>(stateOf(ctx).host_response.size()));
  return ok();
}

Expected<void> hostResponse(HostContext& ctx, Args args, Results) {
  return ctx.memory().write(args[0].i32, stateOf(ctx).host_response);
}

Expected<void> hostErrorLen(HostContext& ctx, Args, Results results) {
  results[0] = Value::makeI32(static_cast<uint32_t>(stateOf(ctx).host_error.size()));
  return ok();
}

Expected<void> hostError(HostContext& ctx, Args args, Results) {
  return ctx.memory().write(args[0].i32, asBytes(stateOf(ctx).host_error));
}

Expected<void> consoleLog(HostContext& ctx, Args args, Results) {
  State& s = stateOf(ctx);
  auto bytes = ctx.memory().span(args[0].i32, args[1].i32);
  if (!bytes) return fail(bytes.takeError());
  if (s.options.console_log) s.options.console_log(asText(*bytes));
  return ok();
}

FunctionType i32s(size_t params, size_t results) {
  return {std::vector<ValueType>(params, ValueType::kI32), std::vector<ValueType>(results, ValueType::kI32)};
}

}  // namespace

std::vector<HostFunction> wapcHostFunctions() {
  return {
      {"wapc", "__guest_request", i32s(2, 0), guestRequest},
      {"wapc", "__guest_response", i32s(2, 0), guestResponse},
      {"wapc", "__guest_error", i32s(2, 0), guestError},
      {"wapc", "__host_call", i32s(8, 1), hostCall},
      {"wapc", "__host_response_len", i32s(0, 1), hostResponseLen},
      {"wapc", "__host_response", i32s(1, 0), hostResponse},
      {"wapc", "__host_error_len", i32s(0, 1), hostErrorLen},
      {"wapc", "__host_error", i32s(1, 0), hostError},
      {"wapc", "__console_log", i32s(2, 0), consoleLog},
  };
}

WapcInstance::~WapcInstance() = default;

Expected<std::unique_ptr<WapcInstance>> WapcInstance::create(std::shared_ptr<const engine::Module> module,
                                                             WapcOptions options) {
  static const std::vector<HostFunction> kHostFunctions = wapcHostFunctions();
  std::unique_ptr<WapcInstance> self(new WapcInstance());
  self->module_ = std::move(module);
  self->state_ = std::make_unique<State>();
  self->state_->options = std::move(options);

  auto instance = self->module_->instantiate(kHostFunctions, self->state_->options.instance, self->state_.get());
  if (!instance) return fail(instance.takeError());
  self->instance_ = std::move(*instance);

  auto guest_call = self->instance_->findFunction("__guest_call");
  if (!guest_call) {
    return fail(ErrorCode::kInvalidArgument, "not a waPC module: it does not export __guest_call");
  }
  if (!(self->instance_->functionType(*guest_call) == i32s(2, 1))) {
    return fail(ErrorCode::kInvalidArgument,
                "not a waPC module: __guest_call has type " +
                    engine::toString(self->instance_->functionType(*guest_call)) + ", expected (i32, i32) -> (i32)");
  }
  self->guest_call_ = *guest_call;
  if (self->instance_->memory().size() == 0) {
    return fail(ErrorCode::kInvalidArgument, "not a waPC module: it has no linear memory");
  }

  for (const char* start : {"_start", "wapc_init"}) {
    auto fn = self->instance_->findFunction(start);
    if (!fn) continue;
    if (!self->instance_->functionType(*fn).params.empty()) {
      return fail(ErrorCode::kInvalidArgument, std::string("start function ") + start + " takes parameters");
    }
    std::vector<Value> results(self->instance_->functionType(*fn).results.size());
    auto r = self->instance_->call(*fn, {}, results);
    if (!r) {
      Error e = r.takeError();
      e.message = std::string(start) + " failed: " + e.message;
      return fail(std::move(e));
    }
  }
  return self;
}

Expected<Bytes> WapcInstance::call(std::string_view operation, std::span<const uint8_t> payload) {
  State& s = *state_;
  s.operation = operation;
  s.payload = payload;
  s.guest_response.clear();
  s.has_guest_response = false;
  s.guest_error.clear();
  s.has_guest_error = false;
  s.host_response.clear();
  s.host_error.clear();

  const Value args[2] = {Value::makeI32(static_cast<uint32_t>(operation.size())),
                         Value::makeI32(static_cast<uint32_t>(payload.size()))};
  Value result;
  auto r = instance_->call(guest_call_, args, std::span<Value>(&result, 1));
  s.operation = {};
  s.payload = {};
  if (!r) {
    poisoned_ = true;
    return fail(r.takeError());
  }
  if (result.i32 == 0) {
    return fail(ErrorCode::kGuestError,
                s.has_guest_error ? std::move(s.guest_error) : std::string("No error message set for call failure"));
  }
  if (!s.has_guest_response) {
    return fail(ErrorCode::kGuestError, s.has_guest_error ? std::move(s.guest_error)
                                                           : std::string("No error message OR response set for "
                                                                         "call success"));
  }
  return std::move(s.guest_response);
}

}  // namespace stratus::wapc
