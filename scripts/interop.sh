#!/usr/bin/env bash
# interop.sh BIN: drives a running zkafka keeper with Apache ZooKeeper's own
# zkCli.sh, and runs the same zkCli script against Apache ZooKeeper itself
# (when its reference script and Java are present); the two outputs, with
# times and session ids masked, must be identical.
set -euo pipefail
BIN=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ZKCLI=/usr/share/zookeeper/bin/zkCli.sh
APACHE=$ROOT/../shared/tools/apache-zookeeper.sh
work=$(mktemp -d)
fail=0
cleanup() {
  [ -f "$work/zkafka/zoo.cfg" ] && (cd "$work/zkafka" && "$BIN" zk stop zoo.cfg >/dev/null 2>&1 || true)
  [ -f "$work/apache/pid" ] && kill "$(cat "$work/apache/pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
check() { if ! grep -qF -- "$2" "$3"; then echo "FAIL: $1: expected '$2' in $3"; fail=$((fail+1)); else echo "ok: $1"; fi; }

# --- zkafka, started and stopped the way zkServer.sh users do it
port=$(free_port)
mkdir -p "$work/zkafka/data"
cat >"$work/zkafka/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$work/zkafka/data
clientPort=$port
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
extendedTypesEnabled=true
admin.enableServer=false
CFG
(cd "$work/zkafka" && "$BIN" zk start zoo.cfg)
(cd "$work/zkafka" && "$BIN" zk status zoo.cfg) | tee "$work/status.out"
check "zk status" "Mode: standalone" "$work/status.out"

script="$ROOT/scripts/interop.zkcli"
"$ZKCLI" -server "127.0.0.1:$port" <"$script" >"$work/zkafka.raw" 2>&1 || true
# zkCli.sh prints watch events from its event thread while its main thread
# goes on, so where an event lands among the other lines varies from run to
# run; only the order of the events is fixed. They are compared as a list of
# their own, without quit's Closed event, which races the JVM's exit.
normalize() {
  local lines
  lines=$(grep -v -E '^(20[0-9][0-9]-|SLF4J|Connecting to|\s*$)' "$1" |
    sed -E -e 's/^(ctime|mtime) = .*/\1 = <time>/' \
      -e 's/ephemeralOwner = 0x[0-9a-f]+/ephemeralOwner = <session>/' -e 's/(cZxid|mZxid|pZxid) = 0x[0-9a-f]+/\1 = <zxid>/' \
      -e 's/0x[0-9a-f]{10,}/<session>/g' -e "s/127\.0\.0\.1:[0-9]+/<addr>/g")
  grep -v -E '^(WATCHER::|WatchedEvent )' <<<"$lines" || true
  echo "-- watch events, in order"
  grep -E '^WatchedEvent ' <<<"$lines" | grep -v '^WatchedEvent state:Closed ' || true
}
# wait_serving PORT: Apache ZooKeeper answers "imok" before it opens
# sessions; wait (30 s at most) until it grants one, then close it.
wait_serving() {
  python3 - "$1" <<'PY'
import socket, struct, sys, time
deadline = time.time() + 30
while True:
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)
        s.settimeout(2)
        req = struct.pack(">iqiqi16s", 0, 0, 5000, 0, 16, bytes(16))  # ConnectRequest
        close = struct.pack(">ii", 1, -11)  # RequestHeader xid 1, closeSession
        s.sendall(struct.pack(">i", len(req)) + req + struct.pack(">i", len(close)) + close)
        resp = b""
        while len(resp) < 12:
            chunk = s.recv(64)
            if not chunk:
                break
            resp += chunk
        s.close()
        if len(resp) >= 12 and struct.unpack(">i", resp[8:12])[0] > 0:  # length, protocol, timeOut
            sys.exit(0)
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("Apache ZooKeeper on port %s opens no session" % sys.argv[1])
    time.sleep(0.05)
PY
}
normalize "$work/zkafka.raw" >"$work/zkafka.out"
cat "$work/zkafka.out"
check "zkCli create" "Created /interop" "$work/zkafka.out"
check "zkCli ls /" "[interop, zookeeper]" "$work/zkafka.out"
check "zkCli get" "hello" "$work/zkafka.out"
check "zkCli stat" "dataVersion = 1" "$work/zkafka.out"
check "zkCli sequential" "Created /interop/seq-0000000000" "$work/zkafka.out"

# the data survives a stop and a start
(cd "$work/zkafka" && "$BIN" zk stop zoo.cfg)
(cd "$work/zkafka" && "$BIN" zk start zoo.cfg)
"$ZKCLI" -server "127.0.0.1:$port" get /kept >"$work/kept.out" 2>&1 || true
check "data kept across restart" "still here" "$work/kept.out"
(cd "$work/zkafka" && "$BIN" zk stop zoo.cfg)

# --- the same script against Apache ZooKeeper: outputs must match
if [ -x "$APACHE" ] && command -v java >/dev/null; then
  aport=$(free_port)
  "$APACHE" "$aport" "$work/apache" >/dev/null
  wait_serving "$aport"
  "$ZKCLI" -server "127.0.0.1:$aport" <"$script" >"$work/apache.raw" 2>&1 || true
  normalize "$work/apache.raw" >"$work/apache.out"
  if diff -u "$work/apache.out" "$work/zkafka.out"; then
    echo "ok: zkCli output identical to Apache ZooKeeper's"
  else
    echo "FAIL: zkCli output differs from Apache ZooKeeper's (- apache, + zkafka)"; fail=$((fail+1))
  fi
else
  echo "skip: Apache ZooKeeper reference not available ($APACHE)"
fi

if [ "$fail" -gt 0 ]; then echo "interop: $fail failed"; exit 1; fi
echo "interop: all passed"
