#!/bin/bash
# The Java burst path against C on the same DPDK vdevs, side by side in one run, printed as
# Java/C ratios (a benchmark, not a test: it prints figures and fails only when a run fails):
#   io net_null   dpdk-testpmd io forwarding, two net_null ports paired, vs BurstBench io
#   io net_ring   the same on one net_ring port looping (--port-topology=loop; its TX ring
#                 feeds its RX ring, so packets circulate without a copy)
#   alloc net_ring  dpdk/bench/alloc_loop.c (alloc_bulk 32, write data_len/pkt_len and a 14-byte
#                 Ethernet header, tx, rx, free_bulk) vs the same loop in Java (BurstBench alloc)
# Goals: Java >= 1.0x testpmd on both io cases, >= 0.9x the C loop, 0 bytes allocated per burst.
#
# Every process gets the same EAL arguments (lcores, memory, vdevs) and the same pool (8191
# mbufs, cache 256, 2176-byte buffers), queues (1 rx + 1 tx, 1024 descriptors) and burst (32);
# each forwards on the second lcore's CPU (testpmd's forwarding lcore; Java pins its registered
# thread there, alloc_loop launches on that lcore). Hugepages when /dev/hugepages has free ones,
# else --no-huge -m 256 (said in the output). Each case runs ROUNDS times, C and Java
# alternating (which goes first alternates too); medians are compared. The Java side warms up for
# WARMUP and on until its JIT has been idle for 0.5 s (at most 20 s; BurstBench prints how long).
#
# Two figures per run: Mpps over the wall-clock window, and Mpps per CPU second of the
# forwarding thread (its utime+stime over the window: /proc for testpmd, CLOCK_THREAD_CPUTIME_ID
# and ThreadMXBean for the loops). On a quiet machine they agree; on a shared one the forwarding
# thread is descheduled part of the window and only the second compares like with like, so the
# goals are judged on it and both ratios are printed.
#
# Usage: dpdk/bench-vs-c.sh   (builds dpdk's test classes with Maven and the C loop with gcc)
# Environment: ROUNDS (3), WARMUP (1 s), WINDOW (5 s), LCORES (0,1), BENCH_NO_BUILD=1 (skip mvn),
# JVERBS_JAVA_OPTS (-XX:+UseSerialGC), JAVA_HOME (a JDK 25).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
rounds=${ROUNDS:-3} warmup=${WARMUP:-1} window=${WINDOW:-5} lcores=${LCORES:-0,1}
fwd_cpu=${lcores#*,}
fwd_cpu=${fwd_cpu%%[,-]*}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
java_opts=${JVERBS_JAVA_OPTS:--XX:+UseSerialGC}
out=$here/dpdk/target/bench
mkdir -p "$out"

command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not found: apt-get install dpdk (dev.sh does)" >&2; exit 1; }
pkg-config --exists libdpdk || { echo "pkg-config libdpdk not found: apt-get install libdpdk-dev" >&2; exit 1; }
if [ -z "${BENCH_NO_BUILD:-}" ]; then
    (cd "$here" && PATH=$JAVA_HOME/bin:$PATH mvn -B -q -o -pl dpdk -am test-compile >"$out/mvn.log" 2>&1) \
        || { cat "$out/mvn.log"; echo "mvn test-compile failed" >&2; exit 1; }
fi
# shellcheck disable=SC2046
gcc -O3 -march=native -Wall -o "$out/alloc_loop" "$here/dpdk/bench/alloc_loop.c" $(pkg-config --cflags --libs libdpdk) \
    || { echo "gcc alloc_loop.c failed" >&2; exit 1; }
cp="$here/dpdk/target/test-classes:$here/dpdk/target/classes:$here/core/target/classes"

free_pages=$(awk '/^HugePages_Free/ { print $2 }' /proc/meminfo)
if [ "${free_pages:-0}" -ge 64 ] && mountpoint -q /dev/hugepages; then
    mem=()
    memory_note="hugepages ($free_pages free 2 MiB pages on /dev/hugepages)"
else
    mem=(--no-huge -m 256)
    memory_note="--no-huge -m 256 (no free hugepages mounted: figures are lower than with hugepages)"
fi
seq_no=0
eal() {   # eal VDEV...: the EAL arguments every process of a case gets
    local a=(-l "$lcores" --no-pci --log-level=5 "${mem[@]}" --file-prefix "jverbs-bench-$$-$((seq_no++))") v
    for v in "$@"; do a+=(--vdev "$v"); done
    printf '%s\n' "${a[@]}"
}
prefix_of() { local p=; while [ $# -gt 0 ]; do [ "$1" = --file-prefix ] && p=$2; shift; done; echo "$p"; }
# Also the hugepage files a run may leave behind (a map_0 file was left after runs here).
cleanup_prefix() { rm -rf "/var/run/dpdk/$1" "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/$1" /dev/hugepages/"$1"map_* 2>/dev/null; }

# thread_cpu PID NAME: utime+stime in seconds of PID's thread named NAME
thread_cpu() {
    local t
    for t in /proc/"$1"/task/*; do
        if [ "$(cat "$t/comm" 2>/dev/null)" = "$2" ]; then
            # fields after the ")" of comm: state is $1, utime $12, stime $13
            sed 's/.*) //' "$t/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($12 + $13) / hz }'
            return
        fi
    done
    echo nan
}

# run_testpmd TOPOLOGY VDEV...: prints "MPPS CPU_S WALL_S"
run_testpmd() {
    local topology=$1
    shift
    local args
    mapfile -t args < <(eal "$@")
    local prefix
    prefix=$(prefix_of "${args[@]}")
    local log=$out/testpmd.$$.log fifo=$out/testpmd.$$.fifo
    rm -f "$fifo"
    mkfifo "$fifo"
    timeout 120 dpdk-testpmd "${args[@]}" -- -i --port-topology="$topology" --forward-mode=io --burst=32 --rxq=1 --txq=1 \
        --rxd=1024 --txd=1024 --nb-cores=1 --total-num-mbufs=8191 --mbcache=256 <"$fifo" >"$log" 2>&1 &
    local pid=$!
    exec 3>"$fifo"
    local i
    for i in $(seq 1 300); do grep -q 'testpmd> ' "$log" && break; sleep 0.1; done
    local tpid
    tpid=$(pgrep -P "$pid" -x dpdk-testpmd)   # $pid is timeout's
    echo "start tx_first" >&3
    sleep "$warmup"
    echo "show port stats all" >&3
    local c0 w0 c1 w1
    c0=$(thread_cpu "$tpid" rte-worker-"$fwd_cpu") w0=$(date +%s.%N)
    sleep "$window"
    echo "show port stats all" >&3
    c1=$(thread_cpu "$tpid" rte-worker-"$fwd_cpu") w1=$(date +%s.%N)
    sleep 0.3
    echo "stop" >&3
    echo "quit" >&3
    exec 3>&-
    wait "$pid"
    local rc=$? nports=$#
    rm -f "$fifo"
    cleanup_prefix "$prefix"
    # The last show's Rx-pps lines, one per port (testpmd times the interval itself).
    local mpps
    mpps=$(grep 'Rx-pps:' "$log" | tail -n "$nports" | awk '{ s += $2 } END { if (NR) printf "%.2f", s / 1e6 }')
    if [ $rc -ne 0 ] || [ -z "$mpps" ] || [ "$c0" = nan ]; then
        { echo "FAILED: testpmd $topology $* (exit $rc)"; tail -30 "$log"; } >&2
        echo "nan nan nan -"
        return
    fi
    echo "$mpps $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }') $(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", b - a }') -"
    rm -f "$log"
}

# run_prog KIND ARGS...: runs alloc_loop or BurstBench, prints "MPPS CPU_S WALL_S [BYTES_PER_BURST]"
run_prog() {
    local kind=$1 mode=$2 vdevs=$3
    shift 3
    local args
    # shellcheck disable=SC2086
    mapfile -t args < <(eal $vdevs)
    local prefix
    prefix=$(prefix_of "${args[@]}")
    local log=$out/$kind.$$.log cmd
    if [ "$kind" = c ]; then
        cmd=("$out/alloc_loop" "${args[@]}" -- "$@" "$warmup" "$window")
    else
        # shellcheck disable=SC2206
        cmd=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED $java_opts -cp "$cp" io.jverbs.dpdk.BurstBench
             "${args[@]}" -- "$mode" "$fwd_cpu" "$warmup" "$window" "$@")
    fi
    timeout 120 "${cmd[@]}" >"$log" 2>&1
    local rc=$?
    cleanup_prefix "$prefix"
    local line
    line=$(grep -o 'Mpps .*' "$log" | tail -1)
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        { echo "FAILED: $kind $mode $* (exit $rc)"; tail -30 "$log"; } >&2
        echo "nan nan nan nan"
        return
    fi
    rm -f "$log"
    awk '{ for (i = 1; i < NF; i++) v[$i] = $(i + 1); print v["Mpps"], v["cpu-s"], v["wall-s"], (("bytes-per-burst" in v) ? v["bytes-per-burst"] : "-") }' <<<"$line"
}

median() { printf '%s\n' "$@" | grep -v nan | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
per_cpu() { awk -v m="$1" -v c="$2" -v w="$3" 'BEGIN { if (m == "nan" || c <= 0) print "nan"; else printf "%.2f", m * w / c }'; }

failed=0
summary=()
max_bytes=0
# compare NAME GOAL C-RUN-FUNCTION... -- JAVA-RUN-FUNCTION...
compare() {
    local name=$1 goal=$2
    shift 2
    local cside=() jside=() a
    while [ "$1" != -- ]; do cside+=("$1"); shift; done
    shift
    jside=("$@")
    local cm=() jm=() cc=() jc=() r c j
    for r in $(seq 1 "$rounds"); do
        if ((r % 2)); then c=$("${cside[@]}"); j=$("${jside[@]}"); else j=$("${jside[@]}"); c=$("${cside[@]}"); fi
        read -r cmpps ccpu cwall _ <<<"$c"
        read -r jmpps jcpu jwall jbytes <<<"$j"
        cm+=("$cmpps") jm+=("$jmpps")
        cc+=("$(per_cpu "$cmpps" "$ccpu" "$cwall")") jc+=("$(per_cpu "$jmpps" "$jcpu" "$jwall")")
        printf '  %-32s round %d: C %8s Mpps (%5s CPU-s of %5s s, %8s per CPU-s)   Java %8s Mpps (%5s of %5s, %8s per CPU-s), %s B/burst\n' \
            "$name" "$r" "$cmpps" "$ccpu" "$cwall" "${cc[-1]}" "$jmpps" "$jcpu" "$jwall" "${jc[-1]}" "$jbytes"
        if [ "$cmpps" = nan ] || [ "$jmpps" = nan ]; then failed=1; fi
        if [ "$jbytes" != nan ] && [ "$jbytes" != - ]; then
            max_bytes=$(awk -v a="$max_bytes" -v b="$jbytes" 'BEGIN { print (b > a ? b : a) }')
        fi
    done
    local mc mj mcc mjc
    mc=$(median "${cm[@]}") mj=$(median "${jm[@]}") mcc=$(median "${cc[@]}") mjc=$(median "${jc[@]}")
    local ratio ratio_cpu verdict
    ratio=$(awk -v a="$mj" -v b="$mc" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "n/a"; else printf "%.3f", a / b }')
    ratio_cpu=$(awk -v a="$mjc" -v b="$mcc" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "n/a"; else printf "%.3f", a / b }')
    verdict=$(awk -v r="$ratio_cpu" -v g="$goal" 'BEGIN { if (r == "n/a") print "n/a"; else print (r >= g ? "met" : "missed") }')
    summary+=("$(printf '%-32s %10s %10s %7s   %10s %10s %7s   >= %-4s %s' "$name" "$mc" "$mj" "$ratio" "$mcc" "$mjc" "$ratio_cpu" "$goal" "$verdict")")
}

echo "DPDK burst path, Java vs C, $rounds rounds of ${warmup} s warm-up + ${window} s window; lcores $lcores (forwarding on CPU $fwd_cpu)"
echo "memory: $memory_note; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
compare "io net_null (2 ports, paired)" 1.0 run_testpmd paired net_null0 net_null1 -- run_prog java io "net_null0 net_null1" net_null0 net_null1
compare "io net_ring (1 port, loop)" 1.0 run_testpmd loop net_ring0 -- run_prog java io net_ring0 net_ring0
compare "alloc+fill+tx+rx+free net_ring" 0.9 run_prog c alloc net_ring0 net_ring0 -- run_prog java alloc net_ring0 net_ring0
echo
echo "medians, Mpps                      --------- wall clock ---------   ---- per CPU second of the loop ----"
printf '%-32s %10s %10s %7s   %10s %10s %7s   goal (on per CPU-s)\n' "name" "C/testpmd" "Java" "ratio" "C/testpmd" "Java" "ratio"
printf '%s\n' "${summary[@]}"
echo "Java allocated bytes per burst (ThreadMXBean, most over all runs): $max_bytes (goal 0)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $failed
