#!/usr/bin/env python3
"""Host half of the --host-link self-test (selftest.sh). Needs root (raw sockets).

  hostlink-probe.py ping GUEST_IP
      ICMP echo to the guest over the TAP (no ping binary needed).
  hostlink-probe.py ud-server --host-ip IP --guest-ip IP --iface TAP [--size N] [--iters N]
      Plays the server side of ibv_ud_pingpong's TCP exchange on HOST_IP (an ephemeral
      port, printed as "PORT n" before accepting), announces a QPN and the host's
      IPv4-mapped GID, then receives the client's RoCEv2 UD SEND twice: on a UDP socket
      bound to HOST_IP:4791 (what a soft device on the host sees) and as a whole frame
      on an AF_PACKET socket on the TAP (to check the IP header and the ICRC rxe
      computed over it, which a UDP socket cannot see). It answers each SEND with a UD
      SEND of its own from that socket (unconnected, IP_PMTUDISC_DO: IPv4 ID 0 and DF,
      which its ICRC assumes), so the client completes --iters round trips.

Prints "CHECK <name> ok|FAIL <detail>" lines; exit status 0 when all passed.
Wire facts: /work/shared/ROCEV2.md (docs/softroce.md); the exchange format is the one
libibverbs/examples/ud_pingpong.c uses ("%04x:%06x:%06x:<32 hex GID>" plus a NUL).
"""
import argparse
import os
import random
import select
import socket
import struct
import sys
import time
import zlib

failed = 0


def check(name, ok, detail=""):
    global failed
    if not ok:
        failed += 1
    print(f"CHECK {name} {'ok' if ok else 'FAIL ' + detail}", flush=True)
    return ok


def inet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(guest_ip, count=3, wait=3.0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    replies = 0
    for seq in range(1, count + 1):
        body = b"jverbs-host-link"
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = struct.pack("!BBHHH", 8, 0, inet_checksum(hdr + body), ident, seq) + body
        sock.sendto(pkt, (guest_ip, 0))
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            if not select.select([sock], [], [], left)[0]:
                break
            data, (src, _) = sock.recvfrom(2048)
            icmp = data[(data[0] & 0x0F) * 4:]
            if src == guest_ip and icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
                replies += 1
                break
    check("host_pings_guest", replies == count, f"{replies}/{count} echo replies from {guest_ip}")


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def ipv4_mapped_gid(ip):
    return bytes(10) + b"\xff\xff" + socket.inet_aton(ip)


def ud_sport(qpn):
    # rxe's UD source port: 0xC000 plus the top 14 bits of the QPN's 32-bit golden-ratio hash.
    return 0xC000 + (((qpn * 0x61C88647) & 0xFFFFFFFF) >> 18)


def icrc(ip_packet):
    """RoCEv2 ICRC of an IPv4 packet (ICRC field excluded): ROCEV2.md's masking rule."""
    ihl = (ip_packet[0] & 0x0F) * 4
    b = bytearray(ip_packet[:-4])
    b[1] = 0xFF                        # TOS
    b[8] = 0xFF                        # TTL
    b[10:12] = b"\xff\xff"             # header checksum
    b[ihl + 6:ihl + 8] = b"\xff\xff"   # UDP checksum
    b[ihl + 8 + 4] = 0xFF              # BTH resv8a
    return struct.pack("<I", zlib.crc32(b"\xff" * 8 + bytes(b)))


def ud_send_packet(src_ip, dst_ip, sport, dqpn, psn, src_qpn, payload):
    """UDP payload (BTH, DETH, payload, pad, ICRC) of a UD SEND_ONLY as the kernel will
    send it from an unconnected socket with IP_PMTUDISC_DO (IPv4 ID 0, DF, TTL 64)."""
    pad = -len(payload) % 4
    body = struct.pack("!BBHII", 0x64, pad << 4, 0xFFFF, dqpn & 0xFFFFFF, psn & 0xFFFFFF)
    body += struct.pack("!II", 0x11111111, src_qpn & 0xFFFFFF) + payload + bytes(pad)
    udp_len = 8 + len(body) + 4
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    udp = struct.pack("!HHHH", sport, 4791, udp_len, 0)
    return body + icrc(ip + udp + body + bytes(4))


def roce_frames(raw, guest_ip, want_in, want_out, seconds=5):
    """IPv4 packets to UDP port 4791 captured on the TAP: (from the guest, to the guest),
    read until there are want_in and want_out of them or for seconds at most."""
    raw.setblocking(False)
    incoming, outgoing = [], []
    deadline = time.monotonic() + seconds
    while (len(incoming) < want_in or len(outgoing) < want_out) and \
            (left := deadline - time.monotonic()) > 0 and select.select([raw], [], [], left)[0]:
        while True:
            try:
                f, addr = raw.recvfrom(65536)
            except BlockingIOError:
                break
            ip = f[14:]
            if f[12:14] != b"\x08\x00" or len(ip) < 28 or ip[9] != 17:
                continue
            ip = ip[:struct.unpack("!H", ip[2:4])[0]]
            ihl = (ip[0] & 0x0F) * 4
            if ip[ihl + 2:ihl + 4] != b"\x12\xb7":
                continue
            if addr[2] == socket.PACKET_OUTGOING and socket.inet_ntoa(ip[16:20]) == guest_ip:
                outgoing.append(ip)
            elif addr[2] != socket.PACKET_OUTGOING and socket.inet_ntoa(ip[12:16]) == guest_ip:
                incoming.append(ip)
    return incoming, outgoing


def ud_server(a):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind((a.host_ip, 4791))
    # ETH_P_ALL: a socket for one protocol sees received frames only, not what we send.
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    raw.bind((a.iface, 0))
    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.bind((a.host_ip, 0))
    lsn.listen(1)
    lsn.settimeout(a.timeout)
    print(f"PORT {lsn.getsockname()[1]}", flush=True)

    my_qpn = random.randrange(0x100, 0xFFFFFF)
    my_psn = random.randrange(0, 0xFFFFFF)
    try:
        conn, peer = lsn.accept()
        conn.settimeout(a.timeout)
        msg = recv_exact(conn, 52).rstrip(b"\0").decode()
        lid, qpn, psn, gid = msg.split(":")
        cli_qpn, cli_psn, cli_gid = int(qpn, 16), int(psn, 16), bytes.fromhex(gid)
        reply = f"{0:04x}:{my_qpn:06x}:{my_psn:06x}:{ipv4_mapped_gid(a.host_ip).hex()}".encode() + b"\0"
        conn.sendall(reply)
        try:
            conn.recv(16)   # the client's "done"
        except OSError:
            pass
        conn.close()
    except (OSError, EOFError, ValueError) as e:
        check("ud_exchange", False, f"TCP exchange failed: {e!r}")
        return
    print(f"client: QPN 0x{cli_qpn:06x} PSN 0x{cli_psn:06x} GID {socket.inet_ntop(socket.AF_INET6, cli_gid)}"
          f"; host: QPN 0x{my_qpn:06x}", flush=True)
    check("ud_exchange_client_gid", cli_gid == ipv4_mapped_gid(a.guest_ip),
          f"client GID {cli_gid.hex()} is not ::ffff:{a.guest_ip}")

    udp.settimeout(a.timeout)
    try:
        first, (src, sport) = udp.recvfrom(4096)
        data = first
    except OSError as e:
        check("ud_send_received", False, f"no datagram on {a.host_ip}:4791 within {a.timeout}s: {e!r}")
        return
    check("ud_send_received", True)
    print(f"datagram: {len(data)} bytes from {src}:{sport}", flush=True)
    check("udp_src_is_guest", src == a.guest_ip, src)
    check("udp_sport_rxe_ud_rule", sport == ud_sport(cli_qpn), f"{sport} != {ud_sport(cli_qpn)}")
    if not check("bth_deth_present", len(data) >= 12 + 8 + 4, f"{len(data)} bytes"):
        return
    opcode, flags = data[0], data[1]
    pad = (flags >> 4) & 3
    dqpn = int.from_bytes(data[5:8], "big")
    bpsn = int.from_bytes(data[9:12], "big") & 0xFFFFFF
    qkey, sqp = struct.unpack("!II", data[12:20])
    check("bth_opcode_ud_send_only", opcode == 0x64, f"0x{opcode:02x}")
    check("bth_dest_qpn_announced", dqpn == my_qpn, f"0x{dqpn:06x} != 0x{my_qpn:06x}")
    check("bth_psn_client_sq_psn", bpsn == cli_psn, f"0x{bpsn:06x} != 0x{cli_psn:06x}")
    check("bth_pkey_default", data[2:4] == b"\xff\xff", data[2:4].hex())
    check("deth_qkey", qkey == 0x11111111, f"0x{qkey:08x}")
    check("deth_src_qp_client", (sqp & 0xFFFFFF) == cli_qpn, f"0x{sqp & 0xFFFFFF:06x} != 0x{cli_qpn:06x}")
    plen = len(data) - 12 - 8 - pad - 4
    check("payload_length", plen == a.size, f"{plen} != {a.size}")

    # Answer, and go on for --iters round trips: the client sends its next SEND only
    # after it received our answer, so its completion proves rxe accepted our packets.
    udp.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_MTU_DISCOVER", 10), 2)  # IP_PMTUDISC_DO
    answered, detail = 0, ""
    for i in range(a.iters):
        if i:
            try:
                data, (src, _) = udp.recvfrom(4096)
            except OSError as e:
                detail = f"no SEND {i + 1} within {a.timeout}s ({e!r}): rxe dropped answer {i}?"
                break
            psn_i = int.from_bytes(data[9:12], "big") & 0xFFFFFF
            if data[0] != 0x64 or psn_i != (cli_psn + i) & 0xFFFFFF:
                detail = f"SEND {i + 1}: opcode 0x{data[0]:02x} PSN 0x{psn_i:06x}"
                break
        udp.sendto(ud_send_packet(a.host_ip, a.guest_ip, 4791, cli_qpn, my_psn + i, my_qpn,
                                  bytes([i & 0xFF]) * a.size), (a.guest_ip, 4791))
        answered += 1
    check("ud_round_trips", not detail, detail)
    print(f"answered {answered} SEND(s)", flush=True)

    # The frames on the TAP: the first SEND with the IP header rxe built (and its ICRC),
    # and our answers with the header our ICRC assumed.
    incoming, ours = roce_frames(raw, a.guest_ip, max(answered, 1), answered)
    if not check("frame_captured_on_tap", bool(incoming), f"no UDP 4791 frame from {a.guest_ip} on {a.iface}"):
        return
    ip = incoming[0]
    ihl = (ip[0] & 0x0F) * 4
    print(f"frame: IPv4 ID {struct.unpack('!H', ip[4:6])[0]} flags 0x{ip[6] >> 5:x} TTL {ip[8]} "
          f"TOS 0x{ip[1]:02x}, UDP checksum 0x{struct.unpack('!H', ip[ihl + 6:ihl + 8])[0]:04x}", flush=True)
    check("frame_udp_payload_same", ip[ihl + 8:] == first, "the UDP socket got other bytes")
    check("ipv4_df_set", bool(ip[6] & 0x40), f"flags byte 0x{ip[6]:02x}")
    check("udp_checksum_zero", ip[ihl + 6:ihl + 8] == b"\0\0", ip[ihl + 6:ihl + 8].hex())
    check("icrc_valid", icrc(ip) == ip[-4:], f"computed {icrc(ip).hex()} carried {ip[-4:].hex()}")
    bad = [n for n, p in enumerate(incoming) if icrc(p) != p[-4:]]
    check("icrc_valid_all_sends", not bad, f"bad ICRC in SEND(s) {bad} of {len(incoming)}")
    bad = [f"ID {struct.unpack('!H', ip[4:6])[0]} flags 0x{ip[6]:02x}" for ip in ours
           if ip[4:6] != b"\0\0" or not ip[6] & 0x40]
    check("host_sends_ip_id0_df", len(ours) == answered and not bad,
          f"{len(ours)}/{answered} answers seen on {a.iface}; {bad}")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("ping")
    sp.add_argument("guest_ip")
    su = sub.add_parser("ud-server")
    su.add_argument("--host-ip", required=True)
    su.add_argument("--guest-ip", required=True)
    su.add_argument("--iface", required=True)
    su.add_argument("--size", type=int, default=512)
    su.add_argument("--iters", type=int, default=3)
    su.add_argument("--timeout", type=float, default=60)
    a = p.parse_args()
    if a.cmd == "ping":
        ping(a.guest_ip)
    else:
        ud_server(a)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
