#!/bin/bash
# Latency of the Java RcPingPong against C ibv_rc_pingpong on one RDMA device, same machine,
# same run: each pair (C server + C client, Java server + Java client) RUNS times, -s 64 -n 300000.
# Run it where a device is, e.g. in the Soft-RoCE VM:
#   native-test/softroce-vm.sh -- examples/bench-pingpong.sh
# Needs the packaged examples (mvn -B package -pl examples -am -DskipTests) and ibverbs-utils.
# Environment: RUNS (3), SIZE (64), ITERS (300000), JVERBS_RDMA_DEV, JVERBS_GID_INDEX (1), JVERBS_IPV4
# (the server address, default 127.0.0.1), JVERBS_JAVA_OPTS (passed to run.sh; default below).
# The default JVM options keep the JVM's own threads off the two vCPUs the pollers need: one C1
# compiler thread, no parallel GC workers (the loop allocates nothing). Set JVERBS_JAVA_OPTS= (empty)
# for a plain JVM.
# In the VM, TCG inflates JIT code and downcalls several times more than gcc code
# (native-test/tcg-cost/README.md): read the ratio there as an upper bound, not as jverbs' cost.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
runs=${RUNS:-3} size=${SIZE:-64} iters=${ITERS:-300000} port=${PORT:-18515}
gid=${JVERBS_GID_INDEX:-1} host=${JVERBS_IPV4:-127.0.0.1}
dev=()
[ -n "${JVERBS_RDMA_DEV:-}" ] && dev=(-d "$JVERBS_RDMA_DEV")
args=("${dev[@]}" -g "$gid" -s "$size" -n "$iters")
export JVERBS_JAVA_OPTS=${JVERBS_JAVA_OPTS--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1}

listening() {   # a LISTEN socket on port $1 in /proc/net/tcp{,6}
    awk -v p=":$(printf %04X "$1")" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Both programs time the whole loop, warm-up included, and a JVM spends its first seconds compiling
# it; under the VM's emulation that costs seconds, and QEMU then translates the new code too. Only a
# long run amortizes it: in the VM (~110-150 usec/iter) Java/C was 10.1 at -n 1000, 1.5-2.0 at
# -n 20000 and 100000, 1.35 at -n 300000 (median of 3), hence 300000 by default (~35-50 s a run
# there, about a second on hardware).
# pair NAME SERVER-CMD... -- CLIENT-CMD...: prints the client's usec/iter
pair() {
    local p=$((port++)) server=() client=() seen=0
    shift
    for a in "$@"; do
        if [ "$a" = "--" ]; then seen=1; elif ((seen)); then client+=("$a"); else server+=("$a"); fi
    done
    timeout 300 "${server[@]}" -p "$p" >/tmp/bench-server.$$ 2>&1 &
    local spid=$!
    for _ in $(seq 1 1200); do listening "$p" && break; sleep 0.1; done
    local out
    out=$(timeout 300 "${client[@]}" -p "$p" "$host" 2>&1)
    wait "$spid"
    local usec
    usec=$(sed -n 's/^[0-9]* iters in .* seconds = \([0-9.]*\) usec\/iter$/\1/p' <<<"$out")
    if [ -z "$usec" ]; then
        echo "FAILED: $out" >&2
        cat /tmp/bench-server.$$ >&2
        echo "nan"
    else
        echo "$usec"
    fi
    rm -f /tmp/bench-server.$$
}

c_all=() j_all=()
echo "RcPingPong vs ibv_rc_pingpong: -s $size -n $iters, $runs runs each, usec/iter as the client reports it"
echo "JVM options: ${JVERBS_JAVA_OPTS:-(none)}"
for r in $(seq 1 "$runs"); do
    c=$(pair c ibv_rc_pingpong "${args[@]}" -- ibv_rc_pingpong "${args[@]}")
    j=$(pair java "$here/run.sh" RcPingPong "${args[@]}" -- "$here/run.sh" RcPingPong "${args[@]}")
    printf 'run %d: C %8s usec/iter   Java %8s usec/iter\n' "$r" "$c" "$j"
    c_all+=("$c") j_all+=("$j")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
cm=$(median "${c_all[@]}") jm=$(median "${j_all[@]}")
awk -v c="$cm" -v j="$jm" 'BEGIN { printf "median: C %.2f usec/iter, Java %.2f usec/iter, Java/C = %.3f\n", c, j, j / c }'
