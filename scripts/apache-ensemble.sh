#!/bin/bash
# apache-ensemble.sh N DIR [CLIENT_PORT...]: starts an ensemble of N Apache ZooKeeper 3.8 servers (Debian's
# `zookeeper` package, Java 17) on 127.0.0.1, the reference to compare zkafka's ensemble with. Settings as
# ../shared/tools/apache-zookeeper.sh uses for one server (all 4lw, TTL nodes, containers swept every second,
# admin server off, -Xmx512m), plus server.i=127.0.0.1:QUORUM:ELECTION;CLIENT lines. Client ports are the
# ones given, or free ports; quorum and election ports are picked free. Server i lives in DIR/s<i> (zoo.cfg,
# data/myid, server.out, pid). Prints "i client_port pid" per server once every server reports a Mode of
# leader or follower (srvr). Stop them all with: kill $(cat DIR/s*/pid).
# Installs the Debian packages when they are missing.
# Environment: JAVA_OPTS is added to every server's java command line (e.g. -Dreadonlymode.enabled=true);
# ZOO_CFG_EXTRA holds extra zoo.cfg lines for every server (e.g. "reconfigEnabled=true").
set -eu
N=${1:?usage: apache-ensemble.sh N DIR [CLIENT_PORT...]}
DIR=${2:?usage: apache-ensemble.sh N DIR [CLIENT_PORT...]}
shift 2
if [ ! -r /usr/share/java/zookeeper.jar ]; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper zookeeper-bin >/dev/null
fi
freeport() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
fourlw() { python3 -c 'import socket,sys
try:
  s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),3);s.sendall(sys.argv[2].encode());d=b""
  while True:
    b=s.recv(65536)
    if not b: break
    d+=b
  print(d.decode(),end="")
except Exception: pass' "$1" "$2"; }
declare -a CP QP EP
for i in $(seq 1 "$N"); do
  CP[$i]=${1:-$(freeport)}
  [ $# -gt 0 ] && shift
  QP[$i]=$(freeport)
  EP[$i]=$(freeport)
done
mkdir -p "$DIR"
cat >"$DIR/log4j.properties" <<'L4J'
log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n
L4J
for i in $(seq 1 "$N"); do
  d="$DIR/s$i"
  mkdir -p "$d/data"
  echo "$i" >"$d/data/myid"
  {
    echo "tickTime=2000"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$d/data"
    echo "clientPort=${CP[$i]}"
    echo "clientPortAddress=127.0.0.1"
    echo "maxClientCnxns=0"
    echo "4lw.commands.whitelist=*"
    echo "extendedTypesEnabled=true"
    echo "admin.enableServer=false"
    [ -n "${ZOO_CFG_EXTRA:-}" ] && printf '%s\n' "$ZOO_CFG_EXTRA"
    for j in $(seq 1 "$N"); do echo "server.$j=127.0.0.1:${QP[$j]}:${EP[$j]};127.0.0.1:${CP[$j]}"; done
  } >"$d/zoo.cfg"
  nohup java -Xmx512m -Dzookeeper.4lw.commands.whitelist='*' -Dzookeeper.extendedTypesEnabled=true \
    -Dznode.container.checkIntervalMs=1000 -Dzookeeper.admin.enableServer=false \
    -Dlog4j.configuration="file:$DIR/log4j.properties" ${JAVA_OPTS:-} \
    -cp "$d:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/zoo.cfg" >"$d/server.out" 2>&1 </dev/null &
  echo $! >"$d/pid"
done
for _ in $(seq 1 300); do
  ready=0
  for i in $(seq 1 "$N"); do
    pid=$(cat "$DIR/s$i/pid")
    kill -0 "$pid" 2>/dev/null || { echo "ZooKeeper server $i exited:" >&2; tail -5 "$DIR/s$i/server.out" >&2; kill $(cat "$DIR"/s*/pid) 2>/dev/null; exit 1; }
    if fourlw "${CP[$i]}" srvr | grep -Eq '^Mode: (leader|follower)'; then ready=$((ready + 1)); fi
  done
  if [ "$ready" -eq "$N" ]; then
    for i in $(seq 1 "$N"); do echo "$i ${CP[$i]} $(cat "$DIR/s$i/pid")"; done
    exit 0
  fi
  sleep 0.2
done
echo "the ensemble did not form within 60 s" >&2
kill $(cat "$DIR"/s*/pid) 2>/dev/null
exit 1
