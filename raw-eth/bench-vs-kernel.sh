#!/bin/bash
# jperf's raw Ethernet tests over AF_PACKET against the kernel's own UDP path, on the same veth
# pair between two network namespaces, side by side in one run, printed as jperf/kernel ratios
# (a benchmark, not a test: it prints figures and fails only when a run fails):
#   lat   jperf raw_ethernet_lat -s 64 (60-byte frames, Ethernet+IPv4+UDP) over AfPacketPort with
#         V2 rings (afpacket:<if>,ring=v2) against a UDP ping-pong of 18-byte datagrams (the same
#         60-byte frames) between two sockets: t_typical (median) and 99th percentile of half
#         round trips, as perftest reports them. V3 rings (the default) are measured once per
#         round too, to show what their 1 ms block retire timeout costs a ping-pong.
#   bw    jperf raw_ethernet_bw -s 1024 (1020-byte frames) against a UDP flood of 978-byte
#         datagrams (sendmmsg, bursts of 32) to a socket in the other namespace: packets/s and
#         MiB/s *as received* (first to last packet; MiB counted with jperf's -s bytes per packet),
#         for V3 and V2 rings.
# Both sides busy-poll (jperf polls its port; raw-eth/bench/udp_peer.c polls recv with
# MSG_DONTWAIT), so neither figure contains a wake-up. Each case runs ROUNDS times, kernel and
# jperf alternating (which goes first alternates too); medians are compared.
#
# The link: a veth pair created here (removed on exit), IPv6 off, offloads off on both ends
# (ethtool -K tx off tso off gso off: AF_PACKET cannot take the kernel's unfilled checksums and
# GSO frames, docs/raw-eth.md; the kernel runs use the same setting). The veths get IPv4
# addresses (and static neighbour entries, no ARP) only for the kernel runs: with an address,
# the namespace's stack would answer jperf's UDP frames with ICMP port unreachable.
#
# Usage: raw-eth/bench-vs-kernel.sh   (as root; builds jperf with Maven and udp_peer.c with gcc)
# Environment: ROUNDS (3), LAT_ITERS (5000), LAT_ITERS_V3 (1000), BW_COUNT (200000 frames),
# BW_SIZE (1024), BENCH_NO_BUILD=1 (skip mvn), JVERBS_JAVA_OPTS (-XX:+UseSerialGC), JAVA_HOME.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
rounds=${ROUNDS:-3} lat_iters=${LAT_ITERS:-5000} lat_iters_v3=${LAT_ITERS_V3:-1000}
bw_count=${BW_COUNT:-200000} bw_size=${BW_SIZE:-1024} lat_size=64
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JVERBS_JAVA_OPTS=${JVERBS_JAVA_OPTS--XX:+UseSerialGC}
out=$here/raw-eth/target/bench
mkdir -p "$out"

[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, AF_PACKET)" >&2; exit 1; }
for t in ip ethtool gcc; do command -v $t >/dev/null || { echo "$t not found" >&2; exit 1; }; done
if [ -z "${BENCH_NO_BUILD:-}" ]; then
    (cd "$here" && PATH=$JAVA_HOME/bin:$PATH mvn -B -q -o -pl perftest -am package -DskipTests >"$out/mvn.log" 2>&1) \
        || { cat "$out/mvn.log"; echo "mvn package failed" >&2; exit 1; }
fi
gcc -O2 -Wall -o "$out/udp_peer" "$here/raw-eth/bench/udp_peer.c" || { echo "gcc udp_peer.c failed" >&2; exit 1; }
udp=$out/udp_peer

# --- the link ---------------------------------------------------------------------------------
log=$out/run.$$
. "$here/raw-eth/bench/veth-link.sh"
veth_link jvb
ip_s=10.78.0.1 ip_c=10.78.0.2
mac_c=$(in_c cat "/sys/class/net/$if_c/address")
mac_s=$(in_s cat "/sys/class/net/$if_s/address")

kernel_addresses() {   # on|off
    if [ "$1" = on ]; then
        ip -n "$ns_s" addr add "$ip_s/24" dev "$if_s"
        ip -n "$ns_c" addr add "$ip_c/24" dev "$if_c"
        ip -n "$ns_s" neigh replace "$ip_c" lladdr "$mac_c" dev "$if_s" nud permanent
        ip -n "$ns_c" neigh replace "$ip_s" lladdr "$mac_s" dev "$if_c" nud permanent
    else
        ip -n "$ns_s" addr flush dev "$if_s"
        ip -n "$ns_c" addr flush dev "$if_c"
    fi
}

# --- one run of each kind; each prints its figures, or "nan ..." after saying why on stderr ----
wait_for() {   # wait_for FILE TEXT: up to 60 s for a server to print TEXT
    for _ in $(seq 1 600); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    return 1
}
failed_run() {   # failed_run WHAT: prints the logs to stderr
    { echo "FAILED: $1"; for f in "$log".*; do echo "--- $f"; cat "$f"; done; } >&2
    failed=1
}

# jperf_run TEST RING ARGS...: the client's row (lat), or the server's row and the client's Mpps (bw)
jperf_run() {
    local test=$1 ring=$2
    shift 2
    local common=(-J "$ip_s" -j "$ip_c" -K 5001 -k 5002 "$@")
    rm -f "$log".*
    in_s timeout 300 "$here/jperf" "$test" --port "afpacket:$if_s,ring=$ring" --server -B "$mac_s" -E "$mac_c" \
        "${common[@]}" >"$log.server" 2>&1 &
    local spid=$!
    if ! wait_for "$log.server" '#bytes'; then
        kill "$spid" 2>/dev/null; wait "$spid"; failed_run "jperf $test server did not start"; echo nan; return
    fi
    in_c timeout 300 "$here/jperf" "$test" --port "afpacket:$if_c,ring=$ring" --client -B "$mac_c" -E "$mac_s" \
        "${common[@]}" >"$log.client" 2>&1
    local crc=$?
    wait "$spid"
    local src=$?
    local row
    if [ "$test" = raw_ethernet_lat ]; then row=$log.client; else row=$log.server; fi
    row=$(awk 'found && $1 ~ /^[0-9]+$/ { print; exit } /^ *#bytes/ { found = 1 }' "$row")
    if [ $crc -ne 0 ] || [ $src -ne 0 ] || [ -z "$row" ]; then
        failed_run "jperf $test ring=$ring (client $crc, server $src)"; echo nan; return
    fi
    if [ "$test" = raw_ethernet_bw ]; then
        row="$row $(awk 'found && $1 ~ /^[0-9]+$/ { print $5; exit } /^ *#bytes/ { found = 1 }' "$log.client")"
    fi
    echo "$row"
}

kernel_lat() {   # prints "typical p99" (µs, half round trips)
    rm -f "$log".*
    in_s timeout 300 "$udp" lat-server 5001 >"$log.server" 2>&1 &
    local spid=$!
    wait_for "$log.server" ready || { kill "$spid"; wait "$spid"; failed_run "udp lat-server"; echo nan nan; return; }
    local r
    r=$(in_c timeout 300 "$udp" lat-client "$ip_s" 5001 $((lat_size - 46)) "$lat_iters" 2>"$log.client")
    local crc=$?
    wait "$spid"
    [ $crc -eq 0 ] && [ -n "$r" ] || { failed_run "udp lat-client ($crc)"; echo nan nan; return; }
    echo "$r"
}

kernel_bw() {   # prints "packets seconds pps" as received, and the sender's pps
    rm -f "$log".*
    in_s timeout 300 "$udp" bw-server 5001 2000 >"$log.server" 2>&1 &
    local spid=$!
    wait_for "$log.server" ready || { kill "$spid"; wait "$spid"; failed_run "udp bw-server"; echo nan nan nan; return; }
    in_c timeout 300 "$udp" bw-client "$ip_s" 5001 $((bw_size - 46)) "$bw_count" >"$log.client" 2>&1
    local crc=$?
    wait "$spid"
    local src=$?
    local r
    r=$(tail -1 "$log.server")
    [ $crc -eq 0 ] && [ $src -eq 0 ] || { failed_run "udp bw ($crc, $src)"; echo nan nan nan nan; return; }
    echo "$r $(awk '{ print $3 }' "$log.client")"   # and the sender's rate
}

median() { printf '%s\n' "$@" | grep -v nan | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
pps() { awk -v m="$1" 'BEGIN { if (m == "nan") print m; else printf "%.0f", m * 1e6 }'; }   # from Mpps
mib() { awk -v p="$1" -v s="$bw_size" 'BEGIN { if (p == "nan") print "nan"; else printf "%.2f", p * s / 1048576 }'; }

failed=0
k_typ=() k_p99=() j_typ=() j_p99=() v3_typ=() v3_p99=()
k_pps=() k_got=() k_sent=() v3_pps=() v3_got=() v3_sent=() v2_pps=() v2_got=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "jperf (AF_PACKET) vs the kernel's UDP over veth $if_s<->$if_c, $rounds rounds (medians); $(nproc) CPUs, load average $load_before"
echo "lat: -s $lat_size (${lat_size}-byte frames with FCS), $lat_iters iterations (V3: $lat_iters_v3); bw: -s $bw_size, $bw_count frames"

round_kernel() {
    kernel_addresses on
    local l b
    l=($(kernel_lat)); k_typ+=("${l[0]}"); k_p99+=("${l[1]}")
    b=($(kernel_bw)); k_pps+=("${b[2]}"); k_got+=("${b[0]}"); k_sent+=("${b[3]}")
    kernel_addresses off
    echo "  round $1 kernel: lat typical ${l[0]} p99 ${l[1]} us; bw ${b[0]}/$bw_count received, ${b[2]} pps (sent at ${b[3]} pps)"
}
round_jperf() {
    local r
    r=($(jperf_run raw_ethernet_lat v2 -s "$lat_size" -n "$lat_iters"))
    j_typ+=("${r[4]:-nan}"); j_p99+=("${r[7]:-nan}")
    r=($(jperf_run raw_ethernet_lat v3 -s "$lat_size" -n "$lat_iters_v3"))
    v3_typ+=("${r[4]:-nan}"); v3_p99+=("${r[7]:-nan}")
    # the server's row: #bytes #iterations(received) peak average(MiB/s) Mpps
    r=($(jperf_run raw_ethernet_bw v3 -s "$bw_size" -n "$bw_count"))
    v3_got+=("${r[1]:-nan}"); v3_pps+=("$(pps "${r[4]:-nan}")"); v3_sent+=("$(pps "${r[5]:-nan}")")
    r=($(jperf_run raw_ethernet_bw v2 -s "$bw_size" -n "$bw_count"))
    v2_got+=("${r[1]:-nan}"); v2_pps+=("$(pps "${r[4]:-nan}")")
    echo "  round $1 jperf:  lat V2 typical ${j_typ[-1]} p99 ${j_p99[-1]} us, V3 typical ${v3_typ[-1]} p99 ${v3_p99[-1]} us;" \
        "bw V3 ${v3_got[-1]}/$bw_count received, ${v3_pps[-1]} pps (sent at ${v3_sent[-1]}); V2 ${v2_got[-1]}/$bw_count, ${v2_pps[-1]} pps"
}
for i in $(seq 1 "$rounds"); do
    if [ $((i % 2)) = 1 ]; then round_kernel "$i"; round_jperf "$i"; else round_jperf "$i"; round_kernel "$i"; fi
done

line() {   # line NAME KERNEL JPERF
    local ratio
    ratio=$(awk -v k="$2" -v j="$3" 'BEGIN { if (k == "nan" || j == "nan" || k == 0) print "n/a"; else printf "%.2f", j / k }')
    printf '%-34s %12s %12s %8s\n' "$1" "$2" "$3" "$ratio"
}
echo
echo "load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %12s %12s %8s\n' name kernel jperf ratio
kt=$(median "${k_typ[@]}") kp=$(median "${k_p99[@]}") kpps=$(median "${k_pps[@]}")
line "lat 64B t_typical us (V2)" "$kt" "$(median "${j_typ[@]}")"
line "lat 64B p99 us (V2)" "$kp" "$(median "${j_p99[@]}")"
line "lat 64B t_typical us (V3)" "$kt" "$(median "${v3_typ[@]}")"
line "lat 64B p99 us (V3)" "$kp" "$(median "${v3_p99[@]}")"
line "bw ${bw_size}B pps received (V3)" "$kpps" "$(median "${v3_pps[@]}")"
line "bw ${bw_size}B MiB/s received (V3)" "$(mib "$kpps")" "$(mib "$(median "${v3_pps[@]}")")"
line "bw ${bw_size}B pps received (V2)" "$kpps" "$(median "${v2_pps[@]}")"
line "bw ${bw_size}B MiB/s received (V2)" "$(mib "$kpps")" "$(mib "$(median "${v2_pps[@]}")")"
line "bw ${bw_size}B frames received of $bw_count" "$(median "${k_got[@]}")" "$(median "${v3_got[@]}")"
line "bw ${bw_size}B pps sent" "$(median "${k_sent[@]}")" "$(median "${v3_sent[@]}")"
echo "(ratio = jperf/kernel: below 1 is better for lat, above 1 for bw; the last two bw rows are V3 runs)"
exit $failed
