// stratus_nats_bench: NATS request/reply round trips per second against whatever answers on a subject, measured
// with libnats the same way for both sides of bench/nats_bench.sh:
//   (a) --serve: this process also runs the responder (libnats alone: a callback that publishes the request's body
//       back to its reply subject) — the ceiling;
//   (b) without --serve: something else answers, e.g. `stratus up` with the messaging_echo example actor behind the
//       NATS provider (HandleMessage → Publish to replyTo).
// Each of --concurrency threads has its own connection and keeps one request in flight (a closed loop); every reply
// must carry the request's bytes. Prints one JSON object on stdout:
//   {"label", "rps", "requests", "errors", "seconds", "p50_us", "p99_us", "concurrency", "payload_bytes"}
//
//   stratus_nats_bench --url nats://127.0.0.1:4222 --subject bench.echo [--serve] [--seconds 5] [--warmup 1]
//                      [--concurrency 1] [--payload 64] [--timeout-ms 2000] [--label name]
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url = "nats://127.0.0.1:4222";
  std::string subject = "bench.echo";
  std::string label = "nats";
  bool serve = false;
  double seconds = 5;
  double warmup = 1;
  int concurrency = 1;
  int payload = 64;
  int64_t timeout_ms = 2000;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "stratus_nats_bench: %s\nusage: stratus_nats_bench --url URL --subject S [--serve] [--seconds N] "
               "[--warmup N] [--concurrency N] [--payload BYTES] [--timeout-ms MS] [--label NAME]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(std::string("missing value for ").append(a).c_str());
      return argv[++i];
    };
    if (a == "--url") {
      o.url = value();
    } else if (a == "--subject") {
      o.subject = value();
    } else if (a == "--label") {
      o.label = value();
    } else if (a == "--serve") {
      o.serve = true;
    } else if (a == "--seconds") {
      o.seconds = std::atof(value().c_str());
    } else if (a == "--warmup") {
      o.warmup = std::atof(value().c_str());
    } else if (a == "--concurrency") {
      o.concurrency = std::atoi(value().c_str());
    } else if (a == "--payload") {
      o.payload = std::atoi(value().c_str());
    } else if (a == "--timeout-ms") {
      o.timeout_ms = std::atoll(value().c_str());
    } else {
      usage(std::string("unknown argument ").append(a).c_str());
    }
  }
  if (o.seconds <= 0 || o.warmup < 0 || o.concurrency < 1 || o.payload < 0 || o.timeout_ms < 1) {
    usage("bad numbers");
  }
  return o;
}

natsConnection* connect(const std::string& url, const char* name) {
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  natsOptions_Create(&opts);
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetName(opts, name);
  natsOptions_SetSendAsap(opts, true);  // one round trip at a time: don't wait for libnats' ~1 ms flusher
  const natsStatus s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    std::fprintf(stderr, "stratus_nats_bench: cannot connect to %s: %s\n", url.c_str(), natsStatus_GetText(s));
    std::exit(1);
  }
  return nc;
}

// The libnats-alone responder: the same work as the example actor (echo the body to the reply subject).
void echo(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  if (const char* reply = natsMsg_GetReply(msg)) {
    natsConnection_Publish(nc, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  }
  natsMsg_Destroy(msg);
}

struct Worker {
  std::vector<uint32_t> latencies_us;  // measured phase only
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::string first_error;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);

  natsConnection* responder = nullptr;
  natsSubscription* sub = nullptr;
  if (o.serve) {
    responder = connect(o.url, "stratus_nats_bench responder");
    if (natsConnection_Subscribe(&sub, responder, o.subject.c_str(), echo, nullptr) != NATS_OK ||
        natsConnection_Flush(responder) != NATS_OK) {
      std::fprintf(stderr, "stratus_nats_bench: cannot subscribe the responder\n");
      return 1;
    }
  }

  std::string body(static_cast<size_t>(o.payload), '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);

  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 done
  std::vector<Worker> workers(static_cast<size_t>(o.concurrency));
  std::vector<std::thread> threads;
  for (int t = 0; t < o.concurrency; ++t) {
    threads.emplace_back([&, t] {
      Worker& w = workers[static_cast<size_t>(t)];
      natsConnection* nc = connect(o.url, "stratus_nats_bench requester");
      w.latencies_us.reserve(1 << 16);
      while (true) {
        const int p = phase.load(std::memory_order_relaxed);
        if (p == 2) break;
        const auto start = Clock::now();
        natsMsg* reply = nullptr;
        const natsStatus s = natsConnection_Request(&reply, nc, o.subject.c_str(), body.data(),
                                                    static_cast<int>(body.size()), o.timeout_ms);
        const auto took = Clock::now() - start;
        bool good = s == NATS_OK && natsMsg_GetDataLength(reply) == static_cast<int>(body.size()) &&
                    std::memcmp(natsMsg_GetData(reply), body.data(), body.size()) == 0;
        if (s == NATS_OK) natsMsg_Destroy(reply);
        if (p != 1) continue;
        if (!good) {
          if (w.errors++ == 0) w.first_error = s == NATS_OK ? "reply with other bytes" : natsStatus_GetText(s);
          continue;
        }
        ++w.requests;
        w.latencies_us.push_back(
            static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
      }
      natsConnection_Destroy(nc);
    });
  }

  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  const auto start = Clock::now();
  phase = 1;
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  phase = 2;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& t : threads) t.join();

  uint64_t requests = 0, errors = 0;
  std::string first_error;
  std::vector<uint32_t> all;
  for (auto& w : workers) {
    requests += w.requests;
    errors += w.errors;
    if (first_error.empty()) first_error = w.first_error;
    all.insert(all.end(), w.latencies_us.begin(), w.latencies_us.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double q) -> double {
    if (all.empty()) return 0;
    return all[std::min(all.size() - 1, static_cast<size_t>(q * static_cast<double>(all.size())))];
  };
  std::printf(
      "{\"label\": \"%s\", \"rps\": %.1f, \"requests\": %llu, \"errors\": %llu, \"first_error\": \"%s\", "
      "\"seconds\": %.3f, \"p50_us\": %.0f, \"p99_us\": %.0f, \"concurrency\": %d, \"payload_bytes\": %d}\n",
      o.label.c_str(), static_cast<double>(requests) / elapsed, static_cast<unsigned long long>(requests),
      static_cast<unsigned long long>(errors), first_error.c_str(), elapsed, pct(0.50), pct(0.99), o.concurrency,
      o.payload);

  if (sub) natsSubscription_Destroy(sub);
  if (responder) natsConnection_Destroy(responder);
  return errors == 0 && requests > 0 ? 0 : 3;
}
