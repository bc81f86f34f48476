#!/usr/bin/env python3
"""Prints the summary of one benchmark run: each headline figure and the ratios, all from the same run.

usage: summarize.py <stratus_bench JSON> [--node NODE_JSON] [--node-echo-ns NS] [--node-http-echo-ns NS]
                    [--http HTTP_JSON] [--engine NAME ...]

--node is the node.json run.sh writes: the mean ns per call of the same calls on @wapc/host (Node/V8), measured right
after stratus_bench: test_actor's Echo 64 B and the HandleRequest of bench_http_echo and bench_rust_echo. --node-echo-ns and
--node-http-echo-ns give those figures by hand instead (they win over --node). --http is the http.json
http_bench.sh writes (the hello actor through the httpserver provider per engine beside a bare Boost.Beast server,
under wrk). Without --engine every engine found in the JSON context is summarised; the first is the base the others
are compared with. Exits 1 when a benchmark failed or the HTTP result is invalid.
"""
import argparse
import json
import sys

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# The project's target for the aot engine against @wapc/host on wasmCloud's (Rust) echo actor.
AOT_TARGET_OVER_NODE = 5.0


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
    if value is None:
        return "n/a"
    if 0 < abs(value) < 0.1:
        return f"{value:.2g}x"
    return f"{value:.0f}x" if value >= 100 else f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def fmt_ms(value):
    return "n/a" if value is None else f"{value:.3f} ms"


def div(a, b):
    return a / b if a is not None and b else None


def row(label, value, note=""):
    print(f"  {label:<56} {value:>21}  {note}".rstrip())


def native_build(compiler, role):
    """(short name, row label) of a native build, e.g. ("gcc", "native (gcc -O3, the host's cc)") from the context's
    'GNU 12.2.0 -O3 -DNDEBUG -fPIC'; ("cc", "native (the host's cc)") when the results file does not say."""
    if not compiler:
        return "cc", f"native ({role})"
    words = compiler.split()
    name = {"GNU": "gcc", "Clang": "clang"}.get(words[0], words[0])
    level = next((w for w in words if w.startswith("-O")), "")
    return name, f"native ({name}{' ' + level if level else ''}, {role})"


def load_node(args):
    """The @wapc/host figures: {"echo64": ns, "http_echo": ns, "rust_echo": ns} (None when not measured)."""
    node = {"echo64": None, "http_echo": None, "rust_echo": None}
    if args.node:
        with open(args.node, encoding="utf-8") as f:
            data = json.load(f)
        for key in node:
            node[key] = (data.get(key) or {}).get("ns")
    if args.node_echo_ns:
        node["echo64"] = args.node_echo_ns
    if args.node_http_echo_ns:
        node["http_echo"] = args.node_http_echo_ns
    return node


def print_http(path, engines):
    """The HTTP figures of http_bench.sh; returns the reasons the result is invalid (empty when valid)."""
    with open(path, encoding="utf-8") as f:
        http = json.load(f)
    config = http.get("config", {})
    print(f"HTTP hello actor through the httpserver provider, per engine, beside a bare Boost.Beast server "
          f"(wrk {config.get('wrk', '?')}; load before: {config.get('load_before', '?')})")
    if "engines" in http:
        servers = http.get("stratus") or {}
        ratios = http.get("ratios_to_bare") or {}
        names = http["engines"]
    else:  # a run from before the per-engine HTTP benchmark: one stratus server, the default engine
        servers = {"default engine": http.get("stratus") or {}}
        ratios = {"default engine": {"rps": http.get("ratio_rps"), "p50": http.get("ratio_p50"),
                                     "p99": http.get("ratio_p99")}}
        names = ["default engine"]

    def server_row(label, server, note=""):
        rps = server.get("rps")
        row(label, "n/a" if rps is None else f"{rps:,.0f} req/s",
            f"p50 {fmt_ms(server.get('p50_ms'))}, p99 {fmt_ms(server.get('p99_ms'))}{note}"
            + ("" if server.get("valid") else "  INVALID"))

    for e in names:
        server = servers.get(e) or {}
        start = server.get("startup_s")
        server_row(f"stratus ({e}): hello actor via httpserver", server,
                   "" if start is None else f", start-up {start:.1f} s")
    server_row("bare Boost.Beast, same response bytes", http.get("bare_beast") or {})
    for e in names:
        r = ratios.get(e) or {}
        row(f"  ratio stratus ({e}) / bare, requests/s", fmt_ratio(r.get("rps")),
            f"p50 {fmt_ratio(r.get('p50'))}, p99 {fmt_ratio(r.get('p99'))}  (requests/s: 1 = the HTTP stack's ceiling)")
    base = http.get("base_engine")
    for e, r in (http.get("ratios_to_base_engine") or {}).items():
        row(f"  ratio {e} / {base}, requests/s", fmt_ratio(r.get("rps")),
            f"p50 {fmt_ratio(r.get('p50'))}, p99 {fmt_ratio(r.get('p99'))}")
    problems = list(http.get("problems", []))
    if not http.get("valid") and not problems:
        problems.append("marked invalid")
    for p in problems:
        print(f"  INVALID HTTP result: {p}")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("json")
    parser.add_argument("--node")
    parser.add_argument("--node-echo-ns", type=float)
    parser.add_argument("--node-http-echo-ns", type=float)
    parser.add_argument("--http")
    parser.add_argument("--engine", action="append")
    args = parser.parse_args()

    context, runs = load_runs(args.json)
    engines = args.engine or [e for e in context.get("stratus_engines", "").split(",") if e]
    if not engines:
        sys.exit("summarize.py: no engine in the JSON context (stratus_engines)")
    node = load_node(args)

    def get(name):
        run = runs.get(name)
        return None if run is None or "error" in run else run

    def time_of(name):
        run = get(name)
        return ns(run) if run else None

    def counter(name, key):
        run = get(name)
        return run.get(key) if run else None

    failed = [name for name, run in runs.items() if "error" in run]
    for name in failed:
        print(f"  FAILED {name}: {runs[name]['error']}")

    # --- the engines side by side -------------------------------------------------------------------------------
    base, others = engines[0], engines[1:]
    width = 12
    label_width = 56
    lines = [
        # (label, figure of engine e, formatter)
        ("compile test_actor (engine cache hit for aot)", lambda e: time_of(f"compile/test_actor/{e}"), fmt_ns),
        ("  first compile in the process (aot: wasm2c + cc)",
         lambda e: counter(f"compile/test_actor/{e}", "first_compile_ns"), fmt_ns),
        ("new instance test_actor (create + destroy)", lambda e: time_of(f"instantiate/test_actor/{e}"), fmt_ns),
        ("memory per instance (RSS growth)", lambda e: counter(f"memory/test_actor_x50/{e}", "bytes_per_instance"),
         fmt_bytes),
        ("memory per instance (malloc heap growth)",
         lambda e: counter(f"memory/test_actor_x50/{e}", "heap_bytes_per_instance"), fmt_bytes),
        ("host->actor Echo 64 B, WapcInstance", lambda e: time_of(f"roundtrip_echo64/wapc/{e}"), fmt_ns),
        ("host->actor Echo 64 B, WapcInstance + host limits",
         lambda e: time_of(f"roundtrip_echo64/wapc_host_limits/{e}"), fmt_ns),
        ("host->actor Echo 64 B, Host::callActor", lambda e: time_of(f"roundtrip_echo64/host/{e}"), fmt_ns),
        ("host->actor Noop 0 B (compute_actor)", lambda e: time_of(f"roundtrip_noop0/wapc/{e}"), fmt_ns),
        ("actor->host call, per call (loop of 100)",
         lambda e: counter(f"host_call/loop_x100/{e}", "ns_per_host_call"), fmt_ns),
        ("HostCall op round trip (msgpack + 1 host call)", lambda e: time_of(f"host_call/test_actor_op/{e}"), fmt_ns),
        ("actor->provider call, per call (full host)",
         lambda e: counter(f"BM_ActorToProvider/{e}", "ns_per_host_call"), fmt_ns),
        ("HTTP echo actor (Rust) HandleRequest, WapcInstance", lambda e: time_of(f"http_echo_rust/wapc/{e}"),
         fmt_ns),
        ("HTTP echo actor (C) HandleRequest, WapcInstance", lambda e: time_of(f"http_echo/wapc/{e}"), fmt_ns),
        ("fib(25)", lambda e: time_of(f"compute_fib25/actor/{e}"), fmt_ns),
        ("sha256(1 MiB)", lambda e: time_of(f"compute_sha256_1MiB/actor/{e}"), fmt_ns),
        ("msgpack encode+decode x200 (~1 KB document)", lambda e: time_of(f"compute_msgpack_x200/actor/{e}"),
         fmt_ns),
    ]
    print(f"Engines side by side ({base} ÷ <engine>: how many times faster or smaller <engine> is than {base})")
    header = f"  {'':<{label_width}}" + "".join(f"{e:>{width}}" for e in engines)
    header += "".join(f"{base + ' ÷ ' + e:>{width + 2}}" for e in others)
    print(header)
    for label, figure, fmt in lines:
        values = {e: figure(e) for e in engines}
        line = f"  {label:<{label_width}}" + "".join(f"{fmt(values[e]):>{width}}" for e in engines)
        line += "".join(f"{fmt_ratio(div(values[base], values[e])):>{width + 2}}" for e in others)
        print(line)
    print("  (differences below ~50 ns between small figures are noise; 'n/a': not run or failed)")

    # --- the same C code natively ---------------------------------------------------------------------------------
    # Two native builds of the same C: the host's C compiler with the build type's flags (gcc), and clang -O2, the
    # compiler and level of the wasm actors. Results files from before the clang build lack its figures: n/a.
    cc, cc_label = native_build(context.get("stratus_native_cc"), "the host's cc")
    _, clang_label = native_build(context.get("stratus_native_clang") or "Clang -O2", "the actors' compiler")
    print("Compute: the same C code in each engine against two native builds (ratio engine / native; 1 = native "
          "speed)")
    if "stratus_native_cc" in context:
        print(f"  host's cc: {context['stratus_native_cc']}; actors' compiler: {context.get('stratus_native_clang')}"
              " (wasm32: clang --target=wasm32 -O2)")
    kernels = (("fib(25)", "compute_fib25"), ("sha256(1 MiB)", "compute_sha256_1MiB"),
               ("msgpack encode+decode x200 (~1 KB document)", "compute_msgpack_x200"))
    for label, key in kernels:
        print(f"  {label}")
        native_cc = time_of(f"{key}/native")
        native_clang = time_of(f"{key}/native_clang")
        row(f"  {cc_label}", fmt_ns(native_cc))
        row(f"  {clang_label}", fmt_ns(native_clang), f"clang / {cc}: {fmt_ratio(div(native_clang, native_cc))}")
        for e in engines:
            run = f"{key}/actor/{e}"
            row(f"    {e}", fmt_ns(time_of(run)),
                f"ratio to native {cc}: {fmt_ratio(counter(run, 'ratio_to_native'))}, "
                f"to native clang: {fmt_ratio(counter(run, 'ratio_to_native_clang'))}")
    print("  (to native clang: against the compiler that made the wasm: the cost of running it as wasm; aot compiles")
    print("  wasm2c's C with the host's cc, so below 1 is possible. To native "
          f"{cc}: that plus the difference between the")
    print("  two compilers, e.g. auto-vectorisation, which wasm without SIMD cannot have. See bench/README.md)")

    # --- against @wapc/host ---------------------------------------------------------------------------------------
    print("Against @wapc/host on Node (V8), same module and payload (ratio node / stratus; > 1: stratus faster)")
    row("Echo 64 B (test_actor), @wapc/host", fmt_ns(node["echo64"]),
        "" if node["echo64"] else "(node peer not run)")
    for e in engines:
        wapc = time_of(f"roundtrip_echo64/wapc/{e}")
        host = time_of(f"roundtrip_echo64/host/{e}")
        row(f"  {e}: WapcInstance / Host::callActor", f"{fmt_ns(wapc)} / {fmt_ns(host)}",
            f"node / stratus: {fmt_ratio(div(node['echo64'], wapc))} / {fmt_ratio(div(node['echo64'], host))}")
    def echo_block(label, bench, node_key, target, native_bench=None):
        first = next((get(f"{bench}/wapc/{e}") for e in engines if get(f"{bench}/wapc/{e}")), None)
        sizes = f"{first['request_bytes']:.0f} B request, {first['response_bytes']:.0f} B response" if first else ""
        row(f"{label}, @wapc/host", fmt_ns(node[node_key]), sizes if node[node_key] else "(node peer not run)")
        native = time_of(native_bench) if native_bench else None
        if native_bench:
            ceiling = div(node[node_key], native)
            note = f"node / native: {fmt_ratio(ceiling)}"
            if target and ceiling is not None:
                note += f"  (the most any engine reaches; the target needs {AOT_TARGET_OVER_NODE:.0f}x)"
            row("  native (the same crate built for x86-64, no sandbox)", fmt_ns(native), note)
        for e in engines:
            t = time_of(f"{bench}/wapc/{e}")
            speedup = div(node[node_key], t)
            note = f"node / {e}: {fmt_ratio(speedup)}"
            if native_bench:
                note += f", {e} / native: {fmt_ratio(div(t, native))}"
            if target and e == "aot" and speedup is not None:
                met = "met" if speedup >= AOT_TARGET_OVER_NODE else "NOT met"
                note += f"  (target >= {AOT_TARGET_OVER_NODE:.0f}x: {met})"
            row(f"  {e}: WapcInstance", fmt_ns(t), note)

    echo_block("HTTP echo actor (Rust) HandleRequest", "http_echo_rust", "rust_echo", True, "http_echo_rust/native")
    echo_block("HTTP echo actor (C) HandleRequest", "http_echo", "http_echo", False)
    print("  The Rust echo actor (bench/actors/rust_echo, 130 KB of code) is wasmCloud's `echo` example rebuilt from")
    print("  the same libraries (serde, rmp-serde, serde_json, std's allocator) and release profile with Debian's")
    print("  rustc; the waPC glue and the interface structs are written out, as the real actor's crates cannot be")
    print("  fetched here. Its native build is the same crate and profile compiled for x86-64 and called directly")
    print("  (bench/rust_echo_native.cc). bench/actors/http_echo.c does the same work in C with the actor SDK.")

    # --- what the host adds ---------------------------------------------------------------------------------------
    print("Host and provider overheads")
    h2p = time_of("BM_HostToProvider")
    row("host->provider call (NativeProvider::call, C ABI)", fmt_ns(h2p))
    for e in engines:
        wapc = time_of(f"roundtrip_echo64/wapc/{e}")
        host = time_of(f"roundtrip_echo64/host/{e}")
        limits = time_of(f"roundtrip_echo64/wapc_host_limits/{e}")
        a2p = counter(f"BM_ActorToProvider/{e}", "ns_per_host_call")
        row(f"  {e}: Host::callActor - WapcInstance (Echo 64 B)",
            fmt_ns(host - wapc) if host and wapc else "n/a",
            f"deadline/memory cap: {fmt_ns(limits - wapc) if limits and wapc else 'n/a'}")
        row(f"  {e}: actor->provider over a plain host-call handler",
            fmt_ns(counter(f"BM_ActorToProvider/{e}", "over_wapc_handler_ns")),
            f"actor->provider / host->provider: {fmt_ratio(div(a2p, h2p))}")
        row(f"  {e}: HostCall op minus Echo of the same bytes",
            fmt_ns(counter(f"host_call/test_actor_op/{e}", "op_minus_echo_ns")), "(guest msgpack + 1 host call)")

    http_problems = print_http(args.http, engines) if args.http else []
    return 1 if failed or http_problems else 0


if __name__ == "__main__":
    sys.exit(main())
