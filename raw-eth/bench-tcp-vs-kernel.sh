#!/bin/bash
# Our TCP stack over AF_PACKET against the kernel's TCP, kernel to kernel, on the same veth pair
# between two network namespaces, in one run, printed as ratios (a benchmark, not a test: it
# prints figures and fails only when a run fails):
#   tx    bulk throughput, client to server: our stack (TcpBench source over afpacket, V2 rings)
#         or a kernel socket (bench/tcp_peer.c source) sending to a kernel sink in the other
#         namespace; MB/s as the sink measured it (first byte to EOF).
#   rx    bulk throughput, server to client: a kernel source sending to our stack (TcpBench sink)
#         or to a kernel sink in the client's namespace.
#   rtt   echo round trips of SIZE bytes against a kernel echo server: median and 99th percentile
#         of TcpBench pingpong (busy-polled) and of tcp_peer pingpong (blocking reads), each after
#         ITERS/10 round trips of warm-up.
# Goal on this veth: ours >= 0.5x the kernel's tx and rx throughput (issue #11).
# Each case runs ROUNDS times, kernel and ours alternating; medians are compared.
#
# The link: a veth pair created here (removed on exit), IPv6 off, offloads off on both ends
# (ethtool -K tx off tso off gso off: AF_PACKET cannot take the kernel's unfilled checksums and
# GSO frames, docs/raw-eth.md; the kernel runs use the same setting), receive steering (RPS) of
# the client's end to one CPU so the link keeps segments in order (docs/tcp.md).
# Each side as it would be deployed (docs/tcp.md, "Benchmark"):
#   - The kernel's TCP hands the veth 64 KB GSO packets whatever ethtool says (Linux >= 4.19
#     always builds them) and the veth cuts them in software (skb_segment, seen with perf). Ours
#     does the same through PACKET_VNET_HDR (TcpBench opens afpacket:IF,ring=v2,tso): the same
#     kernel code cuts them.
#   - The client's veth has an IPv4 address only for the kernel runs. In ours the interface is
#     our stack's: an nftables netdev ingress chain drops every frame after AF_PACKET has taken
#     its copy, so the namespace's IP layer does not route and drop each one again.
#
# Usage: raw-eth/bench-tcp-vs-kernel.sh   (as root; builds raw-eth's test classes with Maven and
# bench/tcp_peer.c with gcc)
# Environment: ROUNDS (3), BYTES (1073741824: in a smaller run JIT warm-up is a visible share),
# SIZE (64), ITERS (20000), BENCH_NO_BUILD=1 (skip mvn), JVERBS_JAVA_OPTS (-XX:+UseSerialGC),
# JAVA_HOME.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
rounds=${ROUNDS:-3} bytes=${BYTES:-1073741824} size=${SIZE:-64} iters=${ITERS:-20000}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
java_opts=${JVERBS_JAVA_OPTS--XX:+UseSerialGC}
out=$here/raw-eth/target/bench
mkdir -p "$out"

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, AF_PACKET)" >&2; exit 1; }
for t in ip ethtool gcc nft; do command -v $t >/dev/null || { echo "$t not found" >&2; exit 1; }; done
if [ -z "${BENCH_NO_BUILD:-}" ]; then
    (cd "$here" && PATH=$JAVA_HOME/bin:$PATH mvn -B -q -o -pl raw-eth -am test-compile dependency:build-classpath \
        -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test >"$out/mvn-tcp.log" 2>&1) \
        || { cat "$out/mvn-tcp.log"; echo "mvn test-compile failed" >&2; exit 1; }
fi
gcc -O2 -Wall -o "$out/tcp_peer" "$here/raw-eth/bench/tcp_peer.c" || { echo "gcc tcp_peer.c failed" >&2; exit 1; }
peer=$out/tcp_peer
cp="$here/raw-eth/target/test-classes:$here/raw-eth/target/classes:$(cat "$here/raw-eth/target/cp.txt")"

# --- the link ---------------------------------------------------------------------------------
log=$out/tcp.$$
. "$here/raw-eth/bench/veth-link.sh"
veth_link jvt
ip_s=10.79.0.1 ip_c=10.79.0.2
in_c sh -c "echo 1 > /sys/class/net/$if_c/queues/rx-0/rps_cpus"
ip -n "$ns_s" addr add "$ip_s/24" dev "$if_s"

client_address() {   # on|off: the client namespace's kernel owns ip_c (kernel runs) or our stack owns if_c
    if [ "$1" = on ]; then
        in_c nft delete table netdev jvstack 2>/dev/null
        ip -n "$ns_c" addr add "$ip_c/24" dev "$if_c"
    else
        ip -n "$ns_c" addr flush dev "$if_c"
        # the interface is our stack's: the kernel drops its frames after AF_PACKET has seen them
        # (docs/tcp.md, "Giving an interface to the stack")
        in_c nft -f - <<NFT || exit 1
table netdev jvstack {
    chain in { type filter hook ingress device "$if_c" priority 0; policy drop; }
}
NFT
    fi
    ip -n "$ns_s" neigh flush dev "$if_s"
}

failed=0
wait_for() {   # wait_for FILE TEXT: up to 30 s for a server to print TEXT
    for _ in $(seq 1 300); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
failed_run() {
    { echo "FAILED: $1"; for f in "$log".*; do echo "--- $f"; cat "$f"; done; } >&2
    failed=1
}
ours() { in_c timeout 300 "$JAVA_HOME/bin/java" $java_opts --enable-native-access=ALL-UNNAMED -cp "$cp" io.jverbs.raweth.linux.TcpBench "$@"; }

# tx WHO: a kernel sink in ns_s; the client (kernel or ours) sends; prints MB/s
tx() {
    rm -f "$log".*
    in_s timeout 300 "$peer" sink 5201 >"$log.sink" 2>&1 &
    local spid=$!
    wait_for "$log.sink" ready || { kill $spid; wait $spid; failed_run "sink"; echo nan; return; }
    if [ "$1" = kernel ]; then
        in_c timeout 300 "$peer" source "$ip_s" 5201 "$bytes" >"$log.client" 2>&1
    else
        ours source "$if_c" "$ip_c/24" "$ip_s" 5201 "$bytes" >"$log.client" 2>&1
    fi
    local crc=$?
    wait $spid
    local src=$?
    [ $crc -eq 0 ] && [ $src -eq 0 ] || { failed_run "tx $1 (client $crc, sink $src)"; echo nan; return; }
    tail -1 "$log.sink" | awk '{ print $3 }'
}

# rx WHO: a kernel source in ns_s sends to a sink in ns_c (kernel or ours); prints MB/s
rx() {
    rm -f "$log".*
    if [ "$1" = kernel ]; then
        in_c timeout 300 "$peer" sink 5202 >"$log.sink" 2>&1 &
    else
        ours sink "$if_c" "$ip_c/24" 5202 >"$log.sink" 2>&1 &
    fi
    local spid=$!
    [ "$1" = kernel ] && { wait_for "$log.sink" ready || { kill $spid; wait $spid; failed_run "rx sink"; echo nan; return; }; }
    in_s timeout 300 "$peer" source "$ip_c" 5202 "$bytes" >"$log.client" 2>&1
    local crc=$?
    wait $spid
    local src=$?
    [ $crc -eq 0 ] && [ $src -eq 0 ] || { failed_run "rx $1 (source $crc, sink $src)"; echo nan; return; }
    tail -1 "$log.sink" | awk '{ print $3 }'
}

# rtt WHO: a kernel echo server in ns_s; prints "median p99" (us)
rtt() {
    rm -f "$log".*
    in_s timeout 300 "$peer" echo 5203 >"$log.echo" 2>&1 &
    local spid=$!
    wait_for "$log.echo" ready || { kill $spid; wait $spid; failed_run "echo"; echo nan nan; return; }
    if [ "$1" = kernel ]; then
        in_c timeout 300 "$peer" pingpong "$ip_s" 5203 "$size" "$iters" >"$log.client" 2>&1
    else
        ours pingpong "$if_c" "$ip_c/24" "$ip_s" 5203 "$size" "$iters" >"$log.client" 2>&1
    fi
    local crc=$?
    wait $spid
    [ $crc -eq 0 ] || { failed_run "rtt $1 ($crc)"; echo nan nan; return; }
    tail -1 "$log.client"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print v[int((NR + 1) / 2)] }'; }

declare -A res
for r in $(seq 1 "$rounds"); do
    for who in kernel ours; do
        client_address $([ $who = kernel ] && echo on || echo off)
        res[tx.$who]+="$(tx $who) "
        res[rx.$who]+="$(rx $who) "
        read -r m p < <(rtt $who)
        res[rtt.$who]+="$m "
        res[p99.$who]+="$p "
        echo "round $r $who: tx $(echo ${res[tx.$who]} | awk '{ print $NF }') rx $(echo ${res[rx.$who]} | awk '{ print $NF }') rtt $m p99 $p" >&2
    done
done
med() { echo "${res[$1]}" | tr ' ' '\n' | grep -v '^$' | median; }
printf '\nTCP over a veth, %s B bulk, %s B echo x %s, %s rounds (medians)\n' "$bytes" "$size" "$iters" "$rounds"
printf '%-22s %12s %12s %12s\n' "" kernel ours "ours/kernel"
for k in tx rx; do
    a=$(med $k.kernel) b=$(med $k.ours)
    printf '%-22s %12s %12s %12s\n' "$k MB/s" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')"
done
for k in rtt p99; do
    a=$(med $k.kernel) b=$(med $k.ours)
    printf '%-22s %12s %12s %12s\n' "$k us" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')"
done
exit $failed
