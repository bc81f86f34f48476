# Shared by the integration test scripts (sourced): a work folder, removed at exit together with the host the script
# started (`up_pid`: killed) and its server (`server_pid`: stopped and waited for); checks counted for the summary.
work=$(mktemp -d)
up_pid="" server_pid=""
cleanup() {
  [ -n "$up_pid" ] && kill -9 "$up_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0
check() {  # check <description> <command...>
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
quiet() { "$@" >/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json() {  # json <python expression over d> : reads JSON on stdin
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
wait_port() {  # wait_port <port>: until something accepts connections on 127.0.0.1:<port> (10 s at most)
  for _ in $(seq 1 100); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$1" 2>/dev/null &&
      return 0
    sleep 0.1
  done
  return 1
}
