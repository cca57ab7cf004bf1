#!/usr/bin/env bash
# Self-test of the Soft-RoCE VM harness. Boots three VMs (the timeout one runs alongside
# the first, it only sleeps) and prints "softroce: N passed, M failed"; exit 1 on failure.
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
# Count the guest's CHECK lines.
guest_checks() {
    local line
    while IFS= read -r line; do
        case $line in
            "CHECK "*" ok") ok "guest: ${line#CHECK }" ;;
            "CHECK "*) ko "guest: ${line#CHECK }" ;;
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

echo "softroce: $pass passed, $fail failed"
((fail == 0))
