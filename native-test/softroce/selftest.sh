#!/usr/bin/env bash
# Self-test of the Soft-RoCE VM harness. Boots five VMs (each timeout one runs alongside
# another, it only sleeps) and prints "softroce: N passed, M failed"; exit 1 on failure.
# The --host-link part needs root (a TAP), as softroce-vm.sh --host-link does.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
project=$(cd "$here/../.." && pwd -P)
vm=$project/native-test/softroce-vm.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/softroce-selftest.XXXXXX")
trap 'rm -rf "$tmp" "$project/target-test-xyz"' EXIT
pass=0 fail=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
ko() { echo "FAIL $*"; fail=$((fail + 1)); }
t() { date +%s.%N; }
dt() { printf '%.1f' "$(echo "$(t) - $1" | bc)"; }
# Count the CHECK lines of the guest (or of the host probe: LABEL host).
guest_checks() {   # FILE [LABEL]
    local line
    while IFS= read -r line; do
        case $line in
            "CHECK "*" ok") ok "${2:-guest}: ${line#CHECK }" ;;
            "CHECK "*) ko "${2:-guest}: ${line#CHECK }" ;;
        esac
    done <"$1"
}

# -- setup twice; the second run must be fast ---------------------------------------
s=$(t); "$here/setup.sh" --quiet && ok "setup.sh (first run, $(dt "$s") s)" || ko "setup.sh failed"
s=$(t); "$here/setup.sh" --quiet; r=$?; d=$(dt "$s")
[[ $r == 0 ]] && (($(echo "$d < 5" | bc))) && ok "setup.sh second run fast (${d} s)" || ko "setup.sh second run rc=$r ${d} s"

# -- options without a VM -------------------------------------------------------------
"$vm" --bogus -- true >/dev/null 2>&1; r=$?
[[ $r == 2 ]] && ok "unknown option -> exit 2" || ko "unknown option -> exit $r (want 2)"
"$vm" --help | grep -q -- '--hosts' && ok "--help" || ko "--help"
"$vm" --hosts 2 --host-link -- true >/dev/null 2>&1; r=$?
[[ $r == 2 ]] && ok "--host-link with --hosts 2 -> exit 2" || ko "--host-link --hosts 2 -> exit $r (want 2)"
"$here/guest-exec.sh" "$tmp" -- true >/dev/null 2>&1; r=$?
[[ $r == 2 ]] && ok "guest-exec.sh on a non-agent directory -> exit 2" || ko "guest-exec.sh on a non-agent directory -> exit $r (want 2)"

# -- VM 1 (hosts 1): devinfo, perftest loopback, env, cwd, rw share, java, streams,
#    and exit-status propagation (the job ends with exit 7); stdin closed like in CI.
#    In parallel, a VM whose job outlives --timeout 20.
s2=$(t)
(cd "$project" && "$vm" --timeout 20 -- sleep 600 </dev/null >"$tmp/to.out" 2>"$tmp/to.err"; echo $? >"$tmp/to.rc"; dt "$s2" >"$tmp/to.time") &
topid=$!
s=$(t)
(cd "$project" && SOFTROCE_SELFTEST_VAR=$'a b\n"c" $d \\e' \
    "$vm" --timeout 600 -- sh -c 'bash "$1" hosts1 "$2"; exit 7' sh "$here/selftest-guest.sh" "$project" \
    <&- >"$tmp/vm1.out" 2>"$tmp/vm1.err")
r=$?; d=$(dt "$s")
cat "$tmp/vm1.out"
guest_checks "$tmp/vm1.out"
[[ $r == 7 ]] && ok "exit status 7 propagated (VM 1 took ${d} s)" || ko "VM 1 exit $r (want 7)"
grep -q '^CHECK .* FAIL' "$tmp/vm1.out" || [[ $r != 7 ]] && { echo "--- VM 1 stderr:"; cat "$tmp/vm1.err"; }
grep -q stderr-marker "$tmp/vm1.err" && ! grep -q stderr-marker "$tmp/vm1.out" &&
    ok "stderr arrives separately on stderr" || ko "stderr separation"
! grep -q $'\r' "$tmp/vm1.out" && ok "no CR characters in stdout" || ko "stdout contains \\r"
! grep -qE '^\[ *[0-9]+\.[0-9]+\]|qemu-system' "$tmp/vm1.out" "$tmp/vm1.err" &&
    ok "no kernel/qemu noise" || ko "kernel or qemu noise in output"
[[ $(cat "$project/target-test-xyz/from-guest.txt" 2>/dev/null) == written-in-guest ]] &&
    ok "file written in the guest is on the host" || ko "file written in the guest not on the host"
rm -rf "$project/target-test-xyz"

wait "$topid"
r=$(cat "$tmp/to.rc") d=$(cat "$tmp/to.time")
[[ $r == 124 ]] && (($(echo "$d < 50" | bc))) && ok "--timeout 20 -- sleep 600: exit 124 after ${d} s" ||
    { ko "--timeout 20: exit $r after ${d} s (want 124 within 50 s)"; cat "$tmp/to.err"; }

# -- VM 3 (hosts 2): perftest and rdma_cm between the two hosts ----------------------
s=$(t)
(cd "$project" && "$vm" --hosts 2 --timeout 600 -- bash "$here/selftest-guest.sh" hosts2 "$project" \
    </dev/null >"$tmp/vm3.out" 2>"$tmp/vm3.err")
r=$?; d=$(dt "$s")
cat "$tmp/vm3.out"
guest_checks "$tmp/vm3.out"
[[ $r == 0 ]] && ok "--hosts 2 VM exit 0 (${d} s)" || ko "--hosts 2 VM exit $r"
grep -q '^CHECK .* FAIL' "$tmp/vm3.out" || [[ $r != 0 ]] && { echo "--- VM 3 stderr:"; cat "$tmp/vm3.err"; }

# -- VM 4 (--agent --host-link): the host pings the guest; rxe0 on the virtio NIC; the
#    guest's ibv_ud_pingpong client (a background job) against a host UDP socket
#    (hostlink-probe.py: checks its UD SEND, answers it: 3 round trips); one background
#    job stopped, one foreground job with exit 3; --shutdown powers off.
#    In parallel, VM 5 (--agent --timeout 25) must go away on its own with exit 124.
ge=$here/guest-exec.sh probe=$here/hostlink-probe.py
a5=$tmp/agent5
s5=$(t)
("$vm" --agent "$a5" --timeout 25 </dev/null >"$tmp/vm5.out" 2>"$tmp/vm5.err"; echo $? >"$tmp/vm5.rc"; dt "$s5" >"$tmp/vm5.time") &
vm5=$!
a4=$tmp/agent4
s=$(t)
"$vm" --agent "$a4" --host-link --timeout 600 </dev/null >"$tmp/vm4.out" 2>"$tmp/vm4.err" &
vm4=$!
# VM 5: a background job outlives the VM's --timeout; the VM goes, --wait says so.
if "$ge" "$a5" --ready >/dev/null && "$ge" "$a5" --background long -- sleep 600; then
    ("$ge" "$a5" --wait long --timeout 120 2>"$tmp/wait5.err"; echo $? >"$tmp/wait5.rc") &
    wait5=$!
else
    ko "--agent --timeout 25: job not started"; wait5=''
fi
if env4=$("$ge" "$a4" --ready); then
    ok "--agent --host-link: ready after $(dt "$s") s"
    eval "$env4"
    echo "$env4"
    python3 "$probe" ping "$JVERBS_IPV4" >"$tmp/ping.out" 2>&1
    cat "$tmp/ping.out"; guest_checks "$tmp/ping.out" host

    out=$(cd "$project" && "$ge" "$a4" -- sh -c 'rdma link show rxe0/1; echo err-marker >&2; exit 3' 2>"$tmp/fg.err"); r=$?
    echo "$out"
    [[ $r == 3 ]] && ok "agent: foreground exit status 3 propagated" || ko "agent: foreground exit $r (want 3)"
    [[ $out == *"netdev $JVERBS_LINK_NETDEV"* && $JVERBS_LINK_NETDEV == eth* ]] &&
        ok "rxe0 bound to the virtio NIC ($JVERBS_LINK_NETDEV)" || ko "rdma link: $out"
    grep -q err-marker "$tmp/fg.err" && [[ $out != *err-marker* ]] &&
        ok "agent: foreground stderr separate" || ko "agent: foreground stderr"

    python3 "$probe" ud-server --host-ip "$JVERBS_HOST_LINK_IPV4" --guest-ip "$JVERBS_IPV4" \
        --iface "$JVERBS_HOST_LINK_IF" --size 512 --iters 3 --timeout 90 >"$tmp/ud.out" 2>&1 &
    pp=$!
    for _ in $(seq 1 100); do grep -q '^PORT ' "$tmp/ud.out" && break; sleep 0.1; done
    port=$(awk '/^PORT /{print $2}' "$tmp/ud.out")
    "$ge" "$a4" --background ud -- ibv_ud_pingpong -d rxe0 -g 1 -e -n 3 -s 512 -p "${port:-1}" "$JVERBS_HOST_LINK_IPV4"
    r=$?; [[ $r == 0 ]] && ok "agent: background job started" || ko "agent: --background exit $r"
    wait "$pp"; r=$?
    cat "$tmp/ud.out"; guest_checks "$tmp/ud.out" host
    [[ $r == 0 ]] || ko "hostlink-probe.py ud-server exit $r"
    out=$("$ge" "$a4" --wait ud --timeout 60 2>"$tmp/ud.err"); r=$?
    echo "$out"
    [[ $r == 0 && $out == *"3 iters in"* ]] && ok "ibv_ud_pingpong in the guest: 3 round trips with the host, exit 0" ||
        { ko "ibv_ud_pingpong exit $r"; cat "$tmp/ud.err"; }

    "$ge" "$a4" --background sl -- sh -c 'echo sleeping; exec sleep 600'; r=$?
    for _ in $(seq 1 100); do [[ -s $a4/q/sl/out ]] && break; sleep 0.1; done
    out=$("$ge" "$a4" --stop sl 2>"$tmp/sl.err"); r2=$?
    [[ $r == 0 && $r2 == 143 && $out == sleeping ]] && ok "agent: --stop ends a background job (SIGTERM: 143) and returns its output" ||
        { ko "agent: --background $r, --stop $r2 (want 143), output '$out'"; cat "$tmp/sl.err"; }

    s=$(t); "$ge" "$a4" --shutdown; r=$?
    wait "$vm4"; r4=$?
    [[ $r == 0 && $r4 == 0 ]] && ok "agent: --shutdown powers off (exit 0 after $(dt "$s") s)" ||
        ko "agent: --shutdown exit $r, softroce-vm.sh exit $r4"
    [[ ! -e /sys/class/net/$JVERBS_HOST_LINK_IF ]] && ok "TAP $JVERBS_HOST_LINK_IF removed" ||
        ko "TAP $JVERBS_HOST_LINK_IF still exists"
else
    ko "--agent --host-link: not ready"
    "$ge" "$a4" --shutdown --timeout 30 >/dev/null 2>&1
    wait "$vm4"
fi
grep -q '^CHECK .* FAIL' "$tmp"/ping.out "$tmp"/ud.out 2>/dev/null && { echo "--- VM 4 stderr:"; cat "$tmp/vm4.err"; }

if [[ -n $wait5 ]]; then
    wait "$wait5"; r=$(cat "$tmp/wait5.rc")
    [[ $r == 125 ]] && ok "agent: --wait on a VM that timed out: exit 125" || { ko "agent: --wait exit $r (want 125)"; cat "$tmp/wait5.err"; }
fi
wait "$vm5"
r=$(cat "$tmp/vm5.rc") d=$(cat "$tmp/vm5.time")
[[ $r == 124 ]] && (($(echo "$d < 60" | bc))) && ok "--agent --timeout 25: exit 124 after ${d} s" ||
    { ko "--agent --timeout 25: exit $r after ${d} s (want 124 within 60 s)"; cat "$tmp/vm5.err"; }

echo "softroce: $pass passed, $fail failed"
((fail == 0))
