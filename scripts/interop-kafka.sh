#!/usr/bin/env bash
# interop-kafka.sh BIN: real Kafka clients (kcat/librdkafka, kafka-python) and
# Apache's zkCli.sh against a zkafka broker registered in a zkafka keeper,
# started and stopped the way the seed document does it.
set -euo pipefail
BIN=$(realpath "$1")
ZKCLI=/usr/share/zookeeper/bin/zkCli.sh
PY=/usr/bin/python3
work=$(mktemp -d)
fail=0
cleanup() {
  (cd "$work" && LOG_DIR="$work/logs" "$BIN" kafka stop >/dev/null 2>&1 || true)
  (cd "$work" && "$BIN" zk stop zoo.cfg >/dev/null 2>&1 || true)
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
check() { if grep -qF -- "$2" "$3"; then echo "ok: $1"; else echo "FAIL: $1: expected '$2' in $3:"; head -20 "$3"; fail=$((fail+1)); fi; }

zport=$(free_port); kport=$(free_port)
mkdir -p "$work/zk"
cat >"$work/zoo.cfg" <<CFG
tickTime=2000
dataDir=$work/zk
clientPort=$zport
clientPortAddress=127.0.0.1
admin.enableServer=false
CFG
cat >"$work/server.properties" <<CFG
broker.id=1
listeners=PLAINTEXT://127.0.0.1:$kport
log.dirs=$work/kafka-logs-1,$work/kafka-logs-2
num.partitions=2
zookeeper.connect=127.0.0.1:$zport
log.flush.interval.messages=1
CFG
cd "$work"
"$BIN" zk start zoo.cfg
export LOG_DIR="$work/logs"
"$BIN" kafka start -daemon server.properties

"$ZKCLI" -server "127.0.0.1:$zport" ls /brokers/ids >"$work/ids.out" 2>&1 || true
check "zkCli ls /brokers/ids lists the broker" "[1]" "$work/ids.out"
check "server.log shows the config" "KafkaConfig values" "$LOG_DIR/server.log"
check "server.log shows the ZooKeeper connection" "Connecting to zookeeper on 127.0.0.1:$zport" "$LOG_DIR/server.log"

kcat -L -b "127.0.0.1:$kport" >"$work/meta.out" 2>&1 || true
check "kcat -L sees the broker" "broker 1 at 127.0.0.1:$kport" "$work/meta.out"
seq 1 200 | sed 's/^/line-/' >"$work/lines.txt"
kcat -P -b "127.0.0.1:$kport" -t interop -p 0 <"$work/lines.txt"
kcat -C -b "127.0.0.1:$kport" -t interop -p 0 -o beginning -e -q >"$work/consumed.txt" 2>"$work/kcat.err" || true
if diff -q "$work/lines.txt" "$work/consumed.txt" >/dev/null; then echo "ok: kcat round trip of 200 records"; else
  echo "FAIL: kcat round trip"; diff "$work/lines.txt" "$work/consumed.txt" | head; cat "$work/kcat.err"; fail=$((fail+1)); fi

if [ -x "$PY" ] && "$PY" -c 'import kafka' 2>/dev/null; then
  "$PY" - "127.0.0.1:$kport" >"$work/py.out" 2>&1 <<'PYEOF' || true
import sys
from kafka import KafkaProducer, KafkaConsumer
bs = sys.argv[1]
p = KafkaProducer(bootstrap_servers=bs)
for i in range(50):
    p.send('py-topic', key=str(i).encode(), value=f'value-{i}'.encode()).get(timeout=30)
p.flush()
c = KafkaConsumer('py-topic', bootstrap_servers=bs, auto_offset_reset='earliest', consumer_timeout_ms=5000, group_id=None)
vals = sorted(int(m.value.decode().split('-')[1]) for m in c)
print('consumed', len(vals), 'ok' if vals == list(range(50)) else 'MISMATCH')
PYEOF
  check "kafka-python produce/consume" "consumed 50 ok" "$work/py.out"
else
  echo "FAIL: kafka-python (Debian python3-kafka) is not installed"; fail=$((fail+1))
fi

# a graceful stop deregisters; a start finds every record again
"$BIN" kafka stop
"$ZKCLI" -server "127.0.0.1:$zport" ls /brokers/ids >"$work/ids2.out" 2>&1 || true
check "stopped broker deregistered" "[]" "$work/ids2.out"
"$BIN" kafka start -daemon server.properties
kcat -C -b "127.0.0.1:$kport" -t interop -p 0 -o beginning -e -q >"$work/consumed2.txt" 2>/dev/null || true
if diff -q "$work/lines.txt" "$work/consumed2.txt" >/dev/null; then echo "ok: records kept across a restart"; else
  echo "FAIL: records after restart"; fail=$((fail+1)); fi

# zkafka dev: keeper and broker in one process, ready at once, data kept across runs
"$BIN" kafka stop >/dev/null 2>&1 || true
"$BIN" zk stop zoo.cfg >/dev/null 2>&1 || true
dz=$(free_port); dk=$(free_port)
"$BIN" dev --data "$work/dev" --zk-port "$dz" --kafka-port "$dk" >"$work/dev.out" 2>&1 &
devpid=$!
for _ in $(seq 1 50); do grep -q "ready in" "$work/dev.out" && break; sleep 0.1; done
check "zkafka dev is ready" "ready in" "$work/dev.out"
echo dev-record | kcat -P -b "127.0.0.1:$dk" -t devtopic
"$ZKCLI" -server "127.0.0.1:$dz" ls /brokers/ids >"$work/devids.out" 2>&1 || true
check "zkafka dev broker registered" "[0]" "$work/devids.out"
kill -INT "$devpid"; wait "$devpid" || { echo "FAIL: zkafka dev did not exit cleanly on Ctrl-C"; fail=$((fail+1)); }
"$BIN" dev --data "$work/dev" --zk-port "$dz" --kafka-port "$dk" >"$work/dev2.out" 2>&1 &
devpid=$!
for _ in $(seq 1 50); do grep -q "ready in" "$work/dev2.out" && break; sleep 0.1; done
kcat -C -b "127.0.0.1:$dk" -t devtopic -o beginning -e -q >"$work/devconsumed.txt" 2>/dev/null || true
check "zkafka dev keeps its data" "dev-record" "$work/devconsumed.txt"
kill -INT "$devpid"; wait "$devpid" || true

if [ "$fail" -gt 0 ]; then echo "interop-kafka: $fail failed"; exit 1; fi
echo "interop-kafka: all passed"
