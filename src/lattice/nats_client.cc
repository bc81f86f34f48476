#include "lattice/nats_client.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "stratus/claims/nkeys.h"

namespace stratus::lattice {
namespace {

// libnats' text for a status, with the thread's last error detail when it is about that status.
std::string statusText(natsStatus s) {
  std::string text = natsStatus_GetText(s);
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (last != s || !detail) return text;
  std::string_view d = detail;
  // libnats prefixes "(file:line): "; keep what follows.
  if (auto end = d.find("): "); d.starts_with('(') && end != std::string_view::npos) d.remove_prefix(end + 3);
  if (!d.empty() && text.find(d) == std::string::npos) {
    text += ": ";
    text += d;
  }
  return text;
}

int64_t reconnectDelay(natsConnection*, int attempts, void*) {
  const int doublings = std::clamp(attempts - 1, 0, 6);
  return std::min<int64_t>(int64_t{100} << doublings, 5000);
}

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

}  // namespace

std::string NatsEndpoint::url() const { return "nats://" + host + ":" + std::to_string(port); }

// What libnats' connection callbacks need; lives until the connection's closed callback, which deletes it.
struct NatsClient::Callbacks {
  std::string description;
  std::string jwt;
  std::string seed;
  // Set before the client closes the connection: libnats runs the callbacks of the close on a thread of its own
  // that may outlive the client (and the process's logger), so they log nothing then.
  std::atomic<bool> closing{false};

  static Callbacks& of(void* closure) { return *static_cast<Callbacks*>(closure); }
  static void disconnected(natsConnection*, void* closure) {
    if (of(closure).closing) return;
    spdlog::warn("{}: lost; reconnecting (calls to other hosts fail until it is back)", of(closure).description);
  }
  static void reconnected(natsConnection*, void* closure) {
    if (of(closure).closing) return;
    spdlog::info("{}: back; subscriptions restored", of(closure).description);
  }
  static void closed(natsConnection*, void* closure) { delete static_cast<Callbacks*>(closure); }
  static void asyncError(natsConnection*, natsSubscription*, natsStatus s, void* closure) {
    if (of(closure).closing) return;
    spdlog::warn("{}: {}", of(closure).description, natsStatus_GetText(s));
  }
  static natsStatus userJwt(char** jwt, char** error, void* closure) {
    *jwt = ::strdup(of(closure).jwt.c_str());
    if (*jwt) return NATS_OK;
    *error = ::strdup("out of memory");
    return NATS_NO_MEMORY;
  }
  static natsStatus sign(char** error, unsigned char** signature, int* length, const char* nonce, void* closure) {
    const natsStatus s = nats_Sign(of(closure).seed.c_str(), nonce, signature, length);
    if (s != NATS_OK) *error = ::strdup("cannot sign the server's nonce with the given seed");
    return s;
  }
};

Expected<std::unique_ptr<NatsClient>> NatsClient::connect(const NatsEndpoint& endpoint, std::string role,
                                                          std::string client_name) {
  const std::string url = endpoint.url();
  const std::string what = role + " connection to " + url;
  auto callbacks = std::make_unique<Callbacks>();
  callbacks->description = what;
  callbacks->jwt = endpoint.jwt;
  callbacks->seed = endpoint.seed;
  if (!endpoint.jwt.empty() && endpoint.seed.empty()) {
    return fail(ErrorCode::kInvalidArgument, what + ": a user JWT needs its seed too");
  }
  std::string nkey_public;
  if (!endpoint.seed.empty()) {
    auto key = claims::KeyPair::fromSeed(endpoint.seed);
    if (!key) return fail(ErrorCode::kInvalidArgument, what + ": the seed is not an nkey seed: " + key.error().message);
    nkey_public = key->publicKey();
  }

  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) return fail(ErrorCode::kInternal, what + ": cannot create NATS options");
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw);
  void* closure = callbacks.get();
  natsStatus s = natsOptions_SetURL(raw, url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(raw, client_name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(raw, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(raw, -1);
  if (s == NATS_OK) s = natsOptions_SetCustomReconnectDelay(raw, reconnectDelay, nullptr);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(raw, 8 * 1024 * 1024);
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(raw, true);
  if (s == NATS_OK) s = natsOptions_SetMaxPendingMsgs(raw, 65536);
  // Every message is flushed as it is sent: a call waits for its round trip, not for the flusher thread.
  if (s == NATS_OK) s = natsOptions_SetSendAsap(raw, true);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(raw, Callbacks::disconnected, closure);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(raw, Callbacks::reconnected, closure);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(raw, Callbacks::closed, closure);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(raw, Callbacks::asyncError, closure);
  if (s == NATS_OK && !endpoint.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(raw, endpoint.creds_file.c_str(), nullptr);
  } else if (s == NATS_OK && !endpoint.jwt.empty()) {
    s = natsOptions_SetUserCredentialsCallbacks(raw, Callbacks::userJwt, closure, Callbacks::sign, closure);
  } else if (s == NATS_OK && !endpoint.seed.empty()) {
    s = natsOptions_SetNKey(raw, nkey_public.c_str(), Callbacks::sign, closure);
  }
  if (s != NATS_OK) return fail(ErrorCode::kInvalidArgument, what + ": " + statusText(s));

  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, raw);
  if (s != NATS_OK) {
    const std::string text = statusText(s);
    if (nc) natsConnection_Destroy(nc);
    if (s == NATS_NO_SERVER || s == NATS_CONNECTION_CLOSED || s == NATS_TIMEOUT) {
      return fail(ErrorCode::kUnavailable, "cannot reach the NATS server for the " + what + " (" + text +
                                               "): is nats-server running there?");
    }
    if (s == NATS_NOT_PERMITTED || text.find("uthoriz") != std::string::npos) {
      return fail(ErrorCode::kPermissionDenied, "the NATS server refused the " + what + ": " + text +
                                                    " (check the credentials: creds file, JWT and seed)");
    }
    return fail(ErrorCode::kUnavailable, "cannot open the " + what + ": " + text);
  }
  spdlog::info("{}: connected", what);
  return std::unique_ptr<NatsClient>(new NatsClient(nc, callbacks.release(), what));  // the closed callback owns it
}

NatsClient::~NatsClient() {
  callbacks_->closing = true;
  natsConnection_Close(connection_);
  natsConnection_Destroy(connection_);
}

Error NatsClient::failure(ErrorCode code, std::string_view what, int status) const {
  return {code, description_ + ": " + std::string(what) + ": " + statusText(static_cast<natsStatus>(status))};
}

Expected<void> NatsClient::publish(const std::string& subject, std::span<const uint8_t> data) {
  const natsStatus s =
      natsConnection_Publish(connection_, subject.c_str(), data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) return fail(failure(ErrorCode::kUnavailable, "publish on " + subject, s));
  return ok();
}

Expected<Bytes> NatsClient::request(const std::string& subject, std::span<const uint8_t> data,
                                    std::chrono::milliseconds timeout) {
  natsMsg* reply = nullptr;
  const natsStatus s = natsConnection_Request(&reply, connection_, subject.c_str(), data.data(),
                                              static_cast<int>(data.size()), timeout.count());
  if (s == NATS_OK) {
    NatsMessage owned(reply);
    auto bytes = owned.data();
    return Bytes(bytes.begin(), bytes.end());
  }
  if (s == NATS_TIMEOUT) {
    return fail(ErrorCode::kDeadlineExceeded,
                description_ + ": no reply on " + subject + " within " + std::to_string(timeout.count()) + " ms");
  }
  if (s == NATS_NO_RESPONDERS) {
    return fail(ErrorCode::kNotFound, description_ + ": nothing subscribes to " + subject);
  }
  return fail(failure(ErrorCode::kUnavailable, "request on " + subject, s));
}

Expected<std::vector<Bytes>> NatsClient::collect(const std::string& subject, std::span<const uint8_t> data,
                                                 std::chrono::milliseconds timeout, size_t max_replies) {
  natsInbox* inbox = nullptr;
  if (natsStatus s = natsInbox_Create(&inbox); s != NATS_OK) return fail(failure(ErrorCode::kInternal, "inbox", s));
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_SubscribeSync(&sub, connection_, inbox);
  if (s == NATS_OK) {
    s = natsConnection_PublishRequest(connection_, subject.c_str(), inbox, data.data(), static_cast<int>(data.size()));
  }
  natsInbox_Destroy(inbox);
  if (s != NATS_OK) {
    natsSubscription_Destroy(sub);
    return fail(failure(ErrorCode::kUnavailable, "request on " + subject, s));
  }
  std::vector<Bytes> replies;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (max_replies == 0 || replies.size() < max_replies) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub, left.count()) != NATS_OK) break;
    NatsMessage reply(msg);
    if (natsMsg_IsNoResponders(msg)) break;
    replies.emplace_back(reply.data().begin(), reply.data().end());
  }
  natsSubscription_Destroy(sub);
  return replies;
}

Expected<void> NatsClient::flush(std::chrono::milliseconds timeout) {
  const natsStatus s = natsConnection_FlushTimeout(connection_, timeout.count());
  if (s != NATS_OK) return fail(failure(ErrorCode::kUnavailable, "flush", s));
  return ok();
}

bool NatsClient::connected() const { return natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED; }

// NatsMessage

NatsMessage& NatsMessage::operator=(NatsMessage&& other) noexcept {
  if (this != &other) {
    if (msg_) natsMsg_Destroy(msg_);
    msg_ = std::exchange(other.msg_, nullptr);
  }
  return *this;
}

NatsMessage::~NatsMessage() {
  if (msg_) natsMsg_Destroy(msg_);
}

std::string_view NatsMessage::subject() const { return natsMsg_GetSubject(msg_); }

std::string_view NatsMessage::reply() const {
  const char* reply = natsMsg_GetReply(msg_);
  return reply ? std::string_view(reply) : std::string_view();
}

std::span<const uint8_t> NatsMessage::data() const {
  return {reinterpret_cast<const uint8_t*>(natsMsg_GetData(msg_)), static_cast<size_t>(natsMsg_GetDataLength(msg_))};
}

// NatsSubscription

struct NatsSubscription::State {
  std::function<void(NatsMessage)> handler;
  natsSubscription* sub = nullptr;
  std::mutex mu;
  std::condition_variable cv;
  bool complete = false;

  static void onMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    static_cast<State*>(closure)->handler(NatsMessage(msg));
  }
  static void onComplete(void* closure) {
    auto* state = static_cast<State*>(closure);
    std::lock_guard lock(state->mu);
    state->complete = true;
    state->cv.notify_all();
  }
};

NatsSubscription::NatsSubscription(std::unique_ptr<State> state) : state_(std::move(state)) {}

NatsSubscription::~NatsSubscription() {
  if (!state_->sub) return;
  bool completes = natsSubscription_SetOnCompleteCB(state_->sub, State::onComplete, state_.get()) == NATS_OK;
  completes = natsSubscription_Unsubscribe(state_->sub) == NATS_OK && completes;
  if (completes) {
    std::unique_lock lock(state_->mu);
    if (!state_->cv.wait_for(lock, std::chrono::seconds(5), [&] { return state_->complete; })) {
      spdlog::error("a NATS subscription's handler did not return within 5 s of unsubscribing; leaking its state");
      natsSubscription_Destroy(state_->sub);
      (void)state_.release();
      return;
    }
  }
  natsSubscription_Destroy(state_->sub);
}

Expected<std::unique_ptr<NatsSubscription>> NatsClient::subscribe(const std::string& subject,
                                                                  const std::string& queue_group,
                                                                  std::function<void(NatsMessage)> handler) {
  auto state = std::make_unique<NatsSubscription::State>();
  state->handler = std::move(handler);
  natsSubscription* sub = nullptr;
  const natsStatus s =
      queue_group.empty()
          ? natsConnection_Subscribe(&sub, connection_, subject.c_str(), NatsSubscription::State::onMessage,
                                     state.get())
          : natsConnection_QueueSubscribe(&sub, connection_, subject.c_str(), queue_group.c_str(),
                                          NatsSubscription::State::onMessage, state.get());
  if (s != NATS_OK) return fail(failure(ErrorCode::kUnavailable, "subscribe to " + subject, s));
  // Slow consumers: an inbound burst waits in libnats' queue rather than being dropped early.
  (void)natsSubscription_SetPendingLimits(sub, 65536, 256 * 1024 * 1024);
  state->sub = sub;
  return std::unique_ptr<NatsSubscription>(new NatsSubscription(std::move(state)));
}

}  // namespace stratus::lattice
