#!/usr/bin/env bash
# jverbs entry point. On a fresh Debian 12 machine, as root, each command installs what is
# missing (Debian packages, the Soft-RoCE VM kernel), checks for JDK 25, builds, and then:
#   ./dev.sh demo    runs the main job: jperf write_bw and send_lat (perftest in Java) on an RDMA
#                    device, or on jverbs' soft device (RoCEv2 in the JVM) when this machine has none
#   ./dev.sh test    runs every test: unit tests on the host, RDMA tests inside the VM, the
#                    soft device on the host against kernel rxe in a VM linked to it
#                    (perftest's RxeInteropTest, in the same Maven run), the VM harness self-test
#                    (C perftest on one and on two hosts; the guest linked to this host:
#                    ibv_ud_pingpong round trips with a host UDP socket; several commands in one
#                    boot)
#   ./dev.sh setup   only the set-up
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

say() { echo "jverbs: $*" >&2; }
die() { echo "jverbs: ERROR: $*" >&2; exit 1; }

# Host packages: the build (maven, gcc, python3 for the binding generator and its check) and
# the libraries FFM binds (libibverbs, librdmacm, DPDK; -dev for the ABI check's headers and
# pkg-config libdpdk; dpdk for its PMDs and dpdk-testpmd), and what the network tests drive:
# iproute2 (namespaces, veth), ethtool (veth offloads), tcpdump and tshark (reading pcap output),
# nftables (loss injected on the kernel side), and curl and socat (kernel clients of the TCP examples).
HOST_PACKAGES=(maven gcc libc6-dev python3 pkg-config libibverbs-dev librdmacm-dev ibverbs-providers rdma-core
               ibverbs-utils perftest libdpdk-dev dpdk iproute2 ethtool tcpdump tshark
               nftables curl socat)

install_packages() {
    local missing=() p st
    for p in "$@"; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [[ $st == installed ]] || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    [[ $(id -u) == 0 ]] || die "missing Debian packages ${missing[*]}: run as root, or apt-get install them"
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update >&2
    DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300 install --no-install-recommends "${missing[@]}" >&2
}

# JDK 25 or newer: FFM (java.lang.foreign) is final since 22 and jverbs targets 25.
find_jdk() {
    local cand v
    for cand in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*-25-* /usr/lib/jvm/*; do
        [[ -n $cand && -x $cand/bin/javac ]] || continue
        v=$("$cand/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
        if [[ ${v%%.*} =~ ^[0-9]+$ ]] && ((${v%%.*} >= 25)); then
            echo "$cand"
            return 0
        fi
    done
    return 1
}

# DPDK and NativeBuffer's HUGEPAGES backing take 2 MiB pages from the hugetlbfs pool. Reserve
# JVERBS_HUGEPAGES of them (default 512 = 1 GiB) and mount hugetlbfs where the machine allows it;
# elsewhere DPDK runs with --no-huge (the tests do either way) and buffers use normal pages.
reserve_hugepages() {
    local want=${JVERBS_HUGEPAGES:-512} nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages have
    have=$(cat "$nr" 2>/dev/null || echo 0)
    if ((have < want)); then
        { [[ $(id -u) == 0 ]] && echo "$want" > "$nr"; } 2>/dev/null || true
        have=$(cat "$nr" 2>/dev/null || echo 0)
    fi
    if ((have > 0)) && ! mountpoint -q /dev/hugepages 2>/dev/null; then
        { mkdir -p /dev/hugepages && mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages; } 2>/dev/null || true
    fi
    if ((have > 0)) && mountpoint -q /dev/hugepages 2>/dev/null; then
        say "$have 2 MiB hugepages reserved, hugetlbfs on /dev/hugepages"
    else
        say "note: no 2 MiB hugepages (needs root and $nr writable): DPDK runs with --no-huge, buffers use normal pages"
    fi
}

has_rdma_device() {
    compgen -G '/sys/class/infiniband/*' >/dev/null
}

setup() {
    [[ -r /etc/debian_version ]] || say "not a Debian system: install the equivalents of ${HOST_PACKAGES[*]} yourself"
    command -v dpkg-query >/dev/null && install_packages "${HOST_PACKAGES[@]}"
    JAVA_HOME=$(find_jdk) || die "no JDK 25 or newer found (looked at \$JAVA_HOME and /usr/lib/jvm). Debian 12 does not"\
" package one: install Eclipse Temurin 25 (or any JDK 25+) and set JAVA_HOME to it."
    export JAVA_HOME
    export PATH="$JAVA_HOME/bin:$PATH"
    reserve_hugepages
    # The VM is needed for the tests (kernel rxe); the demo runs on the soft device without one.
    if [[ ${1:-} != demo ]]; then
        native-test/softroce/setup.sh --quiet
    fi
}

build() {
    say "building with $JAVA_HOME"
    mvn -B -q -DskipTests install
}

# The pingpong server listens on 18515 once its device is set up.
wait_port() {
    local i
    for i in $(seq 1 120); do
        ss -ltn | grep -q ":$1 " && return 0
        sleep 0.5
    done
    die "the server did not listen on port $1 within 60 s"
}

demo() {
    # jperf (perftest in Java): a write_bw and a send_lat server and client, perftest's tables.
    local jp="./jperf" n="-n 1000" sdev cdev senv=() cenv=()
    if has_rdma_device; then
        sdev=$(ls /sys/class/infiniband | head -1) cdev=$sdev
        say "RDMA device $sdev found: jperf write_bw and send_lat, server and client on it"
    else
        # One soft device per process: each binds UDP 4791 on its own address (docs/soft-device.md).
        sdev=jsoft0 cdev=jsoft1 senv=(JVERBS_SOFT_DEVICES=jsoft0=127.0.0.1) cenv=(JVERBS_SOFT_DEVICES=jsoft1=127.0.0.2)
        say "no RDMA device on this machine: jperf write_bw and send_lat on jverbs' soft device (RoCEv2 in the JVM over"\
" UDP 4791), server on jsoft0 (127.0.0.1), client on jsoft1 (127.0.0.2)"
    fi
    set -o pipefail
    for t in write_bw send_lat; do
        env "${senv[@]}" $jp $t -d "$sdev" $n 2>&1 | sed -u 's/^/[server] /' & local server=$!
        wait_port 18515
        env "${cenv[@]}" $jp $t -d "$cdev" $n 127.0.0.1 2>&1 | sed -u 's/^/[client] /'
        wait $server
    done
}

run_tests() {
    say "unit tests on the host, RDMA tests inside the Soft-RoCE VM (one boot per module)"
    mvn -B -Psoftroce verify
    say "Soft-RoCE VM harness self-test"
    native-test/softroce/selftest.sh
}

case ${1:-} in
    setup) setup ;;
    demo) setup demo; build; demo ;;
    test) setup test; run_tests ;;
    *) echo "usage: ./dev.sh demo | test | setup" >&2; exit 2 ;;
esac
