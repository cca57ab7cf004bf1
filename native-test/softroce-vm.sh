#!/usr/bin/env bash
# Run a command as root inside a throw-away QEMU guest with Soft-RoCE (rdma_rxe) up.
# See docs/softroce.md. Exit status: COMMAND's, or 124 (timeout), 125 (VM failure),
# 2 (usage error). --agent DIR: no COMMAND; the guest runs what guest-exec.sh submits.
set -uo pipefail

# Everything lives in main() so bash parses the whole file before running it: editing
# the script while a VM is running cannot confuse the running instance.
main() {
usage() {
    cat <<'EOF'
Usage: native-test/softroce-vm.sh [OPTIONS] [-- COMMAND [ARGS...]]
       native-test/softroce-vm.sh [OPTIONS] --agent DIR

Boot a QEMU (TCG) guest that shares the host root read-only (plus this checkout
read-write), bring up Soft-RoCE, run COMMAND as root in the current directory with the
caller's environment, stream its stdout/stderr here, power off, and exit with
COMMAND's exit status. Without COMMAND (and stdin a terminal): an interactive root
shell in the guest; the VM powers off when it exits.

Options:
  --hosts 1|2     1: rxe0 on a dummy netdev (10.77.0.1). 2: additionally rxe1 as a
                  second "host" (rxe0 on veth0 10.77.1.1, rxe1 on veth1 10.77.1.2).
                  Default 1.
  --smp N         vCPUs (default 2). Under TCG, busy-polling with more pollers than
                  vCPUs collapses throughput/latency: keep pollers <= N.
  --mem MB        guest memory (default 2048).
  --timeout SECS  kill the job after SECS (default 1800; 0 = none). Enforced in the
                  guest and, with slack for boot, on the host: exits 124. With
                  --agent: the life of the whole VM.
  --host-link     link the guest to this host: a TAP interface here (jvsr<PID>,
                  10.76.N.1/24, N the lowest free), a virtio-net NIC in the guest
                  (10.76.N.2) with rxe0 bound to it instead of the dummy netdev.
                  Needs root (CAP_NET_ADMIN). Only with --hosts 1.
  --agent DIR     no COMMAND: the guest serves commands that
                  native-test/softroce/guest-exec.sh DIR ... submits (several per
                  boot, foreground or background) until `guest-exec.sh DIR
                  --shutdown`, --timeout, or the owner process exits. DIR is
                  created (must be empty) and kept: logs, job outputs, DIR/exit.
  --owner PID     with --agent: power off when PID exits (default: this script's
                  parent; 0: never).
  -h, --help      this help.

Environment given to COMMAND (in addition to the caller's):
  JVERBS_SOFTROCE=1 JVERBS_RDMA_DEV=rxe0 JVERBS_GID_INDEX=1 JVERBS_IPV4=<rxe0 IPv4>
  with --hosts 2: JVERBS_RDMA_DEV2=rxe1 JVERBS_IPV4_2=<rxe1 IPv4>
                  JVERBS_HOST2_EXEC=<prefix that runs a command as host 2>
  with --host-link: JVERBS_IPV4=<guest link IPv4> JVERBS_HOST_LINK_IPV4=<host's>
                  JVERBS_HOST_LINK_IF=<host TAP> JVERBS_HOST_LINK_MAC=<its MAC>
                  JVERBS_LINK_NETDEV=<guest NIC> JVERBS_LINK_MAC=<its MAC>
                  (also in DIR/rdma.env for the host side with --agent)

Exit status: COMMAND's; 124 timeout; 125 the VM failed (boot, setup, Soft-RoCE);
2 usage error. Cache: ${JVERBS_SOFTROCE_CACHE:-$HOME/.cache/jverbs/softroce}.
EOF
}
die_usage() { echo "softroce-vm: $*" >&2; echo "Try 'softroce-vm.sh --help'." >&2; exit 2; }

hosts=1 smp=2 mem=2048 timeout_s=1800 timeout_given=0 host_link=0 agent='' owner=$PPID
while (($#)); do
    case $1 in
        --hosts) [[ ${2:-} =~ ^[12]$ ]] || die_usage "--hosts takes 1 or 2"; hosts=$2; shift 2 ;;
        --hosts=*) v=${1#*=}; [[ $v =~ ^[12]$ ]] || die_usage "--hosts takes 1 or 2"; hosts=$v; shift ;;
        --smp) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die_usage "--smp takes a positive integer"; smp=$2; shift 2 ;;
        --smp=*) v=${1#*=}; [[ $v =~ ^[1-9][0-9]*$ ]] || die_usage "--smp takes a positive integer"; smp=$v; shift ;;
        --mem) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die_usage "--mem takes megabytes"; mem=$2; shift 2 ;;
        --mem=*) v=${1#*=}; [[ $v =~ ^[1-9][0-9]*$ ]] || die_usage "--mem takes megabytes"; mem=$v; shift ;;
        --timeout) [[ ${2:-} =~ ^[0-9]+$ ]] || die_usage "--timeout takes seconds"; timeout_s=$2; timeout_given=1; shift 2 ;;
        --timeout=*) v=${1#*=}; [[ $v =~ ^[0-9]+$ ]] || die_usage "--timeout takes seconds"; timeout_s=$v; timeout_given=1; shift ;;
        --host-link) host_link=1; shift ;;
        --agent) [[ -n ${2:-} ]] || die_usage "--agent takes a directory"; agent=$2; shift 2 ;;
        --agent=*) agent=${1#*=}; [[ -n $agent ]] || die_usage "--agent takes a directory"; shift ;;
        --owner) [[ ${2:-} =~ ^[0-9]+$ ]] || die_usage "--owner takes a PID"; owner=$2; shift 2 ;;
        --owner=*) v=${1#*=}; [[ $v =~ ^[0-9]+$ ]] || die_usage "--owner takes a PID"; owner=$v; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        -*) die_usage "unknown option: $1" ;;
        *) break ;;   # first non-option starts COMMAND
    esac
done

((host_link && hosts != 1)) && die_usage "--host-link works with --hosts 1 only"
interactive=0
if [[ -n $agent ]]; then
    (($# == 0)) || die_usage "--agent takes no COMMAND (submit commands with guest-exec.sh)"
    mkdir -p -- "$agent" 2>/dev/null || die_usage "--agent: cannot create $agent"
    [[ -z $(ls -A -- "$agent") ]] || die_usage "--agent: $agent is not empty"
elif (($# == 0)); then
    [[ -t 0 ]] || die_usage "no COMMAND given and stdin is not a terminal"
    interactive=1
    # An interactive shell is not killed after 30 minutes unless asked for.
    ((timeout_given)) || timeout_s=0
fi

self=$(readlink -f "${BASH_SOURCE[0]}")
here=$(dirname "$self")
project=$(cd "$here/.." && pwd -P)
cache=${JVERBS_SOFTROCE_CACHE:-${HOME:-/root}/.cache/jverbs/softroce}
cwd=$(pwd -P)

# Setup is fast when the cache is complete; it also rebuilds a stale initramfs.
if ! "$here/softroce/setup.sh" --quiet; then
    echo "softroce-vm: setup failed (see above); run native-test/softroce/setup.sh" >&2
    exit 125
fi
kver=$(cat "$cache/kver")
kernel=$cache/vmlinux   # PVH boot of the uncompressed kernel; bzImage as a fallback
[[ -s $kernel ]] || kernel=$cache/kernel/boot/vmlinuz-$kver
initrd=$cache/initramfs.cpio.gz
qemu=$(command -v qemu-system-x86_64) || { echo "softroce-vm: qemu-system-x86_64 not found" >&2; exit 125; }

# With --agent the run directory (the guest's job share) is DIR itself, kept at the end.
if [[ -n $agent ]]; then
    run=$(cd -- "$agent" && pwd -P) || exit 125
    mkdir "$run/q" || exit 125
    echo "$$" >"$run/pid"   # guest-exec.sh: the VM is gone when this process is
else
    run=$(mktemp -d "${TMPDIR:-/tmp}/softroce.XXXXXX") || exit 125
fi
chmod 755 "$run"
qpid='' catpids=()
exec {lockfd}</dev/null   # --host-link's lock later; children close it ({lockfd}>&-)
cleanup() {
    local rc=$?
    # timeout(1) forwards the TERM to qemu; wait so the run dir is not removed under it.
    # qemu owns the TAP (not persistent): it disappears with qemu, even after a kill -9.
    [[ -n $qpid ]] && { kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; }
    for p in "${catpids[@]}"; do kill "$p" 2>/dev/null; done
    if [[ -n $agent ]]; then
        rm -f "$run/out.fifo" "$run/err.fifo"
        echo "$rc" >"$run/exit"   # guest-exec.sh: the VM is gone, with this status
    else
        rm -rf "$run"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- --host-link: pick a free 10.76.N.0/24 ------------------------------------------
# Serialised with flock: the choice holds until the TAP carries 10.76.N.1 (after qemu
# created it), so concurrent runs never share a subnet. The harness's other subnets
# (10.77.x in the guest, the netns tests' 10.0.0.x, 10.78+, 10.199, 10.203) stay clear.
if ((host_link)); then
    ((EUID == 0)) || { echo "softroce-vm: --host-link needs root (a TAP interface)" >&2; exit 125; }
    tap=jvsr$$   # <= 15 characters (IFNAMSIZ); unique while this script runs
    lockdir=/run/lock; [[ -d $lockdir && -w $lockdir ]] || lockdir=${TMPDIR:-/tmp}
    exec {lockfd}>>"$lockdir/jverbs-softroce-link.lock" || exit 125
    flock -w 120 "$lockfd" || { echo "softroce-vm: --host-link: lock busy for 120 s" >&2; exit 125; }
    used=" $(ip -4 -o addr show | grep -oE ' 10\.76\.[0-9]+\.' | cut -d. -f3 | tr '\n' ' ') "
    net=''
    for ((n = 0; n < 256; n++)); do [[ $used == *" $n "* ]] || { net=$n; break; }; done
    [[ -n $net ]] || { echo "softroce-vm: --host-link: no free subnet in 10.76.0.0/16" >&2; exit 125; }
    link_host_ip=10.76.$net.1 link_guest_ip=10.76.$net.2
    link_host_mac=$(printf '02:76:00:00:%02x:01' "$net")
    link_guest_mac=$(printf '52:54:00:76:%02x:02' "$net")
fi

# ---- job description for the guest -------------------------------------------------
q() { printf '%q' "$1"; }
{
    echo "SR_KVER=$(q "$kver")"
    echo "SR_KMODDIR=$(q "$cache/kernel/lib/modules/$kver")"
    echo "SR_PROJECT=$(q "$project")"
    echo "SR_HOSTS=$hosts"
    echo "SR_INTERACTIVE=$interactive"
    echo "SR_TIMEOUT=$timeout_s"
    echo "SR_CWD=$(q "$cwd")"
    echo "SR_AGENT=$([[ -n $agent ]] && echo 1 || echo 0)"
    echo "SR_LINK=$host_link"
    if ((host_link)); then
        echo "SR_LINK_IP=$link_guest_ip SR_LINK_MAC=$link_guest_mac"
        echo "SR_LINK_HOST_IP=$link_host_ip SR_LINK_HOST_MAC=$link_host_mac SR_LINK_HOST_IF=$tap"
    fi
    if ((interactive)); then
        echo "SR_ROWS=$(tput lines 2>/dev/null || echo 24)"
        echo "SR_COLS=$(tput cols 2>/dev/null || echo 80)"
    fi
} >"$run/boot.conf"
# busybox sh sources boot.conf too: keep it to plain NAME=value lines it understands.
if grep -q "\$'" "$run/boot.conf"; then
    echo "softroce-vm: paths with control characters are not supported" >&2; exit 125
fi

# Caller's environment, minus what describes this host's shell/terminal session.
. "$here/softroce/host-env.sh"
{
    softroce_dump_env
    ((interactive)) && [[ -n ${TERM:-} ]] && printf 'export TERM=%q\n' "$TERM"
} >"$run/env.sh"

{
    echo ". /.softroce-job/env.sh"
    echo ". /.softroce-job/rdma.env"
    echo "cd -- $(q "$cwd") || exit 125"
    printf 'exec'
    for a in "$@"; do printf ' %q' "$a"; done
    echo
} >"$run/job.sh"
cp "$here/softroce/guest-run.sh" "$run/guest-run.sh"

# ---- qemu ---------------------------------------------------------------------------
qe() { printf '%s' "${1//,/,,}"; }   # qemu option values: a literal comma is ",,"
append="console=ttyS0 rdinit=/init panic=-1 mitigations=off nowatchdog"
append+=" rcupdate.rcu_cpu_stall_suppress=1 8250.nr_uarts=1 random.trust_cpu=on"
# JVERBS_SOFTROCE_DEBUG=1: verbose kernel console, dumped to stderr at the end.
debug=${JVERBS_SOFTROCE_DEBUG:-0}
if [[ $debug == 1 ]]; then append+=" loglevel=7 printk.time=1 printk.devkmsg=on"; else append+=" quiet loglevel=0"; fi
args=(
    -nodefaults -no-user-config -accel tcg,thread=multi -cpu max -smp "$smp" -m "$mem"
    -display none -monitor none -no-reboot -nic none
    -kernel "$kernel" -initrd "$initrd" -append "$append"
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    -virtfs "local,path=$(qe "$project"),mount_tag=project,security_model=none,multidevs=remap"
    -virtfs "local,path=$(qe "$run"),mount_tag=job,security_model=none"
)
if ((host_link)); then
    # qemu creates the TAP (not persistent: it vanishes when qemu exits, however qemu
    # exits). vnet_hdr=off: no virtio-net header, so qemu offers the guest no checksum
    # or segmentation offload and the host TAP has none either; every frame crosses as
    # one complete, checksummed Ethernet frame and nothing rebuilds an IP header (the
    # ICRC covers the IP ID rxe chose). See docs/softroce.md "--host-link".
    args+=(-netdev "tap,id=hl,ifname=$tap,script=no,downscript=no,vnet_hdr=off"
           -device "virtio-net-pci,netdev=hl,mac=$link_guest_mac")
fi
# The host end of --host-link, configured once qemu has created the TAP (in the
# background: in interactive mode qemu runs in the foreground). On failure qemu ($1) is
# stopped. The guest waits for link.ready before it reports rxe0 up.
link_up() {
    local i
    for ((i = 0; i < 300; i++)); do [[ -e /sys/class/net/$tap ]] && break; sleep 0.1; done
    if [[ -e /sys/class/net/$tap ]] &&
        echo 1 >"/proc/sys/net/ipv6/conf/$tap/disable_ipv6" &&
        ip -batch - <<EOF
link set dev $tap address $link_host_mac
addr add $link_host_ip/24 dev $tap
link set dev $tap up
neigh replace $link_guest_ip lladdr $link_guest_mac dev $tap nud permanent
EOF
    then
        # Already off on a TAP without vnet_hdr except the software GSO/GRO flags, which
        # UDP sockets do not use; off anyway, so no stack change can merge RoCE packets.
        command -v ethtool >/dev/null && ethtool -K "$tap" gso off gro off 2>/dev/null
        flock -u "$lockfd"
        : >"$run/link.ready"
        return 0
    fi
    flock -u "$lockfd"
    echo "softroce-vm: --host-link: cannot configure $tap ($link_host_ip/24)" >&2
    echo "host: cannot configure $tap" >>"$run/vmerror"
    [[ -n ${1:-} ]] && kill "$1" 2>/dev/null
    return 1
}
# qemu (or timeout(1) around it) gets SIGTERM if this script dies, even by SIGKILL:
# no orphaned VM, no leftover TAP.
guard=(); command -v setpriv >/dev/null && guard=(setpriv --pdeathsig TERM)
if ((interactive)); then
    # signal=off: ^C goes to the guest shell, not to qemu.
    args+=(-chardev stdio,id=con,signal=off -serial chardev:con)
else
    # Kernel console to a log (shown only if the VM fails); the job's stdout and stderr
    # on two virtio-serial ports (no tty: no \r\n mangling), drained through FIFOs.
    mkfifo "$run/out.fifo" "$run/err.fifo"
    args+=(-serial "file:$(qe "$run/console.log")"
           -device virtio-serial-pci,id=vser
           -chardev "file,id=jout,path=$(qe "$run/out.fifo")"
           -device virtserialport,bus=vser.0,chardev=jout,name=stdout
           -chardev "file,id=jerr,path=$(qe "$run/err.fifo")"
           -device virtserialport,bus=vser.0,chardev=jerr,name=stderr)
fi

if ((interactive)); then
    ((host_link)) && { link_up '' & }
    if ((timeout_s > 0)); then
        timeout --foreground -k 3 $((timeout_s + 20)) "$qemu" "${args[@]}" 2>"$run/qemu.log" {lockfd}>&-
    else
        "$qemu" "${args[@]}" 2>"$run/qemu.log" {lockfd}>&-
    fi
    qrc=$?
else
    cat "$run/out.fifo" {lockfd}>&- &
    catpids+=($!)
    cat "$run/err.fifo" >&2 {lockfd}>&- &
    catpids+=($!)
    # Host-side guard: boot + job + poweroff must fit in timeout + 20 s, so a hung guest
    # returns 124 within timeout + 25 s. No stdin for qemu (CI closes it anyway).
    if ((timeout_s > 0)); then
        "${guard[@]}" timeout -k 3 $((timeout_s + 20)) "$qemu" "${args[@]}" </dev/null >"$run/qemu.log" 2>&1 {lockfd}>&- &
    else
        "${guard[@]}" "$qemu" "${args[@]}" </dev/null >"$run/qemu.log" 2>&1 {lockfd}>&- &
    fi
    qpid=$!
    ((host_link)) && link_up "$qpid"
    if [[ -n $agent ]]; then
        # The guest powers off on DIR/stop; if the owner is gone, ask for that, and kill
        # the VM if it has not gone 30 s later.
        stop_at=0
        while kill -0 "$qpid" 2>/dev/null; do
            if ((owner > 1 && stop_at == 0)) && ! kill -0 "$owner" 2>/dev/null; then
                echo "softroce-vm: owner process $owner exited: stopping the VM" >&2
                : >"$run/stop"; stop_at=$((SECONDS + 30))
            fi
            ((stop_at && SECONDS > stop_at)) && kill "$qpid" 2>/dev/null
            sleep 0.5
        done
    fi
    wait "$qpid"
    qrc=$?
    qpid=''
    # The drains end on EOF once qemu closes the FIFOs; if qemu died before opening them
    # they would block in open() forever, so give them a moment and then stop them.
    for _ in $(seq 1 50); do
        alive=0
        for p in "${catpids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for p in "${catpids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    catpids=()
fi

if [[ $debug == 1 && -s $run/console.log ]]; then
    { echo "softroce-vm: guest console:"; cat "$run/console.log"; echo "softroce-vm: qemu:"; cat "$run/qemu.log"; } >&2
fi
if [[ -s $run/status ]]; then
    rc=$(<"$run/status")
    [[ $rc =~ ^[0-9]+$ ]] || rc=125
    exit "$rc"
fi
if ((timeout_s > 0 && qrc == 124)); then
    echo "softroce-vm: timed out after ${timeout_s}s (+ boot slack); VM killed" >&2
    exit 124
fi
{
    echo "softroce-vm: the VM failed (qemu exit $qrc) before the job finished"
    [[ -s $run/vmerror ]] && sed 's/^/softroce-vm: guest: /' "$run/vmerror"
    [[ -s $run/qemu.log ]] && sed 's/^/softroce-vm: qemu: /' "$run/qemu.log" | tail -n 20
    [[ -s $run/console.log ]] && { echo "softroce-vm: last guest console lines:"; tail -n 30 "$run/console.log"; }
} >&2
exit 125
}
main "$@"
