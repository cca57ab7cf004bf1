#!/bin/bash
# Stage 2 of the Soft-RoCE guest: PID 1 after switch_root, running from the host's own
# root (read-only 9p + tmpfs overlay). Brings up Soft-RoCE, runs the job, records its
# exit status in the job share and powers off. Anything that goes wrong before the job
# runs is reported in /.softroce-job/vmerror, which the host turns into exit code 125.
#
# Every exec of a host binary costs 0.1-0.3 s here (9p + TCG), so this script sticks to
# builtins and batches what it can (one modprobe, one ip -batch).
J=/.softroce-job
. "$J/boot.conf"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

# Builtin sleep: read with a timeout from a pipe we hold both ends of (never any data).
exec {never}<> <(:)
nap() { read -r -t "$1" -u "$never"; }
mark() { echo "softroce: $*" >/dev/kmsg; }   # boot timeline, see JVERBS_SOFTROCE_DEBUG=1
poweroff_now() {
    # PID 1 must never exit (that panics). Stop leftovers so nothing is still writing,
    # flush the shares, power off; -no-reboot on the qemu side turns a reboot into an exit.
    kill -KILL -1 2>/dev/null
    sync
    echo o >/proc/sysrq-trigger
    while :; do nap 60; done
}
vmerror() {
    echo "softroce-guest: $*" >/dev/console
    echo "$*" >>"$J/vmerror"
    poweroff_now
}
sysctl_w() { echo "$2" >"/proc/sys/${1//.//}" || vmerror "cannot set $1"; }

ulimit -l unlimited   # memory registration
ulimit -n 65536 2>/dev/null
mark stage2

if [[ $SR_LINK == 1 ]]; then
    # --host-link: rxe0 on the virtio NIC whose other end is the host's TAP (found by
    # the MAC the host gave it). IPv6 off: nothing but what the job sends crosses the
    # link, and GID index 1 stays the IPv4-mapped one. A permanent neighbour entry for
    # the host, as for --hosts 2. No offloads to turn off: qemu offers none (vnet_hdr=off).
    modprobe -a rdma_rxe rdma_ucm ib_uverbs ib_umad virtio_net || vmerror "modprobe failed"
    mark modules
    nic=''
    for ((i = 0; i < 100; i++)); do
        for n in /sys/class/net/*; do
            read -r a <"$n/address" 2>/dev/null && [[ $a == "$SR_LINK_MAC" ]] && nic=${n##*/}
        done
        [[ -n $nic ]] && break
        nap 0.1
    done
    [[ -n $nic ]] || vmerror "no NIC with MAC $SR_LINK_MAC (virtio_net)"
    sysctl_w "net.ipv6.conf.$nic.disable_ipv6" 1
    ip -batch - <<EOF || vmerror "cannot configure the network (ip -batch)"
link set lo up
addr add $SR_LINK_IP/24 dev $nic
link set $nic up
neigh replace $SR_LINK_HOST_IP lladdr $SR_LINK_HOST_MAC dev $nic nud permanent
EOF
    rdma link add rxe0 type rxe netdev "$nic" || vmerror "rdma link add rxe0 failed"
    devs=(rxe0)
    cat >"$J/rdma.env" <<EOF
export JVERBS_SOFTROCE=1 JVERBS_RDMA_DEV=rxe0 JVERBS_GID_INDEX=1 JVERBS_IPV4=$SR_LINK_IP
export JVERBS_HOST_LINK_IPV4=$SR_LINK_HOST_IP JVERBS_HOST_LINK_MAC=$SR_LINK_HOST_MAC JVERBS_HOST_LINK_IF=$SR_LINK_HOST_IF
export JVERBS_LINK_NETDEV=$nic JVERBS_LINK_MAC=$SR_LINK_MAC
EOF
    # The host addresses its TAP once qemu has created it (a second or so after start).
    for ((i = 0; i < 600; i++)); do [[ -e $J/link.ready ]] && break; nap 0.1; done
    [[ -e $J/link.ready ]] || vmerror "the host did not bring up its end of the link within 60 s"
elif [[ $SR_HOSTS == 1 ]]; then
    modprobe -a rdma_rxe rdma_ucm ib_uverbs ib_umad dummy || vmerror "modprobe failed"
    mark modules
    ip -batch - <<'EOF' || vmerror "cannot configure the network (ip -batch)"
link set lo up
link add d0 type dummy
addr add 10.77.0.1/24 dev d0
link set d0 up
EOF
    rdma link add rxe0 type rxe netdev d0 || vmerror "rdma link add rxe0 failed"
    devs=(rxe0)
    cat >"$J/rdma.env" <<'EOF'
export JVERBS_SOFTROCE=1 JVERBS_RDMA_DEV=rxe0 JVERBS_GID_INDEX=1 JVERBS_IPV4=10.77.0.1
EOF
else
    # Two "hosts" in init_net: rxe0 on veth0 (10.77.1.1), rxe1 on veth1 (10.77.1.2).
    # Linux 6.1 rxe has its UDP/4791 socket and its route lookups in init_net only, so
    # the peer cannot live in another netns (docs/softroce.md). Policy routing instead
    # makes traffic between the two local addresses really cross the veth pair rather
    # than short-circuit through lo (rxe only accepts packets arriving on its netdev).
    modprobe -a rdma_rxe rdma_ucm ib_uverbs ib_umad veth || vmerror "modprobe failed"
    mark modules
    sysctl_w net.ipv4.conf.all.rp_filter 0
    sysctl_w net.ipv4.conf.default.rp_filter 0
    ip -batch - <<'EOF' || vmerror "cannot configure the network (ip -batch)"
link set lo up
link add veth0 address 02:77:00:01:00:01 type veth peer name veth1 address 02:77:00:01:00:02
EOF
    for i in 0 1; do
        sysctl_w net.ipv4.conf.veth$i.accept_local 1   # the peer's source address is local
        sysctl_w net.ipv4.conf.veth$i.rp_filter 0
        sysctl_w net.ipv4.conf.veth$i.arp_ignore 1     # each end answers ARP for its own IP only
        sysctl_w net.ipv4.conf.veth$i.arp_announce 2
    done
    # Rules: packets arriving on a veth end are delivered locally (pref 100/101);
    # locally generated packets to the other end leave through our own end (110/111);
    # then the usual local table, moved from pref 0 to 200. Permanent neighbour entries:
    # the kernel resolves a RoCE peer's MAC with a 1 s deadline, which ARP can miss
    # when TCG runs on a busy host.
    ip -batch - <<'EOF' || vmerror "cannot configure the network (ip -batch)"
addr add 10.77.1.1/24 dev veth0
addr add 10.77.1.2/24 dev veth1
link set veth0 up
link set veth1 up
route add 10.77.1.2/32 dev veth0 src 10.77.1.1 table 101
route add 10.77.1.1/32 dev veth1 src 10.77.1.2 table 102
rule add pref 100 iif veth0 lookup local
rule add pref 101 iif veth1 lookup local
rule add pref 110 iif lo to 10.77.1.2 lookup 101
rule add pref 111 iif lo to 10.77.1.1 lookup 102
rule add pref 200 lookup local
rule del pref 0 lookup local
neigh replace 10.77.1.2 lladdr 02:77:00:01:00:02 dev veth0 nud permanent
neigh replace 10.77.1.1 lladdr 02:77:00:01:00:01 dev veth1 nud permanent
EOF
    rdma link add rxe0 type rxe netdev veth0 || vmerror "rdma link add rxe0 failed"
    rdma link add rxe1 type rxe netdev veth1 || vmerror "rdma link add rxe1 failed"
    devs=(rxe0 rxe1)
    cat >"$J/rdma.env" <<'EOF'
export JVERBS_SOFTROCE=1 JVERBS_RDMA_DEV=rxe0 JVERBS_GID_INDEX=1 JVERBS_IPV4=10.77.1.1
export JVERBS_RDMA_DEV2=rxe1 JVERBS_IPV4_2=10.77.1.2
export JVERBS_HOST2_EXEC="env JVERBS_HOST=2 JVERBS_RDMA_DEV=rxe1 JVERBS_IPV4=10.77.1.2"
EOF
fi
mark links

# Wait until each port is ACTIVE and GID 1 (IPv4-mapped RoCE v2) is populated; this is
# what ibv_devinfo reports, read straight from sysfs.
zero=0000:0000:0000:0000:0000:0000:0000:0000
for d in "${devs[@]}"; do
    ok=0
    for ((i = 0; i < 600; i++)); do
        st='' g=''
        read -r st <"/sys/class/infiniband/$d/ports/1/state" 2>/dev/null
        read -r g <"/sys/class/infiniband/$d/ports/1/gids/1" 2>/dev/null
        if [[ $st == *ACTIVE* && -n $g && $g != "$zero" ]]; then ok=1; break; fi
        nap 0.1
    done
    ((ok)) || vmerror "$d did not become PORT_ACTIVE with GID index 1 within 60 s"
done

if [[ $SR_INTERACTIVE == 1 ]]; then
    tty=/dev/ttyS0
    stty -F $tty sane ${SR_ROWS:+rows $SR_ROWS} ${SR_COLS:+cols $SR_COLS} 2>/dev/null
    cat >"$J/rc" <<EOF
[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc
. $J/env.sh
. $J/rdma.env
PS1='softroce:\w# '
cd -- "\$SR_CWD" 2>/dev/null || cd /
echo "Soft-RoCE guest: ${devs[*]} up; exit the shell to power off."
EOF
    export SR_CWD
    # -c: the serial line becomes the shell's controlling terminal (job control, ^C).
    setsid -c -w bash --rcfile "$J/rc" -i <>$tty >&0 2>&0
    echo $? >"$J/status"
    poweroff_now
fi

# --agent: serve the jobs guest-exec.sh puts in $J/q/<id>/ (cmd.sh written on the host,
# the directory renamed into place when complete) until $J/stop or SR_TIMEOUT. Each job
# runs in its own process group (set -m), so a stop (<id>/kill holds the signal) reaches
# its children; <id>/rc appears, complete, when it has ended. Polls with builtins only.
# Its own stderr is dropped: job control would print a line for every stopped job.
agent() {
    local q=$J/q d id p sig rc=0
    local -A pid=() killed=() seen=()
    set -m
    echo ready >"$J/ready"
    while :; do
        [[ -e $J/stop ]] && break
        if ((SR_TIMEOUT > 0 && SECONDS - start >= SR_TIMEOUT)); then
            echo "softroce-agent: --timeout ${SR_TIMEOUT}s reached: powering off" >"$err"
            rc=124; break
        fi
        for d in "$q"/*/; do
            id=${d%/}; id=${id##*/}
            # seen: no 9p stat per old job per poll (a CI suite submits hundreds)
            [[ $id == '*' || -n ${seen[$id]+x} ]] && continue
            bash "$q/$id/cmd.sh" </dev/null >"$q/$id/out" 2>"$q/$id/err" &
            pid[$id]=$! seen[$id]=1
            echo "$!" >"$q/$id/started"
        done
        for id in "${!pid[@]}"; do
            p=${pid[$id]}
            if ! kill -0 "$p" 2>/dev/null; then
                wait "$p"
                echo "$?" >"$q/$id/rc"   # one write(): the host never reads it half-written
                unset "pid[$id]" "killed[$id]"
            elif [[ -z ${killed[$id]:-} && -e $q/$id/kill ]]; then
                read -r sig <"$q/$id/kill"
                kill -"${sig:-TERM}" -- -"$p" 2>/dev/null
                killed[$id]=$SECONDS
            elif [[ -n ${killed[$id]:-} ]] && ((SECONDS - killed[$id] >= 5)); then
                kill -KILL -- -"$p" 2>/dev/null   # did not stop within 5 s
            fi
        done
        nap 0.1
    done
    for id in "${!pid[@]}"; do kill -TERM -- -"${pid[$id]}" 2>/dev/null; done
    for ((i = 0; i < 30 && ${#pid[@]}; i++)); do
        for id in "${!pid[@]}"; do kill -0 "${pid[$id]}" 2>/dev/null || unset "pid[$id]"; done
        nap 0.1
    done
    echo "$rc" >"$J/status"
    poweroff_now
}

out='' err=''
for p in /sys/class/virtio-ports/*; do   # find the ports by the names qemu gave them
    read -r n <"$p/name" 2>/dev/null
    case $n in stdout) out=/dev/${p##*/} ;; stderr) err=/dev/${p##*/} ;; esac
done
[[ -n $out && -n $err ]] || vmerror "virtio-serial ports stdout/stderr not found"

mark job
start=$SECONDS
if [[ $SR_AGENT == 1 ]]; then
    agent >"$out" 2>/dev/null
fi
if ((SR_TIMEOUT > 0)); then
    timeout -k 5 "$SR_TIMEOUT" bash "$J/job.sh" </dev/null >"$out" 2>"$err"
    rc=$?
    # A job that ignores SIGTERM ends with SIGKILL (137): still a timeout.
    ((rc == 137 && SECONDS - start >= SR_TIMEOUT)) && rc=124
else
    bash "$J/job.sh" </dev/null >"$out" 2>"$err"
    rc=$?
fi
mark "job done rc=$rc"
echo "$rc" >"$J/status"
poweroff_now
