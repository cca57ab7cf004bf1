#!/usr/bin/env bash
# Host-side client of `softroce-vm.sh --agent DIR`: runs commands in the running guest.
# See --help and docs/softroce.md. Exit status: the command's; 124 a wait timed out (the
# job was stopped); 125 the VM is gone or failed; 2 usage error.
set -uo pipefail

usage() {
    cat <<'EOF'
Usage: native-test/softroce/guest-exec.sh DIR [OPTIONS] -- COMMAND [ARGS...]
       native-test/softroce/guest-exec.sh DIR --background NAME -- COMMAND [ARGS...]
       native-test/softroce/guest-exec.sh DIR --wait NAME | --stop NAME [--signal SIG]
       native-test/softroce/guest-exec.sh DIR --ready | --shutdown

DIR is the directory given to `softroce-vm.sh --agent DIR`.

  -- COMMAND       run COMMAND as root in the guest, in this directory (which must be
                   visible in the guest: the checkout, or any path that existed at boot),
                   with this environment plus the VM's JVERBS_* variables; stream its
                   stdout/stderr here and exit with its status.
  --background NAME -- COMMAND
                   start COMMAND and return once it runs; NAME (letters, digits, _ . -)
                   names it for --wait/--stop, once per VM.
  --wait NAME      wait for the background job to end, print its stdout/stderr, exit
                   with its status.
  --stop NAME      send SIGTERM (or --signal SIG) to its process group (SIGKILL 5 s
                   later if still alive), then as --wait (a TERMed job exits 143).
  --ready          wait until the guest serves jobs; print its environment
                   (`export JVERBS_...` lines: eval them for JVERBS_IPV4 etc.).
  --shutdown       power the VM off (jobs still running get SIGTERM); wait for
                   softroce-vm.sh to end and exit with its status (0: clean).
  --timeout SECS   bound on every wait (default 600; --ready 300; --shutdown 60). A
                   job that outlives it is stopped and the exit status is 124.

Exit status: COMMAND's; 124 timeout; 125 the VM is gone or failed; 2 usage error.
EOF
}
die_usage() { echo "guest-exec: $*" >&2; echo "Try 'guest-exec.sh --help'." >&2; exit 2; }

[[ ${1:-} == -h || ${1:-} == --help ]] && { usage; exit 0; }
(($#)) || die_usage "no DIR given"
dir=$1; shift
# --ready may be called as soon as softroce-vm.sh was started: give it time to create DIR.
[[ " $* " == *" --ready "* ]] && for ((i = 0; i < 600; i++)); do [[ -d $dir/q ]] && break; sleep 0.1; done
[[ -d $dir/q ]] || die_usage "$dir is not a softroce-vm.sh --agent directory"
dir=$(cd -- "$dir" && pwd -P)

mode=run name='' sig=TERM timeout_s=''
while (($#)); do
    case $1 in
        --background|--wait|--stop)
            mode=${1#--}; name=${2:-}; shift 2 || die_usage "$mode takes a NAME"
            [[ $name =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || die_usage "bad job name '$name'" ;;
        --ready|--shutdown) mode=${1#--}; shift ;;
        --signal) [[ ${2:-} =~ ^[A-Z0-9]+$ ]] || die_usage "--signal takes a name like TERM or INT"; sig=$2; shift 2 ;;
        --timeout) [[ ${2:-} =~ ^[0-9]+$ ]] || die_usage "--timeout takes seconds"; timeout_s=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        *) die_usage "unknown option: $1" ;;
    esac
done
case $mode in
    run|background) (($#)) || die_usage "no COMMAND after --" ;;
    *) (($#)) && die_usage "--$mode takes no COMMAND" ;;
esac
case $mode in ready) : "${timeout_s:=300}" ;; shutdown) : "${timeout_s:=60}" ;; *) : "${timeout_s:=600}" ;; esac
deadline=$((SECONDS + timeout_s))

# The VM is gone when softroce-vm.sh wrote DIR/exit, or when it died without doing so.
vm_gone() {
    [[ -e $dir/exit ]] && return 0
    local p=''
    [[ -s $dir/pid ]] && read -r p <"$dir/pid"
    [[ -n $p && ! -e /proc/$p ]]   # not kill -0: EPERM when the VM runs as another user
}
gone_msg() {
    local rc=?
    [[ -s $dir/exit ]] && rc=$(<"$dir/exit")
    echo "guest-exec: the VM is gone (softroce-vm.sh exit $rc)" >&2
    [[ -s $dir/vmerror ]] && sed 's/^/guest-exec: guest: /' "$dir/vmerror" >&2
}
# until FILE is non-empty: 0; 124 at the deadline; 125 if the VM goes away first.
await() {
    while [[ ! -s $1 ]]; do
        if vm_gone; then [[ -s $1 ]] && return 0; gone_msg; return 125; fi
        ((SECONDS >= deadline)) && return 124
        sleep 0.1
    done
}
job_rc() { local rc; read -r rc <"$1/rc"; [[ $rc =~ ^[0-9]+$ ]] && echo "$rc" || echo 125; }
# Stop job $1 (its directory) with signal $2 and wait for its end, 10 s at most.
kill_job() {
    echo "$2" >"$1/kill.tmp" && mv -f "$1/kill.tmp" "$1/kill"
    deadline=$((SECONDS + 10)) await "$1/rc"
}
# Collect a finished (or stopped) job: its output here, its status as ours.
finish() {   # jobdir await-status
    local j=$1 w=$2
    cat "$j/out" 2>/dev/null
    cat "$j/err" >&2 2>/dev/null
    case $w in
        0) exit "$(job_rc "$j")" ;;
        124) echo "guest-exec: job $(basename "$j") still running after ${timeout_s}s: stopped" >&2
             kill_job "$j" TERM >/dev/null; exit 124 ;;
        *) exit 125 ;;
    esac
}

case $mode in
ready)
    await "$dir/ready"; w=$?
    ((w == 124)) && { echo "guest-exec: the VM was not ready within ${timeout_s}s" >&2; exit 124; }
    ((w)) && exit 125
    cat "$dir/rdma.env"
    exit 0 ;;
shutdown)
    : >"$dir/stop"
    await "$dir/exit"; w=$?
    if ((w == 124)); then
        p=''; [[ -s $dir/pid ]] && read -r p <"$dir/pid"
        echo "guest-exec: the VM did not power off within ${timeout_s}s: killing softroce-vm.sh${p:+ ($p)}" >&2
        [[ -n $p ]] && kill "$p" 2>/dev/null
        exit 124
    fi
    [[ -s $dir/exit ]] || exit 125
    exit "$(<"$dir/exit")" ;;
wait)
    j=$dir/q/$name
    [[ -d $j ]] || die_usage "no job named $name"
    await "$j/rc"; finish "$j" $? ;;
stop)
    j=$dir/q/$name
    [[ -d $j ]] || die_usage "no job named $name"
    if [[ ! -s $j/rc ]]; then kill_job "$j" "$sig"; w=$?; else w=0; fi
    ((w == 124)) && { echo "guest-exec: job $name did not end within 10 s of SIG$sig" >&2; exit 124; }
    finish "$j" "$w" ;;
esac

# ---- submit: run | background ----------------------------------------------------------
vm_gone && { gone_msg; exit 125; }
await "$dir/ready" || { w=$?; ((w == 124)) && echo "guest-exec: the VM was not ready within ${timeout_s}s" >&2; exit "$w"; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$here/host-env.sh"
[[ $mode == run ]] && name=fg-$$-$RANDOM$RANDOM
j=$dir/q/$name
[[ -e $j ]] && die_usage "a job named $name already ran in this VM"
g=/.softroce-job/q/$name   # the job's directory as the guest sees it
t=$dir/q/.$name.tmp
mkdir "$t" || exit 125
softroce_dump_env >"$t/env.sh"
{
    echo ". $(printf %q "$g/env.sh")"
    echo ". /.softroce-job/rdma.env"
    printf 'cd -- %q || { echo "guest-exec: directory not visible in the guest: $PWD" >&2; exit 125; }\n' "$PWD"
    printf 'exec'
    printf ' %q' "$@"
    echo
} >"$t/cmd.sh"
: >"$t/out"; : >"$t/err"   # exist before tail follows them
# The rename makes the job visible to the guest all at once.
mv "$t" "$j" || exit 125

if [[ $mode == background ]]; then
    await "$j/started"; w=$?
    ((w == 124)) && echo "guest-exec: job $name not started within ${timeout_s}s" >&2
    exit "$w"
fi

# Foreground: stream stdout/stderr while waiting. tail --pid reads what is left once the
# waiter ends, and the guest writes rc only after the job's output is complete.
(await "$j/rc") &
waiter=$!
tail -c +1 -s 0.2 -f --pid="$waiter" "$j/out" &
t1=$!
tail -c +1 -s 0.2 -f --pid="$waiter" "$j/err" >&2 &
t2=$!
trap 'kill_job "$j" TERM >/dev/null; exit 130' INT
trap 'kill_job "$j" TERM >/dev/null; exit 143' TERM
wait "$waiter"; w=$?
wait "$t1" "$t2"
case $w in
    0) exit "$(job_rc "$j")" ;;
    124) echo "guest-exec: COMMAND still running after ${timeout_s}s: stopped" >&2
         kill_job "$j" TERM >/dev/null; exit 124 ;;
    *) exit 125 ;;
esac
