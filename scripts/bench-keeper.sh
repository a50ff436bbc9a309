#!/usr/bin/env bash
# bench-keeper.sh: measure zkafka's keeper against Apache ZooKeeper on this machine, in one run.
#
# Starts both servers standalone on free 127.0.0.1 ports with the same settings (tickTime=2000,
# all four-letter words, maxClientCnxns=0, admin server off, TTL nodes on, containers swept
# every second, data under one temporary directory in /var/tmp), then:
#   1. throughput and latency: `zkafka bench zk` for each op in OPS and client count in CLIENTS
#      (and offered rate in RATE), DURATION each, REPEAT times, zkafka and Apache alternating (and
#      swapping who goes first) so that load from elsewhere on the machine hits both alike; medians
#      over the repeats;
#   2. memory: `zkafka bench zk-populate` puts POPULATE_N znodes of SIZE bytes into each server,
#      one server at a time, and reads its resident set size (VmRSS) right after the last create;
#   3. restart: `zkafka bench zk-restart` stops each server (SIGTERM, waits for exit), starts it
#      again and times until a getData of a populated znode answers; RESTARTS rounds, median.
# Prints progress to stderr and a markdown report to stdout. Everything runs on 127.0.0.1; every
# step is bounded in time; the servers and the temporary directory are removed on exit.
#
# The load generator and both servers share the machine's cores: the numbers describe this
# machine with client and server on it, not the servers alone.
#
# Settings (environment):
#   ZKAFKA       zkafka binary (default: built from this checkout into the temporary directory)
#   ZKAFKA_DESC  how the report names that binary (default: its path and the checkout's commit)
#   APACHE       Apache ZooKeeper start script, called as APACHE PORT DIR
#                (default: ../shared/tools/apache-zookeeper.sh next to the checkout)
#   DURATION     measured phase of each bench run (default 10s); WARMUP before them (default 5s)
#   BENCH_CLIENT the load generator's ZooKeeper client, `bench zk --client`: raw (default, the lean
#                wire-protocol client) or gozk (go-zookeeper, as the numbers before it were measured)
#   OPS          ops to measure (default "get set"); CLIENTS client counts (default "1 16 64", with
#                RATE "64")
#   RATE         open loop instead of closed: offered operations per second over all clients
#                (`bench zk --rate`), the same schedule for both systems, so that their latencies
#                compare at equal load (a closed loop measures each at the load its own speed sets);
#                latency runs from each operation's due time, so stalls count against every operation
#                they delayed. A space-separated list measures each rate (e.g. RATE="20000 40000").
#                Each client still keeps one request in flight: CLIENTS must be enough for the rate
#                (a run that falls behind reports unsent operations). The report then gives, per
#                rate, both systems' p50/p99/p99.9, the load generator's own send lag (how late it
#                sent operations that were waiting only for their due time; near the p99s, the
#                client set them) and the target verdict p99 <= 1.00x. Default: none (closed loop).
#   REPEAT       runs per server and cell (default 1; the documented numbers use 3)
#   POPULATE_N   znodes to populate (default 1000000); SIZE their data bytes (default 100)
#   RESTARTS     restarts per server (default 3)
#   MAX_OTHERS   interference limit, in cores (default 0.25): a bench run during which
#                other processes used more CPU than this (busy time in /proc/stat minus the
#                server and the load generator) is measured again after RETRY_PAUSE seconds
#                (default 15), up to RETRIES attempts (default 4) and RETRY_BUDGET repeats in all
#                (default 40); the last attempt is kept. Populating and restarts are measured once
#                (their interference is reported, not acted on).
#   PROFILE      when set, a file: run only zkafka, under ZKAFKA_CPUPROFILE=PROFILE, for the
#                64-client (largest of CLIENTS) runs of OPS, then print `go tool pprof -top`
#   SERVER_CPUS, CLIENT_CPUS  taskset CPU lists pinning the servers and the load generator (default:
#                no pinning; scripts/lib/bench-common.sh says why one would)
#   KEEP_WORK=1  keep the temporary directory (logs, configs, raw results)
#
# Example: DURATION=10s REPEAT=3 scripts/bench-keeper.sh > /var/tmp/bench-keeper.md
#          RATE="20000 40000" OPS=get REPEAT=3 scripts/bench-keeper.sh > /var/tmp/bench-keeper-rate.md
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-5s}
BENCH_CLIENT=${BENCH_CLIENT:-raw}
OPS=${OPS:-get set}
RATE=${RATE:-}
if [ -n "$RATE" ]; then CLIENTS=${CLIENTS:-64}; else CLIENTS=${CLIENTS:-1 16 64}; fi
RATES=${RATE:-0} # 0: the closed loop
REPEAT=${REPEAT:-1}
POPULATE_N=${POPULATE_N:-1000000}
SIZE=${SIZE:-100}
RESTARTS=${RESTARTS:-3}
MAX_OTHERS=${MAX_OTHERS:-0.25}
RETRIES=${RETRIES:-4}
RETRY_BUDGET=${RETRY_BUDGET:-40}
RETRY_PAUSE=${RETRY_PAUSE:-15}
PROFILE=${PROFILE:-}
APACHE=${APACHE:-$ROOT/../shared/tools/apache-zookeeper.sh}

WORK=$(mktemp -d /var/tmp/bench-keeper.XXXXXX)
ZK_DIR=$WORK/zkafka
AP_DIR=$WORK/apache
RESULTS=$WORK/results.txt
mkdir -p "$ZK_DIR/data" "$AP_DIR"
: >"$RESULTS"
ZK_PID=
AP_PID=
RESULT_KEY=server

stop_servers() {
  stop_pid "$ZK_PID"
  stop_pid "$AP_PID"
  # A server the Apache script started but that never served is only in its pid file.
  if [ -r "$AP_DIR/pid" ]; then stop_pid "$(cat "$AP_DIR/pid")"; fi
}
# shellcheck source=lib/bench-common.sh
. "$ROOT/scripts/lib/bench-common.sh"

# --- binaries and servers ------------------------------------------------------------------

build_zkafka
[ -n "$PROFILE" ] || [ -x "$APACHE" ] || die "APACHE=$APACHE is not executable"

ZK_PORT=$(free_port)
cat >"$ZK_DIR/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$ZK_DIR/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
extendedTypesEnabled=true
znode.container.checkIntervalMs=1000
admin.enableServer=false
CFG

# start_zkafka [PATH [PID]]: start (or restart, stopping PID) zkafka's keeper and wait until a
# getData of PATH answers; prints zk-restart's key=value line.
start_zkafka() {
  timeout 420 "${CLIENT_PIN[@]}" "$ZKAFKA" bench zk-restart --server "127.0.0.1:$ZK_PORT" --path "${1:-/}" --pid "${2:-0}" \
    --stop-timeout 2m --timeout 5m --log "$ZK_DIR/server.log" -- "${SERVER_PIN[@]}" "$ZKAFKA" zk start-foreground "$ZK_DIR/zoo.cfg"
}
start_apache() {
  timeout 420 "${CLIENT_PIN[@]}" "$ZKAFKA" bench zk-restart --server "127.0.0.1:$AP_PORT" --path "${1:-/}" --pid "${2:-0}" \
    --stop-timeout 2m --timeout 5m --pid-file "$AP_DIR/pid" --log "$AP_DIR/start.log" -- "${SERVER_PIN[@]}" "$APACHE" "$AP_PORT" "$AP_DIR"
}

if [ -n "$PROFILE" ]; then
  log "profile run: zkafka only, ZKAFKA_CPUPROFILE=$PROFILE"
  line=$(ZKAFKA_CPUPROFILE=$PROFILE start_zkafka) || die "start zkafka (log: $ZK_DIR/server.log)"
  ZK_PID=$(kv pid <<<" $line")
  top=$(echo $CLIENTS | tr ' ' '\n' | sort -n | tail -1)
  rate=${RATES%% *}
  for op in $OPS; do
    log "zkafka $op clients=$top rate=$rate for $DURATION (load $(load1))"
    timeout 600 "$ZKAFKA" bench zk --server "127.0.0.1:$ZK_PORT" --client "$BENCH_CLIENT" --op "$op" --clients "$top" \
      --rate "$rate" --size "$SIZE" --duration "$DURATION" 2>>"$WORK/bench.log"
  done
  stop_pid "$ZK_PID"
  ZK_PID=
  go tool pprof -top -nodecount=45 "$ZKAFKA" "$PROFILE"
  exit 0
fi

AP_PORT=$(free_port)
line=$(start_zkafka) || die "start zkafka (log: $ZK_DIR/server.log)"
ZK_PID=$(kv pid <<<" $line")
log "zkafka keeper pid $ZK_PID on 127.0.0.1:$ZK_PORT, started in $(kv serving_s <<<" $line") s"
line=$(start_apache) || die "start Apache ZooKeeper (log: $AP_DIR/server.out)"
AP_PID=$(kv pid <<<" $line")
log "Apache ZooKeeper pid $AP_PID on 127.0.0.1:$AP_PORT, started in $(kv serving_s <<<" $line") s"

port_of() { if [ "$1" = zkafka ]; then echo "$ZK_PORT"; else echo "$AP_PORT"; fi; }
pid_of() { if [ "$1" = zkafka ]; then echo "$ZK_PID"; else echo "$AP_PID"; fi; }
pids_of() { pid_of "$1"; }
servers_of() { echo "127.0.0.1:$(port_of "$1")"; }

# --- 1. throughput and latency ---------------------------------------------------------------

for s in zkafka apache; do
  log "warm-up: $s mixed clients=16 for $WARMUP"
  bench "$s" mixed 16 "$WARMUP" >/dev/null || die "warm-up $s"
done
cell=0
for op in $OPS; do
  for c in $CLIENTS; do
    for r in $RATES; do
      what="$op clients=$c$([ "$r" = 0 ] || echo " rate=$r")"
      for rep in $(seq 1 "$REPEAT"); do
        if [ $(((cell + rep) % 2)) = 0 ]; then order="zkafka apache"; else order="apache zkafka"; fi
        for s in $order; do
          attempt=1
          while :; do
            l=$(load1)
            out=$(bench "$s" "$op" "$c" "$DURATION" "$r") || die "bench $s $what"
            open=
            [ "$r" = 0 ] || open=", unsent $(kv unsent <<<" $out"), send lag p99 $(kv lag_p99_us <<<" $out") µs"
            log "$s $what rep $rep: $(kv ops_per_s <<<" $out") ops/s, p99 $(kv p99_us <<<" $out") µs$open, errors $(kv errors <<<" $out"), CPU s server $(kv server_cpu_s <<<" $out") client $(kv client_cpu_s <<<" $out") others $(kv others_cpu_s <<<" $out") (load $l)"
            [ "$(kv errors <<<" $out")" = 0 ] || die "$s $what had errors (see $WORK/bench.log)"
            retry_or_keep "$s $what" "$(kv others_cpu_s <<<" $out")" "$(kv wall_s <<<" $out")" "$attempt" || break
            attempt=$((attempt + 1))
          done
          echo " server=$s offered=$r rep=$rep attempt=$attempt load1=$l $out" >>"$RESULTS"
        done
      done
      cell=$((cell + 1))
    done
  done
done

# --- 2. memory -----------------------------------------------------------------------------------

for s in zkafka apache; do
  pid=$(pid_of "$s")
  log "populating $s with $POPULATE_N znodes of $SIZE bytes (load $(load1))"
  m0=$(machine_ticks)
  w0=$(date +%s.%N)
  t0=$(cpu_ticks "$pid")
  out=$(timeout 1900 "${CLIENT_PIN[@]}" "$ZKAFKA" bench zk-populate --server "127.0.0.1:$(port_of "$s")" --n "$POPULATE_N" \
    --size "$SIZE" --pid "$pid" --timeout 30m) || die "populate $s"
  t1=$(cpu_ticks "$pid")
  m1=$(machine_ticks)
  w1=$(date +%s.%N)
  out=$(with_cpu "$out" "$t0" "$t1" "$m0" "$m1" "$w0" "$w1")
  echo " server=$s phase=populate load1=$(load1) $out" >>"$RESULTS"
  log "$s: $(kv znodes <<<" $out") znodes in $(kv elapsed_s <<<" $out") s, RSS $(kv rss_bytes <<<" $out") bytes, other processes $(cores "$(kv others_cpu_s <<<" $out")" "$(kv wall_s <<<" $out")") cores"
  if [ "$s" = zkafka ]; then ZK_KNOWN=$(kv known <<<" $out"); else AP_KNOWN=$(kv known <<<" $out"); fi
done

# --- 3. restart-to-serving ---------------------------------------------------------------------

# restart SERVER: one restart; prints zk-restart's line with others_cpu_s (machine busy time over
# the call minus all the new server's CPU time: the old server's last moments, zk-restart's probes
# and Apache's start script, which polls with ruok, count as others', so this is only a rough guide
# and restarts are not repeated for it) and wall_s.
restart() {
  local m0 m1 w0 w1 out pid
  m0=$(machine_ticks)
  w0=$(date +%s.%N)
  if [ "$1" = zkafka ]; then
    out=$(start_zkafka "$ZK_KNOWN" "$ZK_PID") || { ZK_PID=; die "restart zkafka (log: $ZK_DIR/server.log)"; }
  else
    out=$(start_apache "$AP_KNOWN" "$AP_PID") || die "restart Apache (log: $AP_DIR/server.out)"
  fi
  pid=$(kv pid <<<" $out")
  m1=$(machine_ticks)
  w1=$(date +%s.%N)
  awk -v out="$out" -v srv="$(cpu_ticks "$pid")" -v ma="$m0" -v mb="$m1" -v wa="$w0" -v wb="$w1" -v hz="$HZ" 'BEGIN {
    other = (mb - ma - srv) / hz; if (other < 0) other = 0
    printf "%s others_cpu_s=%.2f wall_s=%.2f\n", out, other, wb - wa }'
}

for round in $(seq 1 "$RESTARTS"); do
  if [ $((round % 2)) = 1 ]; then order="zkafka apache"; else order="apache zkafka"; fi
  for s in $order; do
    l=$(load1)
    out=$(restart "$s") || die "restart $s"
    if [ "$s" = zkafka ]; then ZK_PID=$(kv pid <<<" $out"); else AP_PID=$(kv pid <<<" $out"); fi
    log "$s restart $round: stopped in $(kv stop_s <<<" $out") s, serving after $(kv serving_s <<<" $out") s, RSS $(kv rss_bytes <<<" $out"), other processes $(cores "$(kv others_cpu_s <<<" $out")" "$(kv wall_s <<<" $out")") cores (load $l)"
    echo " server=$s phase=restart round=$round load1=$l $out" >>"$RESULTS"
  done
done

# --- report ----------------------------------------------------------------------------------------

mib() { awk -v v="$1" 'BEGIN { printf "%.0f MiB", v / 1048576 }'; }
max_clients=$(echo $CLIENTS | tr ' ' '\n' | sort -n | tail -1)
# client_cores SERVER OP CLIENTS: median over the repeats of the load generator's CPU cores in use.
client_cores() {
  runs "$@" |
    while read -r l; do awk -v c="$(kv client_cpu_s <<<" $l")" -v e="$(kv elapsed_s <<<" $l")" 'BEGIN { print c / e }'; done |
    median | awk '{ printf "%.2f", $1 }'
}

echo "## zkafka keeper vs Apache ZooKeeper"
echo
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores shared by the load generator and both servers"
echo "($(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory), all on 127.0.0.1."
echo "zkafka: $ZKAFKA_DESC."
echo "Apache ZooKeeper: $(sed -n 's/.*Server environment:zookeeper.version=\([^,-]*\).*/\1/p' "$AP_DIR/server.out" | head -1) on $(java -version 2>&1 | head -1) (-Xmx512m)."
if [ -n "$RATE" ]; then
  echo "Each bench run: $DURATION, open loop at each offered rate (ops/s over all client sessions, on a fixed schedule"
  echo "the same for both systems; one request in flight per session; latency from each operation's due time, so a"
  echo "stall counts against every operation it delayed; send lag: how late the load generator itself sent operations"
  echo "that waited only for their due time; unsent: operations due that never went out), $SIZE-byte data,"
else
  echo "Each bench run: $DURATION, closed loop (one request in flight per client session), $SIZE-byte data,"
fi
echo "load generator client $BENCH_CLIENT (\`bench zk --client\`). $(pinning_desc)"
echo "median of $REPEAT run(s) per server and cell. Server CPU µs/op: CPU time of the server process over the run"
echo "(setup and cleanup included) per operation; load generator cores: CPU time of \`zkafka bench zk\` over the"
echo "measured phase divided by its length (medians); other processes' cores: CPU time the rest of the machine used"
echo "during each run (all busy time in /proc/stat minus server and load generator) over its wall time, the"
echo "interference; load1: the 1-minute load average at the start of each run (it counts this run's own threads too)."
echo "A bench run during which other processes used more than $MAX_OTHERS cores was measured again after"
echo "$RETRY_PAUSE s, up to $RETRIES attempts (the last kept); $((RETRY_BUDGET - RETRIES_LEFT)) repeat(s) in all."
echo
# pct SERVER KEY FILTER...: the median over the repeats of a latency key, printed (us).
pct() { us "$(pick "$@" | median)"; }
hdr="| op | clients | zkafka ops/s | Apache ops/s | throughput ratio | zkafka p99 | Apache p99 | p99 ratio |"
sep="|---|---:|---:|---:|---:|---:|---:|---:|"
if [ -n "$RATE" ]; then
  hdr="| op | clients | offered ops/s |${hdr#| op | clients |} p50 (zkafka; Apache) | p99.9 (zkafka; Apache) | load generator send lag p99 (zkafka; Apache) | unsent (zkafka; Apache) |"
  sep="|---|---:|---:|${sep#|---|---:|}---|---|---|---|"
fi
echo "$hdr server CPU µs/op (zkafka; Apache) | load generator cores (zkafka; Apache) | other processes' cores, each run (zkafka; Apache) | load1, each run (zkafka; Apache) | target (${max_clients} clients) |"
echo "$sep---|---|---|---|---|"
for op in $OPS; do
  for c in $CLIENTS; do
    for r in $RATES; do
      cell=("op=$op" "clients=$c" "offered=$r")
      zo=$(pick zkafka ops_per_s "${cell[@]}" | median)
      ao=$(pick apache ops_per_s "${cell[@]}" | median)
      zp=$(pick zkafka p99_us "${cell[@]}" | median)
      ap=$(pick apache p99_us "${cell[@]}" | median)
      zl=$(pick zkafka load1 "${cell[@]}" | tr '\n' ' ' | sed 's/ $//')
      al=$(pick apache load1 "${cell[@]}" | tr '\n' ' ' | sed 's/ $//')
      zc=$(per_op zkafka "$op" "$c" "$r")
      ac=$(per_op apache "$op" "$c" "$r")
      zx=$(others_cores zkafka "$op" "$c" "$r")
      ax=$(others_cores apache "$op" "$c" "$r")
      zg=$(client_cores zkafka "$op" "$c" "$r")
      ag=$(client_cores apache "$op" "$c" "$r")
      tr=$(ratio "$zo" "$ao")
      pr=$(ratio "$zp" "$ap")
      row=$(printf '| %s | %s | %.0f | %.0f | %s× | %s | %s | %s× |' "$op" "$c" "$zo" "$ao" "$tr" "$(us "$zp")" "$(us "$ap")" "$pr")
      target=
      if [ "$r" != 0 ]; then
        zu=$(pick zkafka unsent "${cell[@]}" | paste -sd' ' -)
        au=$(pick apache unsent "${cell[@]}" | paste -sd' ' -)
        row=$(printf '| %s | %s | %s |%s %s; %s | %s; %s | %s; %s | %s; %s |' "$op" "$c" "$r" "${row#| $op | $c |}" \
          "$(pct zkafka p50_us "${cell[@]}")" "$(pct apache p50_us "${cell[@]}")" \
          "$(pct zkafka p999_us "${cell[@]}")" "$(pct apache p999_us "${cell[@]}")" \
          "$(pct zkafka lag_p99_us "${cell[@]}")" "$(pct apache lag_p99_us "${cell[@]}")" "$zu" "$au")
        # At an equal offered rate only latency is compared; a system that fell behind was not offered the rate.
        [ "$c" != "$max_clients" ] || target="p99 ≤ 1.00×: $(verdict "$pr" '<=' 1)"
        if [ -n "$(tr -d ' 0' <<<"$zu$au")" ]; then target="$target (behind: unsent operations)"; fi
      elif [ "$c" = "$max_clients" ]; then
        target="≥ 2.00× throughput: $(verdict "$tr" '>=' 2); p99 ≤ 1.00×: $(verdict "$pr" '<=' 1)"
      fi
      printf '%s %s; %s | %s; %s | %s; %s | %s; %s | %s |\n' "$row" "$zc" "$ac" "$zg" "$ag" "$zx" "$ax" "$zl" "$al" "$target"
    done
  done
done
echo
zr=$(pick zkafka rss_bytes phase=populate)
ar=$(pick apache rss_bytes phase=populate)
zs=$(pick zkafka serving_s phase=restart | median)
as=$(pick apache serving_s phase=restart | median)
zrr=$(pick zkafka rss_bytes phase=restart | tail -1)
arr=$(pick apache rss_bytes phase=restart | tail -1)
rr=$(ratio "$zr" "$ar")
sr=$(ratio "$zs" "$as")
echo "| holding $POPULATE_N znodes of $SIZE bytes | zkafka | Apache | ratio | target |"
echo "|---|---:|---:|---:|---|"
printf '| populate (%s creates, 4 sessions × 32 in flight) | %s s | %s s | %s× | |\n' "$POPULATE_N" \
  "$(pick zkafka elapsed_s phase=populate)" "$(pick apache elapsed_s phase=populate)" \
  "$(ratio "$(pick zkafka elapsed_s phase=populate)" "$(pick apache elapsed_s phase=populate)")"
printf '| RSS right after populating | %s | %s | %s× | ≤ 0.33×: %s |\n' "$(mib "$zr")" "$(mib "$ar")" "$rr" "$(verdict "$rr" '<=' 0.3334)"
printf '| restart-to-serving, median of %s (start command to first getData) | %.2f s | %.2f s | %s× | ≤ 0.50×: %s |\n' \
  "$RESTARTS" "$zs" "$as" "$sr" "$(verdict "$sr" '<=' 0.5)"
printf '| restart-to-serving, each round | %s | %s | | |\n' \
  "$(pick zkafka serving_s phase=restart | sed 's/$/ s/' | paste -sd, - | sed 's/,/, /g')" \
  "$(pick apache serving_s phase=restart | sed 's/$/ s/' | paste -sd, - | sed 's/,/, /g')"
printf '| stop (SIGTERM to exit), median | %.2f s | %.2f s | | |\n' \
  "$(pick zkafka stop_s phase=restart | median)" "$(pick apache stop_s phase=restart | median)"
printf '| RSS when serving after the last restart | %s | %s | %s× | |\n' "$(mib "$zrr")" "$(mib "$arr")" "$(ratio "$zrr" "$arr")"
phase_others() {
  grep -F " server=$1 " "$RESULTS" | grep -F " phase=$2 " |
    while read -r l; do cores "$(kv others_cpu_s <<<" $l")" "$(kv wall_s <<<" $l")"; echo; done | paste -sd' ' -
}
printf "| other processes' cores while populating; each restart | %s; %s | %s; %s | | |\n" \
  "$(phase_others zkafka populate)" "$(phase_others zkafka restart)" "$(phase_others apache populate)" "$(phase_others apache restart)"
echo
echo "Raw results (key=value lines):"
echo
echo '```'
sed 's/^ //' "$RESULTS"
echo '```'
