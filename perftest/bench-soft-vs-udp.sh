#!/bin/bash
# jperf on the soft device, soft <-> soft on this host, against the physical limit here: plain
# UDP datagrams of the same size between two processes (perftest/bench/udp_peer.c), in one run,
# printed as ratios (a benchmark, not a test: it prints figures and fails only when a run fails).
#   write_bw  jperf write_bw -s SIZE at path MTU 1024 for BW_SECONDS with BW_MARGIN seconds left
#             out at both ends (perftest's own -D/-f: the client's BW average over the steady
#             middle, without the JVM's warm-up, which at 2000 iterations was a third of the run)
#             against udp_peer source -> sink moving BW_ITERS x SIZE/1024 datagrams of 1040 bytes
#             (BTH 12 + 1024 bytes of payload + ICRC 4, what the soft device sends for a WRITE
#             middle packet), counted as 1024 payload bytes each (the sink's rate, first to last
#             datagram; what the kernel dropped is not counted; C has no warm-up). Goal (issue
#             #13): soft >= 0.8x UDP. Run twice per round: with the progress threads as they
#             are by default (asleep in their selector when the socket is empty) and busy-polling
#             for BUSY_POLL microseconds after each datagram (-Djverbs.soft.busyPollMicros): a
#             sleeping receiver costs the sender a wake-up per burst, which busy-polling saves
#             when the host has the CPU for it (not on a host crowded with other work).
#   send_lat  jperf send_lat -s 2 (client's t_typical: median half round trip) against udp_peer
#             ping/echo with datagrams of 20 bytes (BTH 12 + 2 + pad 2 + ICRC 4), median half round
#             trip; printed as soft/UDP (1.0 = the kernel's own UDP round trip).
# Server sides on 127.23.0.1 (jsoft0), clients on 127.23.0.2 (jsoft1): two JVMs, one soft device
# each (a device binds its address's UDP port 4791). Each case runs ROUNDS times, UDP and soft
# alternating; medians are compared.
#
# Usage: perftest/bench-soft-vs-udp.sh   (no root; builds jperf with Maven, udp_peer.c with gcc)
# Environment: ROUNDS (3), SIZE (65536), BW_SECONDS (8), BW_MARGIN (2), BW_ITERS (20000),
# LAT_ITERS (5000), BUSY_POLL (200; 0: no busy-polling rows), PIN (0; 1: server side on CPU 0,
# client side on CPU 1), BENCH_NO_BUILD=1 (skip mvn), JVERBS_JAVA_OPTS
# (-XX:+UseSerialGC), JAVA_HOME.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
rounds=${ROUNDS:-3} size=${SIZE:-65536} bw_iters=${BW_ITERS:-20000} bw_seconds=${BW_SECONDS:-8} bw_margin=${BW_MARGIN:-2} busy_poll=${BUSY_POLL:-200} lat_iters=${LAT_ITERS:-5000}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
java_opts=${JVERBS_JAVA_OPTS--XX:+UseSerialGC}
out=$here/perftest/target/bench
mkdir -p "$out"
ip_s=127.23.0.1 ip_c=127.23.0.2 mtu=1024
# PIN=1: the server side (UDP sink/echo, jperf server) on CPU 0 and the client side on CPU 1, for
# UDP and soft alike. It steadies UDP on a host where other work runs (unpinned, the scheduler
# sometimes puts both UDP processes on one CPU, and the baseline then halves), but it also puts a
# JVM's posting and progress threads on one CPU. Off by default.
pin_s=() pin_c=()
if [ "${PIN:-0}" = 1 ]; then pin_s=(taskset -c 0) pin_c=(taskset -c 1); fi
extra_opts=

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
    JVERBS_JAVA_OPTS="$java_opts $extra_opts -Djverbs.soft.devices=jsoft0=$ip_s -Djperf.acceptSeconds=60" \
        "${pin_s[@]}" "$here/jperf" "$test" -d jsoft0 -m $mtu -p "$port" "$@" >"$log.s" 2>&1 &
    local spid=$!
    JVERBS_JAVA_OPTS="$java_opts $extra_opts -Djverbs.soft.devices=jsoft1=$ip_c" \
        "${pin_c[@]}" "$here/jperf" "$test" -d jsoft1 -m $mtu -p "$port" "$@" 127.0.0.1 >"$log.c" 2>&1
    local rc=$?
    wait $spid || rc=1
    [ $rc = 0 ] || { echo "jperf $test $* failed:" >&2; cat "$log.s" "$log.c" >&2; }
    return $rc
}

# The first result row after the table header, field $1 (1 = #bytes).
# (In a -D run, per-second lines "[ 1.0 s] BW ..." come between the header and the row.)
row_field() { awk -v f="$1" '/#bytes/ { h = 1; next } h && $1 ~ /^[0-9]+$/ { print $f; exit }' "$log.c"; }

soft_bw() { jperf_pair write_bw -s "$size" -D "$bw_seconds" -f "$bw_margin" && row_field 4; }
soft_bw_busy() { extra_opts="-Djverbs.soft.busyPollMicros=$busy_poll" soft_bw; }
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

bw_u=() bw_s=() bw_b=() lat_u=() lat_s=()
for r in $(seq 1 "$rounds"); do
    echo "round $r of $rounds" >&2
    v=$(udp_bw) || v=nan; bw_u+=("$v"); echo "  udp  write_bw-sized: $v MiB/s" >&2
    v=$(soft_bw) || v=nan; bw_s+=("$v"); echo "  soft write_bw $size B: $v MiB/s" >&2
    if [ "$busy_poll" != 0 ]; then
        v=$(soft_bw_busy) || v=nan; bw_b+=("$v"); echo "  soft write_bw $size B, busy-poll $busy_poll us: $v MiB/s" >&2
    fi
    v=$(udp_lat) || v=nan; lat_u+=("$v"); echo "  udp  ping 20 B: $v usec" >&2
    v=$(soft_lat) || v=nan; lat_s+=("$v"); echo "  soft send_lat 2 B: $v usec" >&2
done
rm -f "$log".*

bu=$(median "${bw_u[@]}") bs=$(median "${bw_s[@]}") lu=$(median "${lat_u[@]}") ls=$(median "${lat_s[@]}")
echo "soft <-> soft vs plain UDP on this host ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)), $rounds rounds, medians"
bw_row() {
    awk -v u="$bu" -v s="$1" -v z="$size" -v what="$2" 'BEGIN { r = (u > 0 && s == s + 0) ? s / u : 0;
        printf "write_bw %-6d  UDP %9.2f MiB/s  soft %9.2f MiB/s  soft/UDP %.3f (goal >= 0.8: %s)%s\n", z, u, s, r, (r >= 0.8 ? "met" : "NOT met"), what }'
}
bw_row "$bs" ""
if [ "$busy_poll" != 0 ]; then bw_row "$(median "${bw_b[@]}")" ", progress threads busy-polling ${busy_poll} us"; fi
awk -v u="$lu" -v s="$ls" 'BEGIN { r = (u > 0) ? s / u : 0;
    printf "send_lat 2       UDP %9.2f usec   soft %9.2f usec   soft/UDP %.2f (median half round trip)\n", u, s, r }'
