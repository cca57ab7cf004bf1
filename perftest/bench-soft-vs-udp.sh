#!/bin/bash
# jperf on the soft device, soft <-> soft on this host, against the physical limit here: plain
# UDP datagrams of the same size between two processes (perftest/bench/udp_peer.c), in one run,
# printed as ratios (a benchmark, not a test: it prints figures and fails only when a run fails).
#   write_bw  jperf write_bw -s SIZE at path MTU 1024 (client's BW average) against udp_peer
#             source -> sink moving the same number of datagrams of 1040 bytes (BTH 12 + 1024 bytes
#             of payload + ICRC 4, what the soft device sends for a WRITE middle packet), counted as
#             1024 payload bytes each (the sink's rate, first to last datagram; what the kernel
#             dropped is not counted). Goal (issue #13): soft >= 0.8x UDP.
#   send_lat  jperf send_lat -s 2 (client's t_typical: median half round trip) against udp_peer
#             ping/echo with datagrams of 20 bytes (BTH 12 + 2 + pad 2 + ICRC 4), median half round
#             trip; printed as soft/UDP (1.0 = the kernel's own UDP round trip).
# Server sides on 127.23.0.1 (jsoft0), clients on 127.23.0.2 (jsoft1): two JVMs, one soft device
# each (a device binds its address's UDP port 4791). Each case runs ROUNDS times, UDP and soft
# alternating; medians are compared.
#
# Usage: perftest/bench-soft-vs-udp.sh   (no root; builds jperf with Maven, udp_peer.c with gcc)
# Environment: ROUNDS (3), SIZE (65536), BW_ITERS (2000), LAT_ITERS (5000), BENCH_NO_BUILD=1
# (skip mvn), JVERBS_JAVA_OPTS (-XX:+UseSerialGC), JAVA_HOME.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
rounds=${ROUNDS:-3} size=${SIZE:-65536} bw_iters=${BW_ITERS:-2000} lat_iters=${LAT_ITERS:-5000}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
java_opts=${JVERBS_JAVA_OPTS--XX:+UseSerialGC}
out=$here/perftest/target/bench
mkdir -p "$out"
ip_s=127.23.0.1 ip_c=127.23.0.2 mtu=1024
# PIN=1 (the default with 2 CPUs or more): the server side (UDP sink/echo, jperf server) on CPU 0
# and the client side on CPU 1, for UDP and soft alike. Unpinned, the scheduler sometimes puts both
# UDP processes on one CPU, and the baseline swings between ~90 and ~280 MiB/s from run to run.
pin_s=() pin_c=()
if [ "${PIN:-$([ "$(nproc)" -ge 2 ] && echo 1 || echo 0)}" = 1 ]; then pin_s=(taskset -c 0) pin_c=(taskset -c 1); fi

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    (cd "$here" && PATH=$JAVA_HOME/bin:$PATH mvn -B -q -o -pl perftest -am package -DskipTests \
        -Dmaven.javadoc.skip=true >"$out/mvn-soft.log" 2>&1) || { cat "$out/mvn-soft.log"; echo "mvn package failed" >&2; exit 1; }
fi
gcc -O2 -Wall -o "$out/udp_peer" "$here/perftest/bench/udp_peer.c" || { echo "gcc udp_peer.c failed" >&2; exit 1; }
udp=$out/udp_peer
log=$out/soft.$$

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# jperf TEST ARGS...: server on jsoft0 and client on jsoft1; the client's output in $log.c
jperf_pair() {
    local test=$1; shift
    local port; port=$(free_port)
    JVERBS_JAVA_OPTS="$java_opts -Djverbs.soft.devices=jsoft0=$ip_s -Djperf.acceptSeconds=60" \
        "${pin_s[@]}" "$here/jperf" "$test" -d jsoft0 -m $mtu -p "$port" "$@" >"$log.s" 2>&1 &
    local spid=$!
    JVERBS_JAVA_OPTS="$java_opts -Djverbs.soft.devices=jsoft1=$ip_c" \
        "${pin_c[@]}" "$here/jperf" "$test" -d jsoft1 -m $mtu -p "$port" "$@" 127.0.0.1 >"$log.c" 2>&1
    local rc=$?
    wait $spid || rc=1
    [ $rc = 0 ] || { echo "jperf $test $* failed:" >&2; cat "$log.s" "$log.c" >&2; }
    return $rc
}

# The first row after the table header, field $1 (1 = #bytes).
row_field() { awk -v f="$1" '/#bytes/ { getline; print $f; exit }' "$log.c"; }

soft_bw() { jperf_pair write_bw -s "$size" -n "$bw_iters" && row_field 4; }
soft_lat() { jperf_pair send_lat -s 2 -n "$lat_iters" && row_field 5; }

udp_bw() {
    local port; port=$(free_port)
    local count=$(( bw_iters * ((size + mtu - 1) / mtu) ))
    "${pin_s[@]}" "$udp" sink $ip_s "$port" $count >"$log.u" &
    local spid=$!
    sleep 0.2
    "${pin_c[@]}" "$udp" source $ip_c $ip_s "$port" $((mtu + 16)) $count >/dev/null || return 1
    wait $spid || return 1
    # sink DATAGRAMS BYTES SECONDS -> MiB/s of payload
    awk -v m=$mtu '{ if ($4 > 0) printf "%.2f\n", $2 * m / $4 / 1048576; else print "nan" }' "$log.u"
    awk -v c=$count '{ printf "  udp: %d of %d datagrams arrived\n", $2, c > "/dev/stderr" }' "$log.u"
}

udp_lat() {
    local port; port=$(free_port)
    "${pin_s[@]}" "$udp" echo $ip_s "$port" &
    local epid=$!
    sleep 0.2
    "${pin_c[@]}" "$udp" ping $ip_c $ip_s "$port" 20 "$lat_iters" >"$log.u" || { kill $epid; return 1; }
    wait $epid
    awk '{ print $3 }' "$log.u"
}

median() { printf '%s\n' "$@" | grep -v nan | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

bw_u=() bw_s=() lat_u=() lat_s=()
for r in $(seq 1 "$rounds"); do
    echo "round $r of $rounds" >&2
    v=$(udp_bw) || v=nan; bw_u+=("$v"); echo "  udp  write_bw-sized: $v MiB/s" >&2
    v=$(soft_bw) || v=nan; bw_s+=("$v"); echo "  soft write_bw $size B: $v MiB/s" >&2
    v=$(udp_lat) || v=nan; lat_u+=("$v"); echo "  udp  ping 20 B: $v usec" >&2
    v=$(soft_lat) || v=nan; lat_s+=("$v"); echo "  soft send_lat 2 B: $v usec" >&2
done
rm -f "$log".*

bu=$(median "${bw_u[@]}") bs=$(median "${bw_s[@]}") lu=$(median "${lat_u[@]}") ls=$(median "${lat_s[@]}")
echo "soft <-> soft vs plain UDP on this host ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)), $rounds rounds, medians"
awk -v u="$bu" -v s="$bs" -v z="$size" 'BEGIN { r = (u > 0 && s == s + 0) ? s / u : 0;
    printf "write_bw %-6d  UDP %9.2f MiB/s  soft %9.2f MiB/s  soft/UDP %.3f (goal >= 0.8: %s)\n", z, u, s, r, (r >= 0.8 ? "met" : "NOT met") }'
awk -v u="$lu" -v s="$ls" 'BEGIN { r = (u > 0) ? s / u : 0;
    printf "send_lat 2       UDP %9.2f usec   soft %9.2f usec   soft/UDP %.2f (median half round trip)\n", u, s, r }'
