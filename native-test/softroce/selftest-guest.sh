#!/bin/bash
# Guest half of selftest.sh: runs inside the VM, prints "CHECK <name> ok|FAIL [detail]"
# lines that the host half counts. Usage: selftest-guest.sh hosts1|hosts2 PROJECT_DIR
set -u
mode=$1 project=$2
check() { if [[ $2 == 0 ]]; then echo "CHECK $1 ok"; else echo "CHECK $1 FAIL ${3:-}"; fi; }

# perftest server as "host 2" (or the same host), client on rxe0; both must exit 0.
# The server's OOB TCP port is polled with ss, never probed with a connect: perftest
# accepts exactly one connection.
bw_pair() {   # name server-dev server-ip
    local name=$1 sdev=$2 sip=$3 log=/tmp/$1.srv.log spid crc src
    ${JVERBS_HOST2_EXEC:-} timeout 90 ib_write_bw -d "$sdev" -x 1 -s 65536 -n 200 >"$log" 2>&1 &
    spid=$!
    for ((i = 0; i < 150; i++)); do ss -ltn | grep -q ':18515 ' && break; sleep 0.2; done
    timeout 90 ib_write_bw -d "$JVERBS_RDMA_DEV" -x 1 -s 65536 -n 200 "$sip" >"/tmp/$name.cli.log" 2>&1
    crc=$?
    wait "$spid"; src=$?
    grep -E '^ *65536 ' "/tmp/$name.cli.log" | sed "s/^/$name client: /"
    check "$name" $((crc || src)) "client=$crc server=$src"
    ((crc || src)) && { tail -n 5 "/tmp/$name.cli.log" "$log"; } >&2
}

case $mode in
hosts1)
    out=$(ibv_devinfo -d rxe0); echo "$out" | grep -E 'hca_id|state'
    grep -q PORT_ACTIVE <<<"$out"; check ibv_devinfo_port_active $?
    [[ $JVERBS_SOFTROCE == 1 && $JVERBS_RDMA_DEV == rxe0 && $JVERBS_GID_INDEX == 1 && -n $JVERBS_IPV4 ]]
    check rdma_env $? "$(env | grep ^JVERBS_ | tr '\n' ' ')"
    [[ $(cat /sys/class/infiniband/rxe0/ports/1/gids/1) == *ffff:0a4d:0001 ]]; check gid1_ipv4 $?
    [[ $PWD == "$project" ]]; check cwd $? "$PWD"
    [[ ${SOFTROCE_SELFTEST_VAR:-} == $'a b\n"c" $d \\e' ]]; check env_quoting $?
    bw_pair write_bw_loopback "$JVERBS_RDMA_DEV" "$JVERBS_IPV4"
    d=$project/target-test-xyz
    mkdir -p "$d" && echo "written-in-guest" >"$d/from-guest.txt"; check write_project $?
    jv=$(/usr/lib/jvm/temurin-25-jdk-amd64/bin/java -version 2>&1); r=$?
    echo "$jv" | head -n1; check java_version "$r"
    echo "stderr-marker" >&2
    ;;
hosts2)
    [[ $JVERBS_RDMA_DEV2 == rxe1 && -n $JVERBS_IPV4_2 && -n $JVERBS_HOST2_EXEC ]]; check rdma_env2 $?
    for d in rxe0 rxe1; do
        ibv_devinfo -d $d | grep -q PORT_ACTIVE; check "port_active_$d" $?
    done
    tx0=$(cat /sys/class/net/veth0/statistics/tx_bytes)
    bw_pair write_bw_2hosts "$JVERBS_RDMA_DEV2" "$JVERBS_IPV4_2"
    tx1=$(cat /sys/class/net/veth0/statistics/tx_bytes)
    # 200 x 64 KiB must really have crossed the veth pair, not gone through lo.
    ((tx1 - tx0 > 200 * 65536)); check traffic_on_veth $? "veth0 tx delta $((tx1 - tx0))"
    # rdma_cm across the two hosts.
    $JVERBS_HOST2_EXEC timeout 60 rping -s -a "$JVERBS_IPV4_2" -C 3 >/tmp/rping.srv.log 2>&1 &
    spid=$!
    sleep 2
    timeout 60 rping -c -a "$JVERBS_IPV4_2" -C 3 -v >/tmp/rping.cli.log 2>&1; crc=$?
    wait "$spid"; src=$?
    grep -c 'ping data' /tmp/rping.cli.log | sed 's/^/rping: data lines: /'
    check rping_2hosts $((crc || src)) "client=$crc server=$src"
    ;;
esac
