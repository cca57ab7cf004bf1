#!/usr/bin/env bash
# Run a command as root inside a throw-away QEMU guest with Soft-RoCE (rdma_rxe) up.
# See docs/softroce.md. Exit status: COMMAND's, or 124 (timeout), 125 (VM failure),
# 2 (usage error).
set -uo pipefail

# Everything lives in main() so bash parses the whole file before running it: editing
# the script while a VM is running cannot confuse the running instance.
main() {
usage() {
    cat <<'EOF'
Usage: native-test/softroce-vm.sh [OPTIONS] [-- COMMAND [ARGS...]]

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
                  guest and, with slack for boot, on the host: exits 124.
  -h, --help      this help.

Environment given to COMMAND (in addition to the caller's):
  JVERBS_SOFTROCE=1 JVERBS_RDMA_DEV=rxe0 JVERBS_GID_INDEX=1 JVERBS_IPV4=<rxe0 IPv4>
  with --hosts 2: JVERBS_RDMA_DEV2=rxe1 JVERBS_IPV4_2=<rxe1 IPv4>
                  JVERBS_HOST2_EXEC=<prefix that runs a command as host 2>

Exit status: COMMAND's; 124 timeout; 125 the VM failed (boot, setup, Soft-RoCE);
2 usage error. Cache: ${JVERBS_SOFTROCE_CACHE:-$HOME/.cache/jverbs/softroce}.
EOF
}
die_usage() { echo "softroce-vm: $*" >&2; echo "Try 'softroce-vm.sh --help'." >&2; exit 2; }

hosts=1 smp=2 mem=2048 timeout_s=1800 timeout_given=0
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
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        -*) die_usage "unknown option: $1" ;;
        *) break ;;   # first non-option starts COMMAND
    esac
done

interactive=0
if (($# == 0)); then
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

run=$(mktemp -d "${TMPDIR:-/tmp}/softroce.XXXXXX") || exit 125
chmod 755 "$run"
qpid='' catpids=()
cleanup() {
    # timeout(1) forwards the TERM to qemu; wait so the run dir is not removed under it.
    [[ -n $qpid ]] && { kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; }
    for p in "${catpids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

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
{
    while IFS= read -r name; do
        case $name in
            TERM|SHLVL|PWD|OLDPWD|_|HOSTNAME|LINES|COLUMNS|SSH_*|DISPLAY|XAUTHORITY|WAYLAND_DISPLAY) continue ;;
            DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR|XDG_SESSION_*|BASH_FUNC_*) continue ;;
            SHELLOPTS|BASHOPTS|BASH_VERSINFO|EUID|UID|PPID) continue ;;   # read-only in bash
        esac
        printf 'export %s=%q\n' "$name" "${!name}"
    done < <(compgen -e)
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
    if ((timeout_s > 0)); then
        timeout --foreground -k 3 $((timeout_s + 20)) "$qemu" "${args[@]}" 2>"$run/qemu.log"
    else
        "$qemu" "${args[@]}" 2>"$run/qemu.log"
    fi
    qrc=$?
else
    cat "$run/out.fifo" &
    catpids+=($!)
    cat "$run/err.fifo" >&2 &
    catpids+=($!)
    # Host-side guard: boot + job + poweroff must fit in timeout + 20 s, so a hung guest
    # returns 124 within timeout + 25 s. No stdin for qemu (CI closes it anyway).
    if ((timeout_s > 0)); then
        timeout -k 3 $((timeout_s + 20)) "$qemu" "${args[@]}" </dev/null >"$run/qemu.log" 2>&1 &
    else
        "$qemu" "${args[@]}" </dev/null >"$run/qemu.log" 2>&1 &
    fi
    qpid=$!
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
