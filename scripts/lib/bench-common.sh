# bench-common.sh: the shell shared by scripts/bench-keeper.sh and scripts/bench-ensemble.sh,
# sourced by them after they set their settings; not a script to run.
#
# The sourcing script provides:
#   WORK                its temporary directory (removed on exit unless KEEP_WORK=1 or it failed)
#   ROOT                the checkout (zkafka is built from it when ZKAFKA is not set)
#   RESULTS             the file of result lines (" <RESULT_KEY>=<system> ... key=value ...")
#   RESULT_KEY          the key naming the system on a result line: server (keeper) or system (ensemble)
#   stop_servers        a function stopping every server it started (called on exit)
#   pids_of SYSTEM      the system's server pids, space-separated
#   servers_of SYSTEM   the system's client addresses, host:port[,host:port...]
#   BENCH_CLIENT, SIZE, MAX_OTHERS, RETRIES, RETRY_BUDGET, RETRY_PAUSE  (see the scripts' headers)
# and gets: logging, process and port helpers, the zkafka binary (build_zkafka), CPU accounting
# (cpu_ticks, machine_ticks, with_cpu), one measured `bench zk` run (bench), the interference retry
# (retry_or_keep) and the report's helpers (pick, runs, median, ratio, us, num, verdict, per_op,
# others_cores).

# Pinning: SERVER_CPUS and CLIENT_CPUS are taskset CPU lists (e.g. 1 and 0) for the servers and for
# the load generator (bench runs, populating, restart probes); empty (the default) pins nothing, so
# every process may run on every core. Pinning both systems' servers to the same cores and the load
# generator to the others keeps the load generator from taking CPU from the server it measures, and
# keeps the operating system from time-slicing the two on one core (which sets the latency tail when
# they share every core). Go and the JVM both size themselves to the CPUs they are allowed.
SERVER_PIN=()
CLIENT_PIN=()
[ -z "${SERVER_CPUS:-}" ] || SERVER_PIN=(taskset -c "$SERVER_CPUS")
[ -z "${CLIENT_CPUS:-}" ] || CLIENT_PIN=(taskset -c "$CLIENT_CPUS")
# pinning_desc: one sentence on the pinning, for the report.
pinning_desc() {
  if [ -z "${SERVER_CPUS:-}${CLIENT_CPUS:-}" ]; then
    echo "No CPU pinning: the servers and the load generator may all run on every core."
  else
    echo "CPU pinning (taskset): servers on CPU(s) ${SERVER_CPUS:-any}, load generator on CPU(s) ${CLIENT_CPUS:-any}."
  fi
}

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# stop_pid PID: SIGTERM, then wait up to 60 s (SIGKILL after that).
stop_pid() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 600); do
    kill -0 "$pid" 2>/dev/null || return 0
    # A zombie has exited once no thread but its leader is left (a JVM's leader can be Z first).
    [ "$(awk '$1 == "State:" { s = $2 } $1 == "Threads:" { t = $2 } END { print s t }' "/proc/$pid/status" 2>/dev/null)" = Z1 ] && return 0
    sleep 0.1
  done
  log "process $pid ignored SIGTERM for 60 s: SIGKILL"
  kill -9 "$pid" 2>/dev/null || true
}

# cleanup: on exit, stop the servers (stop_servers) and remove WORK unless it is to be kept.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_servers
  if [ "${KEEP_WORK:-}" = 1 ] || [ "$rc" != 0 ]; then
    log "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# kv KEY: the value of KEY in the key=value line on stdin.
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" | head -1; }

load1() { cut -d' ' -f1 /proc/loadavg; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# build_zkafka: unless ZKAFKA is set, build zkafka from ROOT into WORK; sets ZKAFKA and ZKAFKA_DESC.
build_zkafka() {
  if [ -z "${ZKAFKA:-}" ]; then
    ZKAFKA=$WORK/zkafka-bin
    log "building zkafka from $ROOT"
    (cd "$ROOT" && go build -o "$ZKAFKA" ./cmd/zkafka) || die "go build"
  fi
  [ -x "$ZKAFKA" ] || die "ZKAFKA=$ZKAFKA is not executable"
  ZKAFKA_DESC=${ZKAFKA_DESC:-$ZKAFKA built from $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && if [ -n "$(git status --porcelain 2>/dev/null)" ]; then echo ' with local changes'; fi)}
}

# --- CPU accounting ----------------------------------------------------------------------------

# cpu_ticks PID...: user + system CPU time of the PIDs (all their threads) in clock ticks.
cpu_ticks() { local p; for p in "$@"; do sed 's/.*) //' "/proc/$p/stat"; done | awk '{ t += $12 + $13 } END { print t + 0 }'; }
HZ=$(getconf CLK_TCK)
# machine_ticks: busy CPU time of the whole machine (all but idle and iowait) in clock ticks.
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# with_cpu OUT T0 T1 M0 M1 W0 W1: OUT (a key=value line with client_cpu_s) followed by server_cpu_s
# (the servers' ticks T1 - T0), others_cpu_s (the machine's busy ticks M1 - M0 minus the servers' and
# the client's CPU time, at least 0) and wall_s (W1 - W0).
with_cpu() {
  awk -v out="$1" -v a="$2" -v b="$3" -v ma="$4" -v mb="$5" -v wa="$6" -v wb="$7" -v hz="$HZ" \
    -v c="$(kv client_cpu_s <<<" $1")" 'BEGIN {
      srv = (b - a) / hz; other = (mb - ma) / hz - srv - c; if (other < 0) other = 0
      printf "%s server_cpu_s=%.2f others_cpu_s=%.2f wall_s=%.2f\n", out, srv, other, wb - wa }'
}

# bench SYSTEM OP CLIENTS DURATION [RATE]: one `bench zk` run against the system's servers, a closed
# loop, or with RATE (above 0) an open loop at RATE operations a second (`bench zk --rate`); prints its
# key=value line followed by server_cpu_s (the CPU time the servers used from the run's start to its
# end, sessions, setup and cleanup included), others_cpu_s (the CPU time every process on the machine
# used over the call, minus the servers' and the load generator's, whose setup and cleanup, outside
# its measured phase, count as others': what other work took from the shared cores) and wall_s.
bench() {
  local t0 t1 m0 m1 w0 w1 out rate=()
  [ "${5:-0}" = 0 ] || rate=(--rate "$5")
  # shellcheck disable=SC2046
  m0=$(machine_ticks); w0=$(date +%s.%N); t0=$(cpu_ticks $(pids_of "$1"))
  out=$(timeout 600 "${CLIENT_PIN[@]}" "$ZKAFKA" bench zk --server "$(servers_of "$1")" --client "$BENCH_CLIENT" --op "$2" \
    --clients "$3" "${rate[@]}" --size "$SIZE" --duration "$4" --format kv 2>>"$WORK/bench.log") || return 1
  # shellcheck disable=SC2046
  t1=$(cpu_ticks $(pids_of "$1")); m1=$(machine_ticks); w1=$(date +%s.%N)
  with_cpu "$out" "$t0" "$t1" "$m0" "$m1" "$w0" "$w1"
}

# --- interference ------------------------------------------------------------------------------

# cores CPU_S WALL_S: CPU seconds over wall seconds; busy OTHERS_CPU_S WALL_S: true when other
# processes used more than MAX_OTHERS cores.
cores() { awk -v c="$1" -v w="$2" 'BEGIN { printf "%.2f", (w > 0) ? c / w : 0 }'; }
busy() { awk -v c="$(cores "$1" "$2")" -v m="$MAX_OTHERS" 'BEGIN { exit !(c > m) }'; }
RETRIES_LEFT=$RETRY_BUDGET

# retry_or_keep WHAT OTHERS_CPU_S WALL_S ATTEMPT: decides, after a measurement, whether to measure
# again because other processes took more than MAX_OTHERS cores meanwhile (exit 0: again).
retry_or_keep() {
  busy "$2" "$3" || return 1
  if [ "$4" -ge "$RETRIES" ] || [ "$RETRIES_LEFT" -le 0 ]; then
    log "$1: other processes used $(cores "$2" "$3") cores; out of retries, keeping it"
    return 1
  fi
  RETRIES_LEFT=$((RETRIES_LEFT - 1))
  log "$1: other processes used $(cores "$2" "$3") cores (> $MAX_OTHERS): again in $RETRY_PAUSE s"
  sleep "$RETRY_PAUSE"
  return 0
}

# --- report ------------------------------------------------------------------------------------

# pick SYSTEM KEY [FILTER...]: the values of KEY on the result lines of SYSTEM matching every FILTER.
pick() {
  local s=$1 key=$2
  shift 2
  local lines
  lines=$(grep -F " $RESULT_KEY=$s " "$RESULTS" || true)
  for f in "$@"; do lines=$(grep -F " $f " <<<"$lines" || true); done
  while read -r l; do if [ -n "$l" ]; then kv "$key" <<<" $l"; fi; done <<<"$lines"
}
# runs SYSTEM OP CLIENTS [OFFERED]: the bench result lines of one cell; with OFFERED, only those whose
# line says offered=OFFERED (the script's own note of the open loop's rate, 0 for a closed loop).
runs() {
  # Without OFFERED the pattern is empty, and an empty pattern matches every line.
  grep -F " $RESULT_KEY=$1 " "$RESULTS" | grep -F " op=$2 " | grep -F " clients=$3 " | grep -F -e "${4:+ offered=$4 }" |
    grep -vF " phase=" || true
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
us() { awk -v v="$1" 'BEGIN { if (v == "nan") print "-"; else if (v >= 1000) printf "%.2f ms", v / 1000; else printf "%d µs", v }'; }
num() { awk -v v="$1" 'BEGIN { if (v == "nan") print "-"; else printf "%.0f", v }'; }
# verdict RATIO OP TARGET: "met" when RATIO OP TARGET holds (OP one of >=, <=, <).
verdict() {
  awk -v r="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (r == "n/a") { print "not measured"; exit }
    ok = (op == ">=") ? r >= t : (op == "<=") ? r <= t : r < t; print ok ? "met" : "NOT met" }'
}
# per_op SYSTEM OP CLIENTS: median over the repeats of the servers' CPU µs per operation.
per_op() {
  runs "$@" |
    while read -r l; do awk -v c="$(kv server_cpu_s <<<" $l")" -v n="$(kv ops <<<" $l")" 'BEGIN { print c * 1e6 / n }'; done |
    median | awk '{ if ($1 == "nan") print "-"; else printf "%.0f", $1 }'
}
# others_cores SYSTEM OP CLIENTS: CPU cores other processes used during each repeat.
others_cores() {
  runs "$@" |
    while read -r l; do cores "$(kv others_cpu_s <<<" $l")" "$(kv wall_s <<<" $l")"; echo; done | paste -sd' ' -
}
