#!/usr/bin/env bash
# bench-ensemble.sh: measure a 3-server zkafka keeper ensemble against a 3-server Apache ZooKeeper
# ensemble on this machine, in one run (issue 4, "Speed").
#
# Starts a 3-server Apache ZooKeeper ensemble with scripts/apache-ensemble.sh and, with
# ZKAFKA_ENSEMBLE=1, a 3-server zkafka ensemble with the same settings (tickTime=2000, initLimit=10,
# syncLimit=5, all four-letter words, maxClientCnxns=0, admin server off, TTL nodes on, containers swept
# every second; zoo.cfg with server.N=127.0.0.1:quorumPort:electionPort;127.0.0.1:clientPort lines, each
# server its own dataDir and myid, one `zkafka zk start-foreground zoo.cfg` process per server), all on
# free 127.0.0.1 ports under one temporary directory in /var/tmp. Then:
#   1. throughput and latency: `zkafka bench zk --server a,b,c` for each op in OPS and client count in
#      CLIENTS (client i on server i mod 3), DURATION each, REPEAT times, the two systems alternating (and
#      swapping who goes first) so that load from elsewhere on the machine hits both alike; medians;
#   2. leader failover: `zkafka bench zk-failover` runs FAILOVER_CLIENTS clients doing FAILOVER_OP over the
#      three servers, SIGKILLs the leader after FAILOVER_WARMUP and times, from the clients' own writes,
#      how long until writes succeed on every surviving server; the killed server is restarted and the
#      ensemble must show one leader and two followers again before the next round; FAILOVERS rounds
#      per system, alternating who goes first; medians.
# Prints progress to stderr and a markdown report to stdout, with the raw key=value lines. Every step is
# bounded in time; the servers and the temporary directory are removed on exit.
#
# Without ZKAFKA_ENSEMBLE=1, or when the zkafka binary does not form an ensemble from server.N lines
# (a binary from before the ensemble), only Apache is measured and the report says why.
#
# The load generator and all six servers share the machine's cores: the numbers describe this machine
# with client and servers on it, not the servers alone.
#
# Settings (environment):
#   ZKAFKA_ENSEMBLE=1  also measure zkafka's ensemble (default: Apache only)
#   ZKAFKA       zkafka binary (default: built from this checkout into the temporary directory); it is
#                also the load generator for both systems
#   ZKAFKA_DESC  how the report names that binary (default: its path and the checkout's commit)
#   DURATION     measured phase of each bench run (default 10s); WARMUP before them (default 5s)
#   BENCH_CLIENT the load generator's client, `bench zk --client`: raw (default) or gozk
#   OPS          ops to measure (default "get set"); CLIENTS client counts (default "64")
#   REPEAT       runs per system and cell (default 1; documented numbers use 3)
#   SIZE         data bytes (default 100)
#   FAILOVERS    leader kills per system (default 3); FAILOVER_CLIENTS (default 64), FAILOVER_OP (set or
#                mixed, default set), FAILOVER_WARMUP (load before the kill, default 3s), FAILOVER_AFTER
#                (load after recovery, default 1s), FAILOVER_RETRY (client reconnection pause, default 20ms)
#   MAX_OTHERS   interference limit, in cores (default 0.25): a bench run during which other processes
#                used more CPU than this (busy time in /proc/stat minus the servers and the load
#                generator) is measured again after RETRY_PAUSE seconds (default 15), up to RETRIES
#                attempts (default 4) and RETRY_BUDGET repeats in all (default 40); the last is kept.
#                Failover rounds are measured once (their interference is reported).
#   SERVER_CPUS, CLIENT_CPUS  taskset CPU lists pinning the servers and the load generator (default:
#                no pinning; scripts/lib/bench-common.sh says why one would)
#   KEEP_WORK=1  keep the temporary directory (logs, configs, raw results)
#
# Example: ZKAFKA_ENSEMBLE=1 REPEAT=3 scripts/bench-ensemble.sh > /var/tmp/bench-ensemble.md
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-5s}
BENCH_CLIENT=${BENCH_CLIENT:-raw}
OPS=${OPS:-get set}
CLIENTS=${CLIENTS:-64}
REPEAT=${REPEAT:-1}
SIZE=${SIZE:-100}
FAILOVERS=${FAILOVERS:-3}
FAILOVER_CLIENTS=${FAILOVER_CLIENTS:-64}
FAILOVER_OP=${FAILOVER_OP:-set}
FAILOVER_WARMUP=${FAILOVER_WARMUP:-3s}
FAILOVER_AFTER=${FAILOVER_AFTER:-1s}
FAILOVER_RETRY=${FAILOVER_RETRY:-20ms}
MAX_OTHERS=${MAX_OTHERS:-0.25}
RETRIES=${RETRIES:-4}
RETRY_BUDGET=${RETRY_BUDGET:-40}
RETRY_PAUSE=${RETRY_PAUSE:-15}
ZKAFKA_ENSEMBLE=${ZKAFKA_ENSEMBLE:-0}

WORK=$(mktemp -d /var/tmp/bench-ensemble.XXXXXX)
ZK_DIR=$WORK/zkafka
AP_DIR=$WORK/apache
RESULTS=$WORK/results.txt
mkdir -p "$ZK_DIR" "$AP_DIR"
: >"$RESULTS"
declare -a ZK_PIDS=() AP_PIDS=() ZK_PORTS=() AP_PORTS=()
SYSTEMS=apache
ZK_SKIP="not asked for (ZKAFKA_ENSEMBLE=1 measures it)"

RESULT_KEY=system

stop_servers() {
  local pid f
  for pid in "${ZK_PIDS[@]}" "${AP_PIDS[@]}"; do stop_pid "$pid"; done
  # Servers the Apache script started but that never formed an ensemble are only in its pid files.
  for f in "$AP_DIR"/s*/pid; do if [ -r "$f" ]; then stop_pid "$(cat "$f")"; fi; done
}
# shellcheck source=lib/bench-common.sh
. "$ROOT/scripts/lib/bench-common.sh"

# fourlw PORT WORD: the four-letter word's answer from 127.0.0.1:PORT ("" when it fails).
fourlw() {
  python3 -c 'import socket,sys
try:
  s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),3);s.settimeout(3);s.sendall(sys.argv[2].encode());d=b""
  while True:
    b=s.recv(65536)
    if not b: break
    d+=b
  print(d.decode(),end="")
except Exception: pass' "$1" "$2"
}
mode() { fourlw "$1" srvr | sed -n 's/^Mode: //p'; }

pids_of() { if [ "$1" = zkafka ]; then echo "${ZK_PIDS[@]}"; else echo "${AP_PIDS[@]}"; fi; }
ports_of() { if [ "$1" = zkafka ]; then echo "${ZK_PORTS[@]}"; else echo "${AP_PORTS[@]}"; fi; }
servers_of() { local p s=; for p in $(ports_of "$1"); do s="$s${s:+,}127.0.0.1:$p"; done; echo "$s"; }

# modes SYSTEM: the srvr Mode of each of the system's servers, sorted, on one line.
modes() { local p; for p in $(ports_of "$1"); do mode "$p" | head -1; done | sort | paste -sd' ' -; }

# wait_formed SYSTEM SECONDS: wait until the three servers say one leader and two followers.
wait_formed() {
  local s=$1 limit=$2 end=$((SECONDS + $2))
  while [ "$SECONDS" -lt "$end" ]; do
    [ "$(modes "$s")" = "follower follower leader" ] && return 0
    sleep 0.2
  done
  log "$s ensemble: modes '$(modes "$s")' after $limit s"
  return 1
}

# --- binaries and servers --------------------------------------------------------------------

build_zkafka
"$ZKAFKA" bench zk-failover --help >/dev/null 2>&1 || die "$ZKAFKA has no \`bench zk-failover\`"

log "starting a 3-server Apache ZooKeeper ensemble"
out=$(timeout 300 "${SERVER_PIN[@]}" bash "$ROOT/scripts/apache-ensemble.sh" 3 "$AP_DIR") || die "Apache ensemble (logs: $AP_DIR/s*/server.out)"
while read -r id port pid; do
  AP_PORTS[id - 1]=$port
  AP_PIDS[id - 1]=$pid
  # The exact command line, to start the server again after a failover round kills it.
  cp "/proc/$pid/cmdline" "$AP_DIR/s$id/cmdline"
done <<<"$out"
[ "${#AP_PIDS[@]}" = 3 ] || die "apache-ensemble.sh printed: $out"
log "Apache ensemble: ports ${AP_PORTS[*]}, pids ${AP_PIDS[*]}"

# start_zkafka_server I: start zkafka ensemble member I (1-based) in the background; sets ZK_PIDS.
start_zkafka_server() {
  local i=$1 d=$ZK_DIR/s$1
  nohup "${SERVER_PIN[@]}" "$ZKAFKA" zk start-foreground "$d/zoo.cfg" >>"$d/server.log" 2>&1 </dev/null &
  ZK_PIDS[i - 1]=$!
  disown # its SIGKILL is the point of a failover round, not news for stderr
}
# start_apache_server I: start Apache member I again with its recorded command line; sets AP_PIDS.
start_apache_server() {
  local i=$1 d=$AP_DIR/s$1
  local -a argv
  mapfile -d '' argv <"$d/cmdline"
  nohup "${SERVER_PIN[@]}" "${argv[@]}" >>"$d/server.out" 2>&1 </dev/null &
  AP_PIDS[i - 1]=$!
  disown
  echo "${AP_PIDS[i - 1]}" >"$d/pid"
}

if [ "$ZKAFKA_ENSEMBLE" = 1 ]; then
  declare -a QP EP
  for i in 1 2 3; do
    ZK_PORTS[i - 1]=$(free_port)
    QP[i]=$(free_port)
    EP[i]=$(free_port)
  done
  for i in 1 2 3; do
    d=$ZK_DIR/s$i
    mkdir -p "$d/data"
    echo "$i" >"$d/data/myid"
    {
      echo "tickTime=2000"
      echo "initLimit=10"
      echo "syncLimit=5"
      echo "dataDir=$d/data"
      echo "clientPort=${ZK_PORTS[i - 1]}"
      echo "clientPortAddress=127.0.0.1"
      echo "maxClientCnxns=0"
      echo "4lw.commands.whitelist=*"
      echo "extendedTypesEnabled=true"
      echo "znode.container.checkIntervalMs=1000"
      echo "admin.enableServer=false"
      for j in 1 2 3; do echo "server.$j=127.0.0.1:${QP[j]}:${EP[j]};127.0.0.1:${ZK_PORTS[j - 1]}"; done
    } >"$d/zoo.cfg"
  done
  log "starting a 3-server zkafka ensemble"
  for i in 1 2 3; do start_zkafka_server "$i"; done
  ZK_SKIP="no leader and two followers within 60 s"
  end=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$end" ]; do
    exited=
    for i in 1 2 3; do kill -0 "${ZK_PIDS[i - 1]}" 2>/dev/null || exited=$i; done
    if [ -n "$exited" ]; then
      ZK_SKIP="server $exited exited at start (a binary without ensemble support?): $(tail -3 "$ZK_DIR/s$exited/server.log" | tr '\n' ' ')"
      break
    fi
    if [ "$(modes zkafka)" = "follower follower leader" ]; then ZK_SKIP=; break; fi
    sleep 0.2
  done
  if [ -z "$ZK_SKIP" ]; then
    SYSTEMS="zkafka apache"
    log "zkafka ensemble: ports ${ZK_PORTS[*]}, pids ${ZK_PIDS[*]}"
  else
    [ -n "$exited" ] || ZK_SKIP="$ZK_SKIP (srvr modes: '$(modes zkafka)')"
    for pid in "${ZK_PIDS[@]}"; do stop_pid "$pid"; done
    ZK_PIDS=()
    log "SKIPPING zkafka: its ensemble did not form: $ZK_SKIP"
  fi
else
  log "SKIPPING zkafka: $ZK_SKIP"
fi

# order N: the systems in the order of turn N (alternating who goes first).
order() { if [ $(($1 % 2)) = 0 ]; then echo "$SYSTEMS"; else echo "$SYSTEMS" | tr ' ' '\n' | tac | paste -sd' ' -; fi; }

# --- 1. throughput and latency -----------------------------------------------------------------

for s in $SYSTEMS; do
  log "warm-up: $s mixed clients=16 for $WARMUP"
  bench "$s" mixed 16 "$WARMUP" >/dev/null || die "warm-up $s (see $WORK/bench.log)"
done
cell=0
for op in $OPS; do
  for c in $CLIENTS; do
    for rep in $(seq 1 "$REPEAT"); do
      for s in $(order $((cell + rep))); do
        attempt=1
        while :; do
          l=$(load1)
          out=$(bench "$s" "$op" "$c" "$DURATION") || die "bench $s $op $c (see $WORK/bench.log)"
          log "$s $op clients=$c rep $rep: $(kv ops_per_s <<<" $out") ops/s (per server $(kv server_ops <<<" $out")), p99 $(kv p99_us <<<" $out") µs, errors $(kv errors <<<" $out"), CPU s servers $(kv server_cpu_s <<<" $out") client $(kv client_cpu_s <<<" $out") others $(kv others_cpu_s <<<" $out") (load $l)"
          [ "$(kv errors <<<" $out")" = 0 ] || die "$s $op clients=$c had errors (see $WORK/bench.log)"
          retry_or_keep "$s $op clients=$c" "$(kv others_cpu_s <<<" $out")" "$(kv wall_s <<<" $out")" "$attempt" || break
          attempt=$((attempt + 1))
        done
        echo " system=$s rep=$rep attempt=$attempt load1=$l $out" >>"$RESULTS"
      done
    done
    cell=$((cell + 1))
  done
done

# --- 2. leader failover ------------------------------------------------------------------------

# failover SYSTEM: one kill of the leader under load, then the killed server restarted and the
# ensemble formed again; prints zk-failover's key=value line with machine_cpu_s (the whole machine's
# busy CPU time over the bench minus the load generator's: the servers' part cannot be told apart,
# since the killed one's vanishes with it) and wall_s. It sets ZK_PIDS or AP_PIDS, so it must not run
# in a subshell: redirect its output to a file.
failover() {
  local s=$1 pids= i=1 p out m0 m1 w0 w1 leader port k
  for p in $(pids_of "$s"); do pids="$pids${pids:+,}$i=$p"; i=$((i + 1)); done
  m0=$(machine_ticks); w0=$(date +%s.%N)
  out=$(timeout 300 "${CLIENT_PIN[@]}" "$ZKAFKA" bench zk-failover --server "$(servers_of "$s")" --clients "$FAILOVER_CLIENTS" \
    --op "$FAILOVER_OP" --size "$SIZE" --pids "$pids" --warmup "$FAILOVER_WARMUP" --after "$FAILOVER_AFTER" \
    --retry "$FAILOVER_RETRY" --format kv 2>>"$WORK/failover.log") || return 1
  m1=$(machine_ticks); w1=$(date +%s.%N)
  leader=$(kv leader <<<" $out")
  port=${leader##*:}
  k=0
  for p in $(ports_of "$s"); do
    k=$((k + 1))
    [ "$p" = "$port" ] || continue
    if [ "$s" = zkafka ]; then start_zkafka_server "$k"; else start_apache_server "$k"; fi
  done
  wait_formed "$s" 120 || return 1
  awk -v out="$out" -v ma="$m0" -v mb="$m1" -v wa="$w0" -v wb="$w1" -v hz="$HZ" -v c="$(kv client_cpu_s <<<" $out")" 'BEGIN {
    other = (mb - ma) / hz - c; if (other < 0) other = 0
    printf "%s machine_cpu_s=%.2f wall_s=%.2f\n", out, other, wb - wa }'
}

for round in $(seq 1 "$FAILOVERS"); do
  for s in $(order "$round"); do
    l=$(load1)
    failover "$s" >"$WORK/failover.out" || die "failover $s (see $WORK/failover.log and the server logs)"
    out=$(cat "$WORK/failover.out")
    log "$s failover $round: killed $(kv leader <<<" $out"), first write after $(kv first_write_s <<<" $out") s, every surviving server after $(kv all_servers_s <<<" $out") s (per server $(kv server_first_write_s <<<" $out")), longest stall $(kv kill_stall_s <<<" $out") s, new leader $(kv new_leader <<<" $out") (load $l)"
    echo " system=$s phase=failover round=$round load1=$l $out" >>"$RESULTS"
  done
done

# --- report ------------------------------------------------------------------------------------

max_clients=$(echo $CLIENTS | tr ' ' '\n' | sort -n | tail -1)

echo "## zkafka keeper ensemble vs Apache ZooKeeper ensemble (3 servers each)"
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores shared by the load generator and all the servers"
echo "($(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory), all on 127.0.0.1."
if [ -n "$ZK_SKIP" ]; then
  echo "**zkafka not measured**: $ZK_SKIP."
else
  echo "zkafka: $ZKAFKA_DESC, three \`zkafka zk start-foreground\` processes."
fi
echo "Apache ZooKeeper: $(sed -n 's/.*Server environment:zookeeper.version=\([^,-]*\).*/\1/p' "$AP_DIR/s1/server.out" | head -1) on $(java -version 2>&1 | head -1) (-Xmx512m), scripts/apache-ensemble.sh."
echo "Both with tickTime=2000, initLimit=10, syncLimit=5. Load generator: \`$ZKAFKA bench zk --server a,b,c\`"
echo "(client $BENCH_CLIENT; client i on server i mod 3), $DURATION per run, closed loop (one request in flight per"
echo "client session), $SIZE-byte data; median of $REPEAT run(s) per system and cell. Server CPU µs/op: CPU time of"
echo "the three server processes over the run (setup and cleanup included) per operation. Other processes' cores:"
echo "CPU time the rest of the machine used during each run over its wall time. A run during which other processes"
echo "used more than $MAX_OTHERS cores was measured again after $RETRY_PAUSE s, up to $RETRIES attempts (the last kept);"
echo "$((RETRY_BUDGET - RETRIES_LEFT)) repeat(s) in all."
pinning_desc
echo
echo "| op | clients | zkafka ops/s | Apache ops/s | throughput ratio | zkafka p99 | Apache p99 | server CPU µs/op (zkafka; Apache) | other processes' cores, each run (zkafka; Apache) | target ($max_clients clients) |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---|---|"
for op in $OPS; do
  for c in $CLIENTS; do
    zo=$(pick zkafka ops_per_s "op=$op" "clients=$c" | median)
    ao=$(pick apache ops_per_s "op=$op" "clients=$c" | median)
    tr=$(ratio "$zo" "$ao")
    target=
    if [ "$c" = "$max_clients" ]; then
      case $op in
        set | create) target="≥ 2.00× throughput: $(verdict "$tr" '>=' 2)" ;;
        get) target="≥ 1.50× throughput: $(verdict "$tr" '>=' 1.5)" ;;
      esac
    fi
    printf '| %s | %s | %s | %s | %s× | %s | %s | %s; %s | %s; %s | %s |\n' "$op" "$c" "$(num "$zo")" "$(num "$ao")" "$tr" \
      "$(us "$(pick zkafka p99_us "op=$op" "clients=$c" | median)")" "$(us "$(pick apache p99_us "op=$op" "clients=$c" | median)")" \
      "$(per_op zkafka "$op" "$c")" "$(per_op apache "$op" "$c")" "$(others_cores zkafka "$op" "$c")" "$(others_cores apache "$op" "$c")" "$target"
  done
done
echo
echo "Leader failover: \`bench zk-failover\`, $FAILOVER_CLIENTS clients doing $FAILOVER_OP over the three servers, the leader"
echo "(srvr Mode: leader) SIGKILLed after $FAILOVER_WARMUP of load; times from the kill, measured by the clients' own writes"
echo "issued after it (clients reconnect every $FAILOVER_RETRY, resuming their sessions); the killed server restarted and the"
echo "ensemble formed again between rounds; median of $FAILOVERS round(s) per system."
echo
secs_list() { pick "$@" | sed 's/$/ s/' | paste -sd, - | sed 's/,/, /g'; }
fmt_s() { awk -v v="$1" 'BEGIN { if (v == "nan") print "-"; else printf "%.3f s", v }'; }
echo "| failover (from the kill) | zkafka | Apache | ratio | target |"
echo "|---|---:|---:|---:|---|"
for key in all_servers_s first_write_s kill_stall_s max_stall_s; do
  case $key in
    all_servers_s) what="writes succeed on every surviving server (median)" ;;
    first_write_s) what="first successful write on any server (median)" ;;
    kill_stall_s) what="longest stretch without a completed write, kill to recovery (median)" ;;
    max_stall_s) what="longest stretch without a completed write, whole load (median)" ;;
  esac
  z=$(pick zkafka "$key" phase=failover | median)
  a=$(pick apache "$key" phase=failover | median)
  r=$(ratio "$z" "$a")
  target=
  [ "$key" = all_servers_s ] && target="shorter than Apache's: $(verdict "$r" '<' 1)"
  printf '| %s | %s | %s | %s× | %s |\n' "$what" "$(fmt_s "$z")" "$(fmt_s "$a")" "$r" "$target"
done
printf '| every surviving server, each round | %s | %s | | |\n' "$(secs_list zkafka all_servers_s phase=failover)" "$(secs_list apache all_servers_s phase=failover)"
printf '| writes/s before the kill (median) | %s | %s | | |\n' "$(num "$(pick zkafka writes_per_s_before phase=failover | median)")" \
  "$(num "$(pick apache writes_per_s_before phase=failover | median)")"
printf '| sessions replaced after expiring (all rounds) | %s | %s | | |\n' \
  "$(pick zkafka new_sessions phase=failover | awk '{ t += $1 } END { print t + 0 }')" "$(pick apache new_sessions phase=failover | awk '{ t += $1 } END { print t + 0 }')"
echo
echo "Raw results (key=value lines):"
echo
echo '```'
sed 's/^ //' "$RESULTS"
echo '```'
