#!/usr/bin/env python3
"""Prints the summary of one stratus_bench run: each headline figure and the ratios, all from the same run.

usage: summarize.py <stratus_bench JSON> [--node-echo-ns NS] [--http HTTP_JSON] [--engine NAME ...]

--node-echo-ns is the mean ns per call of the same Echo 64-byte round trip on @wapc/host (Node/V8), measured by
run.sh right after stratus_bench. --http is the http.json http_bench.sh writes (the hello actor through the
httpserver provider beside a bare Boost.Beast server, under wrk). Without --engine every engine found in the JSON
context is summarised. Exits 1 when a benchmark failed or the HTTP result is invalid.
"""
import argparse
import json
import sys

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load_runs(path):
    """Maps run name (without the /real_time, /manual_time, /iterations:N suffixes) -> the run's JSON entry.

    With --benchmark_repetitions the median aggregate is used; otherwise the single iteration run."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    runs = {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            runs[base_name(b["run_name"])] = {"error": b.get("error_message", "error")}
            continue
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = base_name(b["run_name"])
        if b.get("run_type") == "aggregate" or name not in runs:
            runs[name] = b
    return data.get("context", {}), runs


def base_name(run_name):
    parts = [p for p in run_name.split("/")
             if p not in ("real_time", "manual_time") and not p.startswith("iterations:")]
    return "/".join(parts)


def ns(run):
    return run["real_time"] * TO_NS[run.get("time_unit", "ns")]


def fmt_ns(value):
    if value is None:
        return "n/a"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.2f} ms"
    if abs(value) >= 1e3:
        return f"{value / 1e3:.2f} us"
    return f"{value:.0f} ns"


def fmt_bytes(value):
    if value is None:
        return "n/a"
    if abs(value) >= 1 << 20:
        return f"{value / (1 << 20):.2f} MiB"
    return f"{value / 1024:.1f} KiB"


def fmt_ratio(value):
    return "n/a" if value is None else f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def fmt_in_ns(value):
    """Always in ns (the per-call figures are compared in ns)."""
    return "n/a" if value is None else f"{value:,.0f} ns"


def fmt_ms(value):
    return "n/a" if value is None else f"{value:.3f} ms"


def print_http(path, row):
    """The HTTP figures of http_bench.sh; returns the reasons the result is invalid (empty when valid)."""
    with open(path, encoding="utf-8") as f:
        http = json.load(f)
    config = http.get("config", {})
    print(f"HTTP hello (wrk {config.get('wrk', '?')}; load before: {config.get('load_before', '?')})")
    for key, label in (("stratus", "stratus: hello actor via httpserver"),
                       ("bare_beast", "bare Boost.Beast, same response bytes")):
        server = http.get(key) or {}
        rps = server.get("rps")
        row(label, "n/a" if rps is None else f"{rps:,.0f} req/s",
            f"p50 {fmt_ms(server.get('p50_ms'))}, p99 {fmt_ms(server.get('p99_ms'))}"
            + ("" if server.get("valid") else "  INVALID"))
    row("  ratio stratus / bare Beast, requests/s", fmt_ratio(http.get("ratio_rps")),
        "(1 = the ceiling of the HTTP stack)")
    row("  ratio stratus / bare Beast, p50 / p99",
        f"{fmt_ratio(http.get('ratio_p50'))} / {fmt_ratio(http.get('ratio_p99'))}")
    problems = list(http.get("problems", []))
    if not http.get("valid") and not problems:
        problems.append("marked invalid")
    for p in problems:
        print(f"  INVALID HTTP result: {p}")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("json")
    parser.add_argument("--node-echo-ns", type=float)
    parser.add_argument("--http")
    parser.add_argument("--engine", action="append")
    args = parser.parse_args()

    context, runs = load_runs(args.json)
    engines = args.engine or [e for e in context.get("stratus_engines", "").split(",") if e]
    if not engines:
        sys.exit("summarize.py: no engine in the JSON context (stratus_engines)")

    def get(name):
        run = runs.get(name)
        return None if run is None or "error" in run else run

    def time_of(name):
        run = get(name)
        return ns(run) if run else None

    def counter(name, key):
        run = get(name)
        return run.get(key) if run else None

    def row(label, value, note=""):
        print(f"  {label:<50} {value:>21}  {note}".rstrip())

    failed = [name for name, run in runs.items() if "error" in run]
    for name in failed:
        print(f"  FAILED {name}: {runs[name]['error']}")

    for e in engines:
        print(f"engine {e}")
        row("compile test_actor", fmt_ns(time_of(f"compile/test_actor/{e}")))
        row("instantiate test_actor (create + destroy)", fmt_ns(time_of(f"instantiate/test_actor/{e}")))
        mem = f"memory/test_actor_x50/{e}"
        row("memory per instance (RSS growth)", fmt_bytes(counter(mem, "bytes_per_instance")),
            f"malloc heap: {fmt_bytes(counter(mem, 'heap_bytes_per_instance'))}")

        wapc = time_of(f"roundtrip_echo64/wapc/{e}")
        host = time_of(f"roundtrip_echo64/host/{e}")
        limits = time_of(f"roundtrip_echo64/wapc_host_limits/{e}")
        row("round trip Echo 64 B, WapcInstance", fmt_ns(wapc))
        row("round trip Echo 64 B, WapcInstance + host limits", fmt_ns(limits),
            f"deadline/memory cap cost: {fmt_ns(limits - wapc) if limits and wapc else 'n/a'}")
        row("round trip Echo 64 B, Host::callActor", fmt_ns(host),
            f"host overhead: {fmt_ns(host - wapc) if host and wapc else 'n/a'}")
        row("round trip Noop 0 B (compute_actor)", fmt_ns(time_of(f"roundtrip_noop0/wapc/{e}")))
        if args.node_echo_ns:
            row("round trip Echo 64 B, @wapc/host on Node (V8)", fmt_ns(args.node_echo_ns))
            row("  ratio WapcInstance / @wapc/host", fmt_ratio(wapc / args.node_echo_ns if wapc else None),
                "(> 1: stratus slower)")
            row("  ratio Host::callActor / @wapc/host", fmt_ratio(host / args.node_echo_ns if host else None))
        else:
            row("round trip Echo 64 B, @wapc/host on Node (V8)", "n/a", "(node peer not run)")

        loop = f"host_call/loop_x100/{e}"
        op = f"host_call/test_actor_op/{e}"
        row("actor->host call, per call (loop of 100)", fmt_ns(counter(loop, "ns_per_host_call")))
        row("HostCall op round trip (test_actor)", fmt_ns(time_of(op)),
            f"minus Echo of the same bytes: {fmt_ns(counter(op, 'op_minus_echo_ns'))}")

        a2p = f"BM_ActorToProvider/{e}"
        a2p_ns = counter(a2p, "ns_per_host_call")
        h2p_ns = time_of("BM_HostToProvider")
        row("actor->provider call, per call (Ping 64 B, full host)", fmt_in_ns(a2p_ns),
            f"over a plain waPC host-call handler: {fmt_in_ns(counter(a2p, 'over_wapc_handler_ns'))}")
        row("host->provider call (NativeProvider::call, C ABI)", fmt_in_ns(h2p_ns),
            f"actor->provider / host->provider: {fmt_ratio(a2p_ns / h2p_ns if a2p_ns and h2p_ns else None)}")

        fib_native = time_of("compute_fib25/native")
        fib = f"compute_fib25/actor/{e}"
        row("fib(25) native / actor", f"{fmt_ns(fib_native)} / {fmt_ns(time_of(fib))}",
            f"ratio to native: {fmt_ratio(counter(fib, 'ratio_to_native'))}")
        sha_native = time_of("compute_sha256_1MiB/native")
        sha = f"compute_sha256_1MiB/actor/{e}"
        row("sha256(1 MiB) native / actor", f"{fmt_ns(sha_native)} / {fmt_ns(time_of(sha))}",
            f"ratio to native: {fmt_ratio(counter(sha, 'ratio_to_native'))}")

    http_problems = print_http(args.http, row) if args.http else []
    return 1 if failed or http_problems else 0


if __name__ == "__main__":
    sys.exit(main())
