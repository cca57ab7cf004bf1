#!/bin/bash
# jperf against C perftest on one RDMA device, side by side in one run, printed as Java/C ratios:
#   write_bw 64 KiB  (BW average; goal >= 0.97x C)
#   send_lat 2 B     (t_typical; goal <= 1.05x C)
#   read_lat 2 B     (t_typical; goal <= 1.05x C)
# Each pair (C server + C client, then jperf server + jperf client) runs RUNS times; the median
# of each side is compared. A benchmark, not a test: it prints figures and fails only when a run
# fails.
#
# Where to run it: on a machine with a device, or in the Soft-RoCE VM:
#   native-test/softroce-vm.sh --timeout 1800 -- perftest/bench-vs-c.sh
# With no device here and no JVERBS_RDMA_DEV set, it starts the VM itself.
# Needs the built jperf (mvn -B -q install -DskipTests) and Debian's perftest package.
# Environment: RUNS (3), BW_SECONDS (8: -D, the first and last quarter are not measured),
# LAT_ITERS (5000), JVERBS_RDMA_DEV, JVERBS_GID_INDEX, JVERBS_JAVA_OPTS.
# Under the VM's TCG emulation JIT code and downcalls slow down several times more than gcc code
# (native-test/tcg-cost/README.md): latency ratios measured there are upper bounds; bandwidth
# ratios are fairer because the device's work dominates.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)

if [ -z "${JVERBS_RDMA_DEV:-}" ] && ! compgen -G '/sys/class/infiniband/*' >/dev/null; then
    echo "no RDMA device here: running inside the Soft-RoCE VM" >&2
    exec "$here/native-test/softroce-vm.sh" --timeout 2400 -- "$here/perftest/bench-vs-c.sh" "$@"
fi

runs=${RUNS:-3} bw_seconds=${BW_SECONDS:-8} lat_iters=${LAT_ITERS:-5000}
dev=${JVERBS_RDMA_DEV:-$(ls /sys/class/infiniband | head -1)}
gid=()
[ -n "${JVERBS_GID_INDEX:-}" ] && gid=(-x "$JVERBS_GID_INDEX")
# Keep the JVM's own threads off the vCPUs the pollers need (the loops allocate nothing).
export JVERBS_JAVA_OPTS=${JVERBS_JAVA_OPTS--XX:+UseSerialGC -XX:CICompilerCount=1}
if [ -n "${JVERBS_SOFTROCE:-}" ]; then
    # TCG and C1->C2 code patching: see native-test/softroce/junit-in-vm.sh.
    JVERBS_JAVA_OPTS="$JVERBS_JAVA_OPTS -XX:TieredStopAtLevel=1"
fi
port=19000

listening() {   # a LISTEN socket on port $1 in /proc/net/tcp{,6}
    awk -v p=":$(printf %04X "$1")" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# run_pair IMPL TEST COLUMN ARGS...: prints column COLUMN of the client's first result row
# (the line after the " #bytes" header). IMPL is c or java.
run_pair() {
    local impl=$1 test=$2 column=$3
    shift 3
    local p=$((port++)) cmd
    if [ "$impl" = c ]; then cmd=("ib_$test"); else cmd=("$here/jperf" "$test"); fi
    local log=/tmp/bench-vs-c.$$
    timeout 300 "${cmd[@]}" -d "$dev" "${gid[@]}" -p "$p" "$@" >"$log.server" 2>&1 &
    local spid=$!
    for _ in $(seq 1 1200); do listening "$p" && break; sleep 0.1; done
    timeout 300 "${cmd[@]}" -d "$dev" "${gid[@]}" -p "$p" "$@" 127.0.0.1 >"$log.client" 2>"$log.client.err"
    local crc=$?
    wait "$spid"
    local src=$?
    local value
    # The first table row after the " #bytes" header (jperf's -D progress lines go to stderr).
    value=$(awk -v c="$column" 'found && $1 ~ /^[0-9]+$/ && NF >= c { print $c; exit } /^ *#bytes/ { found = 1 }' "$log.client")
    if [ $crc -ne 0 ] || [ $src -ne 0 ] || [ -z "$value" ]; then
        { echo "FAILED: $impl $test (client $crc, server $src)"; cat "$log.client" "$log.client.err" "$log.server"; } >&2
        value=nan
    fi
    rm -f "$log.client" "$log.client.err" "$log.server"
    echo "$value"
}

median() { printf '%s\n' "$@" | grep -v nan | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

failed=0
summary=()
# compare NAME GOAL-OP GOAL TEST COLUMN ARGS...
compare() {
    local name=$1 op=$2 goal=$3 test=$4 column=$5
    shift 5
    local c=() j=() i
    for i in $(seq 1 "$runs"); do
        c+=("$(run_pair c "$test" "$column" "$@")")
        j+=("$(run_pair java "$test" "$column" "$@")")
        echo "  $name run $i: C ${c[-1]}  jperf ${j[-1]}"
    done
    local cm jm
    cm=$(median "${c[@]}") jm=$(median "${j[@]}")
    if [ "$cm" = nan ] || [ "$jm" = nan ]; then
        failed=1
        summary+=("$(printf '%-22s C %-10s jperf %-10s ratio n/a (a run failed)' "$name" "$cm" "$jm")")
        return
    fi
    local ratio verdict
    ratio=$(awk -v a="$jm" -v b="$cm" 'BEGIN { printf "%.3f", a / b }')
    verdict=$(awk -v r="$ratio" -v g="$goal" -v op="$op" 'BEGIN { ok = op == ">=" ? r >= g : r <= g; print ok ? "met" : "missed" }')
    summary+=("$(printf '%-22s C %-10s jperf %-10s jperf/C %s (goal %s %s: %s)' "$name" "$cm" "$jm" "$ratio" "$op" "$goal" "$verdict")")
}

echo "jperf vs C perftest on $dev, $runs runs each (medians)"
compare "write_bw 64KiB MiB/s" ">=" 0.97 write_bw 4 -s 65536 -D "$bw_seconds"
compare "send_lat 2B t_typical" "<=" 1.05 send_lat 5 -s 2 -n "$lat_iters"
compare "read_lat 2B t_typical" "<=" 1.05 read_lat 5 -s 2 -n "$lat_iters"
echo
printf '%s\n' "${summary[@]}"
exit $failed
