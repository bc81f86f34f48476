#include "link.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <random>

namespace stratus::providers::nats {

/// What libnats' callbacks need, shared by the Link and by every callback registration: each registration holds a
/// heap-allocated shared_ptr to it as its closure, released by libnats' last callback for that registration (the
/// connection's closed callback, a subscription's completion callback), so no callback ever sees freed memory.
struct ConnContext {
  std::string actor;
  std::string servers;
  std::shared_ptr<LogSink> log;
  std::shared_ptr<Delivery> delivery;
  std::string jwt;   // CLIENT_JWT
  std::string seed;  // CLIENT_SEED
  int64_t wait_ms = 100;
  int64_t max_wait_ms = 2000;
  std::atomic<bool> connected_once{false};
};

namespace {

using Handle = std::shared_ptr<ConnContext>;

ConnContext& context(void* closure) { return **static_cast<Handle*>(closure); }

// libnats' error texts start with "(file.c:123): "; keep only the message.
std::string stripLocation(const char* text) {
  std::string_view t(text ? text : "");
  if (!t.empty() && t.front() == '(') {
    const size_t end = t.find("): ");
    if (end != std::string_view::npos) t.remove_prefix(end + 3);
  }
  return std::string(t);
}

// The status text, plus libnats' detail for it when the thread's last error is about this status.
std::string describe(natsStatus s) {
  std::string text = natsStatus_GetText(s);
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (last == s && detail && *detail) {
    std::string d = stripLocation(detail);
    if (!d.empty() && d != text) {
      text += ": ";
      text += d;
    }
  }
  return text;
}

std::string connectedUrl(natsConnection* nc) {
  char buf[512] = {0};
  if (natsConnection_GetConnectedUrl(nc, buf, sizeof buf) != NATS_OK) return "?";
  return buf;
}

std::string lastConnectionError(natsConnection* nc) {
  const char* text = nullptr;
  const natsStatus s = natsConnection_GetLastError(nc, &text);
  if (s == NATS_OK) return {};
  std::string out = stripLocation(text);
  return out.empty() ? std::string(natsStatus_GetText(s)) : out;
}

std::string tooLarge(const std::string& what) {
  std::string text = "nats: ";
  text += what;
  text += " failed: the body is larger than 2 GiB";
  return text;
}

// The NATS protocol is text: whitespace in a subject would split the PUB line and change its meaning.
bool validSubject(const std::string& subject) {
  if (subject.empty()) return false;
  return std::none_of(subject.begin(), subject.end(),
                      [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0'; });
}

Expected<void> checkSubjects(const std::string& what, const std::string& subject, const std::string& reply_to) {
  const bool bad_subject = !validSubject(subject);
  if (!bad_subject && (reply_to.empty() || validSubject(reply_to))) return ok();
  std::string text = "nats: ";
  text += what;
  text += " failed: ";
  text += bad_subject ? "the subject" : "the replyTo subject";
  text += " is empty or contains whitespace";
  return fail(ErrorCode::kInvalidArgument, std::move(text));
}

std::string prefix(const std::string& actor) {
  std::string p = "nats: actor ";
  p += actor;
  p += ": ";
  return p;
}

// Everything below runs on libnats' threads: nothing may throw into C.

void onMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) noexcept {
  try {
    codec::BrokerMessage m;
    m.subject = natsMsg_GetSubject(msg);
    if (const char* reply = natsMsg_GetReply(msg)) m.reply_to = reply;
    const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(msg));
    const int len = natsMsg_GetDataLength(msg);
    if (data && len > 0) m.body.assign(data, data + len);
    natsMsg_Destroy(msg);
    msg = nullptr;
    context(closure).delivery->push(std::move(m));
  } catch (...) {  // out of memory: the message is lost, as libnats would lose it
    if (msg) natsMsg_Destroy(msg);
  }
}

void onSubscriptionComplete(void* closure) noexcept { delete static_cast<Handle*>(closure); }

void onConnected(natsConnection* nc, void* closure) noexcept {
  try {
    ConnContext& c = context(closure);
    c.connected_once = true;
    c.log->log(STRATUS_LOG_INFO, prefix(c.actor) + "connected to " + connectedUrl(nc) + " (the server came up)");
  } catch (...) {
  }
}

void onDisconnected(natsConnection* nc, void* closure) noexcept {
  try {
    ConnContext& c = context(closure);
    std::string text = prefix(c.actor);
    text += "disconnected from NATS";
    const std::string why = lastConnectionError(nc);
    if (!why.empty()) {
      text += " (";
      text += why;
      text += ")";
    }
    text += "; reconnecting to ";
    text += c.servers;
    text += " (Publish and Request fail until then)";
    c.log->log(STRATUS_LOG_WARN, text);
  } catch (...) {
  }
}

void onReconnected(natsConnection* nc, void* closure) noexcept {
  try {
    ConnContext& c = context(closure);
    c.connected_once = true;
    c.log->log(STRATUS_LOG_INFO, prefix(c.actor) + "reconnected to " + connectedUrl(nc) + "; subscriptions restored");
  } catch (...) {
  }
}

// The last callback for a connection: after it, libnats calls nothing else with this closure.
void onClosed(natsConnection* nc, void* closure) noexcept {
  auto* handle = static_cast<Handle*>(closure);
  try {
    ConnContext& c = **handle;
    std::string text = prefix(c.actor);
    text += "the NATS connection closed";
    const std::string why = lastConnectionError(nc);
    if (!why.empty()) {
      text += " (";
      text += why;
      text += ")";
    }
    text += "; Publish and Request fail until the link is bound again";
    c.log->log(STRATUS_LOG_ERROR, text);  // silent when the provider closed it (the sink is off by then)
  } catch (...) {
  }
  delete handle;
}

void onAsyncError(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure) noexcept {
  try {
    ConnContext& c = context(closure);
    std::string text = prefix(c.actor);
    if (err == NATS_SLOW_CONSUMER) {
      text += "libnats dropped messages";
      if (sub) {
        text += " on subscription '";
        text += natsSubscription_GetSubject(sub);
        text += "'";
      }
      text += ": its pending limit was reached (slow consumer)";
    } else {
      text += natsStatus_GetText(err);
      if (sub) {
        text += " on subscription '";
        text += natsSubscription_GetSubject(sub);
        text += "'";
      }
      const std::string why = lastConnectionError(nc);
      if (!why.empty()) {
        text += ": ";
        text += why;
      }
    }
    c.log->log(STRATUS_LOG_WARN, text);
  } catch (...) {
  }
}

// Called after every server in the list failed once more: a doubling wait with ±20% jitter.
int64_t reconnectDelay(natsConnection*, int attempts, void* closure) noexcept {
  const ConnContext& c = context(closure);
  int64_t wait = c.wait_ms;
  for (int i = 1; i < attempts && wait < c.max_wait_ms; ++i) wait *= 2;
  wait = std::min(wait, c.max_wait_ms);
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> jitter(-wait / 5, wait / 5);
  return std::max<int64_t>(1, wait + jitter(rng));
}

natsStatus userJwt(char** user_jwt, char** custom_error, void* closure) noexcept {
  *user_jwt = ::strdup(context(closure).jwt.c_str());
  if (*user_jwt) return NATS_OK;
  *custom_error = ::strdup("out of memory copying CLIENT_JWT");
  return NATS_NO_MEMORY;
}

natsStatus signNonce(char** custom_error, unsigned char** signature, int* length, const char* nonce,
                     void* closure) noexcept {
  const natsStatus s = nats_Sign(context(closure).seed.c_str(), nonce, signature, length);
  if (s != NATS_OK) *custom_error = ::strdup("cannot sign the server's nonce with CLIENT_SEED");
  return s;
}

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};
using OptionsPtr = std::unique_ptr<natsOptions, OptionsDeleter>;

}  // namespace

Expected<std::shared_ptr<Link>> Link::open(std::string actor, NatsConfig config, provider::Dispatcher dispatcher) {
  std::shared_ptr<Link> link(new Link(std::move(actor), std::move(config)));
  const NatsConfig& cfg = link->config_;
  const std::string where = prefix(link->actor_);
  auto failed = [&](ErrorCode code, const std::string& what, natsStatus s) {
    std::string text = where;
    text += what;
    text += ": ";
    text += describe(s);
    return fail(code, std::move(text));
  };

  link->log_ = std::make_shared<LogSink>(dispatcher);
  link->delivery_ =
      std::make_shared<Delivery>(link->actor_, dispatcher, link->log_, cfg.max_pending, cfg.delivery_threads);
  STRATUS_TRY(link->delivery_->start());
  auto ctx = std::make_shared<ConnContext>();
  ctx->actor = link->actor_;
  ctx->servers = cfg.serverList();
  ctx->log = link->log_;
  ctx->delivery = link->delivery_;
  ctx->jwt = cfg.client_jwt;
  ctx->seed = cfg.client_seed;
  ctx->wait_ms = cfg.reconnect_wait_ms;
  ctx->max_wait_ms = cfg.reconnect_max_wait_ms;
  link->context_ = ctx;

  natsOptions* raw = nullptr;
  if (natsStatus s = natsOptions_Create(&raw); s != NATS_OK) return failed(ErrorCode::kInternal, "natsOptions", s);
  OptionsPtr opts(raw);
  std::vector<const char*> servers;
  for (const auto& s : cfg.servers) servers.push_back(s.c_str());
  // The closure of every connection-level callback; libnats' closed callback frees it.
  auto* handle = new Handle(ctx);
  std::string name = "stratus NATS provider for actor ";
  name += link->actor_;
  natsStatus s = natsOptions_SetServers(opts.get(), servers.data(), static_cast<int>(servers.size()));
  if (s != NATS_OK) {
    delete handle;
    std::string what = "URL '";
    what += ctx->servers;
    what += "' is not usable";
    return failed(ErrorCode::kInvalidArgument, what, s);
  }
  if (s == NATS_OK) s = natsOptions_SetName(opts.get(), name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts.get(), cfg.connect_timeout_ms);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts.get(), -1);
  if (s == NATS_OK) s = natsOptions_SetCustomReconnectDelay(opts.get(), reconnectDelay, handle);
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(opts.get(), true);
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts.get(), cfg.send_asap);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts.get(), onDisconnected, handle);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts.get(), onReconnected, handle);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts.get(), onClosed, handle);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts.get(), onAsyncError, handle);
  if (s == NATS_OK && !cfg.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts.get(), cfg.creds_file.c_str(), nullptr);
  } else if (s == NATS_OK && !cfg.client_jwt.empty()) {
    s = natsOptions_SetUserCredentialsCallbacks(opts.get(), userJwt, handle, signNonce, handle);
  }
  if (s != NATS_OK) {
    delete handle;
    return failed(ErrorCode::kInvalidArgument, "cannot set the connection options", s);
  }

  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts.get());
  if (s == NATS_NO_SERVER) {
    // No server answers yet (NATS starting after the host, or restarting): come up anyway and keep trying, so the
    // actor is served as soon as the server is. Other failures (credentials, URL) are the link's fault: refuse.
    std::string text = where;
    text += "no NATS server answers at ";
    text += ctx->servers;
    text += " yet; connecting in the background (Publish and Request fail until then)";
    link->log_->log(STRATUS_LOG_WARN, text);
    s = natsOptions_SetRetryOnFailedConnect(opts.get(), true, onConnected, handle);
    if (s == NATS_OK) s = natsConnection_Connect(&nc, opts.get());
    if (s == NATS_NOT_YET_CONNECTED && nc) s = NATS_OK;
  } else if (s == NATS_OK) {
    ctx->connected_once = true;
  }
  if (s != NATS_OK) {
    if (nc) {
      natsConnection_Destroy(nc);  // its closed callback owns `handle` now
    } else {
      delete handle;  // no connection was made, so no callback will run
    }
    link->delivery_->close();
    std::string what = "cannot connect to ";
    what += ctx->servers;
    return failed(ErrorCode::kUnavailable, what, s);
  }
  link->nc_ = nc;

  if (auto subscribed = link->subscribeAll(); !subscribed) {
    link->close();
    return fail(subscribed.takeError());
  }
  if (link->connected()) {
    // The SUBs have reached the server when BindActor returns, so a message published right after is delivered.
    (void)natsConnection_FlushTimeout(nc, cfg.connect_timeout_ms);
  }
  std::string text = where;
  text += link->state();
  if (!cfg.subscriptions.empty()) {
    text += "; subscribed to ";
    for (size_t i = 0; i < cfg.subscriptions.size(); ++i) {
      if (i) text += ", ";
      text += cfg.subscriptions[i];
    }
    if (!cfg.queue_group.empty()) {
      text += " in queue group ";
      text += cfg.queue_group;
    }
  }
  link->log_->log(STRATUS_LOG_INFO, text);
  return link;
}

Expected<void> Link::subscribeAll() {
  MutexLock lock(state_mu_);
  for (const auto& subject : config_.subscriptions) {
    if (!validSubject(subject) || (!config_.queue_group.empty() && !validSubject(config_.queue_group))) {
      std::string text = prefix(actor_);
      text += "cannot subscribe to '";
      text += subject;
      text += "'";
      if (!config_.queue_group.empty()) {
        text += " in queue group '";
        text += config_.queue_group;
        text += "'";
      }
      text += ": subjects and queue group names cannot contain whitespace";
      return fail(ErrorCode::kInvalidArgument, std::move(text));
    }
    auto* handle = new Handle(context_);
    natsSubscription* sub = nullptr;
    const natsStatus s =
        config_.queue_group.empty()
            ? natsConnection_Subscribe(&sub, nc_, subject.c_str(), onMessage, handle)
            : natsConnection_QueueSubscribe(&sub, nc_, subject.c_str(), config_.queue_group.c_str(), onMessage, handle);
    if (s != NATS_OK) {
      delete handle;
      std::string text = prefix(actor_);
      text += "cannot subscribe to '";
      text += subject;
      text += "'";
      if (!config_.queue_group.empty()) {
        text += " in queue group '";
        text += config_.queue_group;
        text += "'";
      }
      text += ": ";
      text += describe(s);
      return fail(ErrorCode::kInvalidArgument, std::move(text));
    }
    subscriptions_.push_back(sub);
    if (natsSubscription_SetOnCompleteCB(sub, onSubscriptionComplete, handle) != NATS_OK) {
      // Cannot happen on a live subscription; if it did, leaking the small handle beats freeing it under libnats.
    }
  }
  return ok();
}

Link::~Link() {
  close();
  if (nc_) natsConnection_Destroy(nc_);
}

void Link::stopDelivery() {
  MutexLock lock(state_mu_);
  if (delivery_stopped_) return;
  delivery_stopped_ = true;
  for (natsSubscription* sub : subscriptions_) {
    (void)natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
  subscriptions_.clear();
  if (!delivery_) return;
  const size_t discarded = delivery_->close();
  if (discarded > 0) {
    log_->log(STRATUS_LOG_INFO, prefix(actor_) + "discarded " + std::to_string(discarded) +
                                    " received message(s) not yet delivered to the actor");
  }
}

void Link::close() {
  stopDelivery();
  MutexLock lock(state_mu_);
  if (closed_) return;
  closed_ = true;
  if (log_) {
    if (nc_) log_->log(STRATUS_LOG_INFO, prefix(actor_) + "closing the NATS connection");
    log_->deactivate();
  }
  if (nc_) natsConnection_Close(nc_);  // flushes what is still buffered (up to 500 ms)
}

bool Link::connected() const { return nc_ && natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED; }

std::string Link::state() const {
  if (!nc_) return "not connected";
  switch (natsConnection_Status(nc_)) {
    case NATS_CONN_STATUS_CONNECTED: {
      std::string text = "connected to ";
      text += connectedUrl(nc_);
      return text;
    }
    case NATS_CONN_STATUS_CLOSED:
      return "connection closed";
    case NATS_CONN_STATUS_DRAINING_SUBS:
    case NATS_CONN_STATUS_DRAINING_PUBS:
      return "draining";
    default: {
      std::string text = context_->connected_once ? "reconnecting to " : "connecting to ";
      text += context_->servers;
      return text;
    }
  }
}

Expected<void> Link::requireConnected(const std::string& what) const {
  const natsConnStatus status = nc_ ? natsConnection_Status(nc_) : NATS_CONN_STATUS_CLOSED;
  if (status == NATS_CONN_STATUS_CONNECTED) return ok();
  std::string text = "nats: ";
  text += what;
  text += " failed: ";
  if (status == NATS_CONN_STATUS_CLOSED) {
    text += "the connection to NATS is closed";
  } else {
    text += "not connected to NATS (";
    text += state();
    text += ")";
  }
  return fail(ErrorCode::kUnavailable, std::move(text));
}

Expected<void> Link::publish(const codec::PublishArgs& args) {
  std::string what = "Publish to '";
  what += args.subject;
  what += "'";
  if (args.body.size() > static_cast<size_t>(INT_MAX)) {
    return fail(ErrorCode::kInvalidArgument, tooLarge(what));
  }
  STRATUS_TRY(checkSubjects(what, args.subject, args.reply_to));
  STRATUS_TRY(requireConnected(what));
  const int len = static_cast<int>(args.body.size());
  const natsStatus s =
      args.reply_to.empty()
          ? natsConnection_Publish(nc_, args.subject.c_str(), args.body.data(), len)
          : natsConnection_PublishRequest(nc_, args.subject.c_str(), args.reply_to.c_str(), args.body.data(), len);
  if (s == NATS_OK) return ok();
  std::string text = "nats: ";
  text += what;
  text += " failed: ";
  text += describe(s);
  const bool caller_fault = s == NATS_INVALID_SUBJECT || s == NATS_INVALID_ARG || s == NATS_MAX_PAYLOAD;
  return fail(caller_fault ? ErrorCode::kInvalidArgument : ErrorCode::kUnavailable, std::move(text));
}

Expected<codec::BrokerMessage> Link::request(const codec::RequestArgs& args) {
  std::string what = "Request to '";
  what += args.subject;
  what += "'";
  if (args.body.size() > static_cast<size_t>(INT_MAX)) {
    return fail(ErrorCode::kInvalidArgument, tooLarge(what));
  }
  const int64_t timeout = args.timeout_ms > 0 ? args.timeout_ms : config_.request_timeout_ms;
  STRATUS_TRY(checkSubjects(what, args.subject, ""));
  STRATUS_TRY(requireConnected(what));
  natsMsg* reply = nullptr;
  const natsStatus s = natsConnection_Request(&reply, nc_, args.subject.c_str(), args.body.data(),
                                              static_cast<int>(args.body.size()), timeout);
  if (s == NATS_OK) {
    codec::BrokerMessage out;
    out.subject = natsMsg_GetSubject(reply);
    if (const char* r = natsMsg_GetReply(reply)) out.reply_to = r;
    const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(reply));
    const int len = natsMsg_GetDataLength(reply);
    if (data && len > 0) out.body.assign(data, data + len);
    natsMsg_Destroy(reply);
    return out;
  }
  std::string text = "nats: ";
  text += what;
  text += " failed: ";
  ErrorCode code = ErrorCode::kUnavailable;
  switch (s) {
    case NATS_TIMEOUT:
      code = ErrorCode::kDeadlineExceeded;
      text += "no reply within ";
      text += std::to_string(timeout);
      text += " ms (timeout)";
      break;
    case NATS_NO_RESPONDERS:
      text += "no responders (nothing subscribes to the subject)";
      break;
    case NATS_CONNECTION_DISCONNECTED:
      text += "the connection to NATS was lost while waiting for the reply";
      break;
    case NATS_CONNECTION_CLOSED:
      text += "the connection to NATS closed while waiting for the reply";
      break;
    case NATS_INVALID_SUBJECT:
    case NATS_INVALID_ARG:
    case NATS_MAX_PAYLOAD:
      code = ErrorCode::kInvalidArgument;
      text += describe(s);
      break;
    default:
      text += describe(s);
      break;
  }
  return fail(code, std::move(text));
}

}  // namespace stratus::providers::nats
