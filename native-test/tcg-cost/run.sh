#!/bin/bash
# What one downcall and one post+poll cost in C and in Java, here: on the host, or in the
# Soft-RoCE VM (native-test/softroce-vm.sh -- native-test/tcg-cost/run.sh). See README.md.
# Needs gcc, libibverbs-dev, a JDK 25 and the jverbs jars (mvn -B package -pl examples -am -DskipTests).
# Environment: CALLS (downcall probe, default 20000000 on the host, 2000000 in the VM),
# OPS (post+poll probe, default 5000), JVERBS_GID_INDEX (default 1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(dirname "$(dirname "$here")")
out=$root/native-test/target/tcg-cost
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
lib=$root/examples/target/lib
[ -x "$java_home/bin/javac" ] || { echo "tcg-cost: no JDK at $java_home (set JAVA_HOME)" >&2; exit 1; }
[ -d "$lib" ] || { echo "tcg-cost: run 'mvn -B package -pl examples -am -DskipTests' first" >&2; exit 1; }

if [ "${JVERBS_SOFTROCE:-}" = 1 ]; then
    calls=${CALLS:-2000000}
    # C1 only, as the VM's tests run: tiered C1->C2 code replacement can crash a JVM under
    # QEMU's multi-threaded TCG (docs/softroce.md).
    jvm=(-XX:TieredStopAtLevel=1)
    where="Soft-RoCE VM (QEMU TCG)"
else
    calls=${CALLS:-20000000}
    jvm=()
    where="host"
fi
mkdir -p "$out"
# The guest mounts the checkout read-write, so building there works too; skip it when up to date.
if [ ! -x "$out/downcall" ] || [ "$here/downcall.c" -nt "$out/downcall" ] || [ "$here/post_poll.c" -nt "$out/post_poll" ] \
        || [ "$here/PostPollCost.java" -nt "$out/PostPollCost.class" ] || [ "$here/DowncallCost.java" -nt "$out/DowncallCost.class" ]; then
    gcc -O2 -Wall -o "$out/downcall" "$here/downcall.c"
    gcc -O2 -Wall -o "$out/post_poll" "$here/post_poll.c" -libverbs
    "$java_home/bin/javac" -nowarn -cp "$lib/*" -d "$out" "$here/DowncallCost.java" "$here/PostPollCost.java"
fi
java=("$java_home/bin/java" --enable-native-access=ALL-UNNAMED "${jvm[@]}" -cp "$out:$lib/*")

echo "== $where: one indirect call of abs(), $calls calls per round; JVM options: ${jvm[*]:-(defaults)}"
"$out/downcall" "$calls"
"${java[@]}" DowncallCost "$calls"
if [ -d /sys/class/infiniband ] && [ -n "$(ls /sys/class/infiniband)" ]; then
    ops=${OPS:-5000}
    echo "== $where: RDMA WRITE post + poll on $(ls /sys/class/infiniband | head -1), QP connected to itself, $ops ops per round"
    "$out/post_poll" "$ops" "${JVERBS_GID_INDEX:-1}"
    "${java[@]}" PostPollCost "$ops" "${JVERBS_GID_INDEX:-1}"
    "$out/post_poll" "$ops" "${JVERBS_GID_INDEX:-1}"
else
    echo "== no RDMA device here: the post+poll probe needs one (run this in the Soft-RoCE VM)"
fi
