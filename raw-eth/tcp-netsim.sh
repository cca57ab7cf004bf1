#!/bin/bash
# The TCP netsim table (a benchmark, not a test): two stacks over MemoryPair + FaultInjector on
# virtual time, throughput by socket buffer size x loss rate, printed as a Markdown table
# (io.jverbs.raweth.socket.TcpNetsim; docs/tcp.md keeps the last one).
# Usage: raw-eth/tcp-netsim.sh [-Dnetsim.bytes=N] [-Dnetsim.seed=S]
# Environment: BENCH_NO_BUILD=1 (skip mvn), JAVA_HOME.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$here"
if [ -z "${BENCH_NO_BUILD:-}" ]; then
    PATH=$JAVA_HOME/bin:$PATH mvn -B -q -o -pl raw-eth -am test-compile dependency:build-classpath \
        -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test >/dev/null
fi
exec "$JAVA_HOME/bin/java" -XX:+UseSerialGC "$@" \
    -cp "raw-eth/target/test-classes:raw-eth/target/classes:$(cat raw-eth/target/cp.txt)" io.jverbs.raweth.socket.TcpNetsim
