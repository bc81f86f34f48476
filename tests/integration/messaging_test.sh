#!/usr/bin/env bash
# Echo over NATS end to end: a nats-server on a free port, `stratus up -m <build>/examples/messaging/manifest.yaml`
# with NATS_URL pointing at it (the NATS provider archive + the messaging_echo actor), and a NATS client speaking the
# text protocol over a raw socket (CONNECT/SUB/PUB/MSG): requests on stratus.echo come back with the same body.
# Usage: messaging_test.sh <stratus binary> <source dir>. Fails when nats-server is not installed.
set -uo pipefail
stratus=$1 src=$2
examples=$(dirname "$stratus")/../../examples
manifest=$examples/messaging/manifest.yaml
source "$(dirname "$0")/lib.sh"

nats_server=$(command -v nats-server || ls /usr/sbin/nats-server 2>/dev/null || true)
if [ -z "$nats_server" ]; then
  echo "FAIL: nats-server is not installed (scripts/install-deps.sh --test installs it)"
  exit 1
fi
if [ ! -f "$manifest" ]; then
  echo "FAIL: $manifest is missing (build the example_messaging and provider_par_nats targets)"
  exit 1
fi

port=$(free_port)
"$nats_server" -a 127.0.0.1 -p "$port" >"$work/nats.log" 2>&1 &
server_pid=$!
wait_port "$port"

# The client: requests <count> times on <subject> with <body> (hex, or random:<bytes>) and checks every reply
# carries the same bytes; retries the first request until the actor is subscribed (10 s). Prints "ok <n>" or the
# problem.
cat >"$work/nats_echo.py" <<'PY'
import socket, sys, time

import os

port, subject, spec, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
body = os.urandom(int(spec[7:])) if spec.startswith("random:") else bytes.fromhex(spec)
s = socket.create_connection(("127.0.0.1", port), 5)
buf = b""

def read_line():
    global buf
    while b"\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        buf += chunk
    line, buf = buf.split(b"\r\n", 1)
    return line

def read_exact(n):
    global buf
    while len(buf) < n + 2:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        buf += chunk
    data, buf = buf[:n], buf[n + 2:]
    return data

def next_msg(deadline):
    """The next MSG's payload, answering PINGs; None at the deadline."""
    while True:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            line = read_line()
        except socket.timeout:
            return None
        if line.startswith(b"MSG "):
            return read_exact(int(line.split()[-1]))
        if line == b"PING":
            s.sendall(b"PONG\r\n")
        elif line.startswith(b"-ERR"):
            raise RuntimeError(line.decode())

info = read_line()
assert info.startswith(b"INFO "), info
s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"name":"messaging_test"}\r\nSUB _INBOX.echo_test 1\r\n')

def request(i, wait):
    s.sendall(b"PUB %s _INBOX.echo_test %d\r\n%s\r\n" % (subject.encode(), len(body), body))
    return next_msg(time.time() + wait)

reply, deadline = None, time.time() + 10
while reply is None and time.time() < deadline:
    reply = request(0, 0.3)
if reply is None:
    sys.exit("no reply within 10 s")
if reply != body:
    sys.exit(f"reply {reply!r} != request {body!r}")
for i in range(1, count):
    reply = request(i, 5)
    if reply != body:
        sys.exit(f"request {i}: reply {reply!r} != request {body!r}")
print(f"ok {count}")
PY
hex() { python3 -c 'import sys; print(sys.argv[1].encode().hex())' "$1"; }
echo_ok() {  # echo_ok <body hex | random:N> <count>
  local out
  out=$(python3 "$work/nats_echo.py" "$port" stratus.echo "$1" "$2" 2>&1)
  [ "$out" = "ok $2" ] || { echo "$out"; return 1; }
}

NATS_URL="nats://127.0.0.1:$port" XDG_CACHE_HOME="$work/cache" "$stratus" up -m "$manifest" >"$work/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1 200); do grep -qs "manifest applied" "$work/up.log" && break; sleep 0.05; done
check "up applies the messaging manifest" grep -q "manifest applied: 1 actor(s), 2 provider(s), 1 link(s)" "$work/up.log"
check "the actor is bound to the NATS provider" grep -q "subscribed to stratus.echo" "$work/up.log"
check "a request on stratus.echo is echoed" echo_ok "$(hex hi)" 1
check "binary bodies (CR LF, NUL, 0xff) come back byte for byte" echo_ok "0d0a00ff0d0a4d534720" 1
check "50 requests in a row are all echoed" echo_ok "$(hex again)" 50
check "a 256 KiB random body is echoed" echo_ok random:262144 1

kill -INT "$up_pid"
wait "$up_pid"; rc=$?; up_pid=""
check "SIGINT stops the host with exit 0" test $rc -eq 0
check "shutdown stops the NATS provider" grep -q "provider stopped: stratus NATS messaging (libnats)" "$work/up.log"
check "no errors logged" bash -c "! grep -E '\[(error|critical)\]' '$work/up.log'"

# The manifest uses the keys of the committed development seeds.
for seed in examples/keys/messaging_echo.nk providers/keys/nats.nk; do
  key=$("$stratus" keys get "$(cat "$src/$seed")")
  check "$seed's key appears in the messaging manifest" grep -q "$key" "$manifest"
done

if [ "$failed" -ne 0 ]; then
  echo "--- stratus up log"; cat "$work/up.log"
fi
echo "messaging_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
