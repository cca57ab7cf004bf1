#!/usr/bin/env bash
# Re-makes soft/src/test/resources/io/jverbs/soft/wire/rxe.pcap, the real-packet fixture of the
# wire tests: short perftest runs between rxe0 and rxe1 in the Soft-RoCE VM (--hosts 2, path MTU
# 1024), captured on veth0 (both directions). Sizes give pads 0..3 and multi-packet messages.
# Usage: soft/capture-rxe.sh   (from anywhere; boots the VM, ~2-4 minutes under TCG)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
out=$here/src/test/resources/io/jverbs/soft/wire/rxe.pcap

if [[ ${1:-} != --in-guest ]]; then
    (cd "$here/.." && native-test/softroce-vm.sh --hosts 2 --timeout 900 -- "$here/capture-rxe.sh" --in-guest)
    # The fuzz seeds of RocePacketFuzzTest: the first IPv4 packet of each opcode in the capture.
    seeds=$here/src/test/resources/io/jverbs/soft/wire/RocePacketFuzzTestInputs/parse
    rm -f "$seeds"/seed-op*
    python3 - "$out" "$seeds" <<'PY'
import os, struct, sys
pcap, seeds = sys.argv[1], sys.argv[2]
data = open(pcap, 'rb').read()
os.makedirs(seeds, exist_ok=True)
at, seen = 24, set()
while at < len(data):
    incl = struct.unpack_from('<I', data, at + 8)[0]
    frame = data[at + 16:at + 16 + incl]
    at += 16 + incl
    op = frame[14 + 20 + 8]          # Ethernet, IPv4 without options, UDP, then the BTH's opcode
    if op not in seen:
        seen.add(op)
        open(os.path.join(seeds, 'seed-op%02x' % op), 'wb').write(frame[14:])
print('capture-rxe: %d fuzz seeds in %s' % (len(seen), seeds))
PY
    exit 0
fi

# In the guest: host 1 is rxe0 (10.77.1.1, veth0), host 2 is rxe1 ($JVERBS_IPV4_2, veth1).
tmp=/tmp/rxe-capture.pcap
tcpdump -i veth0 -s 0 -U -w "$tmp" udp port 4791 2>/tmp/tcpdump.log &
dump=$!
sleep 2

# One perftest pair: the server as host 2, the client as host 1; same arguments on both sides.
run() {
    echo "capture-rxe: $*"
    # shellcheck disable=SC2086
    $JVERBS_HOST2_EXEC timeout 120 "$@" -d rxe1 -x 1 -m 1024 >/tmp/srv.log 2>&1 &
    local srv=$!
    for ((i = 0; i < 150; i++)); do ss -ltn | grep -q ':18515 ' && break; sleep 0.2; done
    # Under TCG perftest's clock calibration may fail ("r^2 < 0.9, Can't produce a report") after
    # the transfer: only the packets matter here, so a failed report is logged, not fatal.
    timeout 120 "$@" -d rxe0 -x 1 -m 1024 "$JVERBS_IPV4_2" >/tmp/cli.log 2>&1 || tail -n 3 /tmp/cli.log
    wait "$srv" || tail -n 3 /tmp/srv.log
}

run ib_send_bw -c RC -s 3001 -n 5            # SEND FIRST/MIDDLE/LAST, pad 3
run ib_send_bw -c RC -s 1000 -n 5            # SEND ONLY, pad 0
run ib_write_bw -c RC -s 3002 -n 5           # WRITE FIRST/MIDDLE/LAST, pad 2
run ib_write_bw -c RC -s 1001 -n 5           # WRITE ONLY, pad 3
run ib_read_bw -c RC -s 3003 -n 5            # READ request, response FIRST/MIDDLE/LAST, pad 1
run ib_read_bw -c RC -s 1002 -n 5            # READ response ONLY, pad 2
run ib_atomic_bw -A FETCH_AND_ADD -n 5
run ib_atomic_bw -A CMP_AND_SWAP -n 5
run ib_send_bw -c UC -s 2049 -n 5            # UC SEND FIRST/MIDDLE/LAST (a 1-byte LAST), pad 3
run ib_write_bw -c UC -s 2050 -n 5           # UC WRITE FIRST/LAST, pad 2
run ib_send_bw -c UD -s 1003 -n 5            # UD SEND ONLY (DETH), pad 1
run ib_write_bw -c RC -s 1001 -n 5 --tclass=106   # TOS 0x6a

sleep 1
kill -INT "$dump"
wait "$dump" || true
cp "$tmp" "$out"
echo "capture-rxe: $(tshark -r "$out" 2>/dev/null | wc -l) packets, $(stat -c %s "$out") bytes -> $out"
