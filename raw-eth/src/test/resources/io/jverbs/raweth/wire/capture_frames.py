#!/usr/bin/env python3
"""Captures reference frames from the Linux kernel for the wire tests (linux-frames.txt).

Run as root on a Linux host with iproute2 and Python 3 (nothing else: no tcpdump, ping or
ethtool), from anywhere:  python3 capture_frames.py > linux-frames.txt

It makes two network namespaces joined by a veth pair (jvcap-a 10.77.0.1 <-> jvcap-b 10.77.0.2),
turns off the veths' checksum and segmentation offloads (SIOCETHTOOL), so that every captured
checksum is the kernel's own and not a partial one left for a NIC, and records every frame on
jvcap-b with an AF_PACKET socket, both directions, while it makes traffic:

  ARP request and reply        the first packet from a to b
  ICMP echo request and reply  from a raw ICMP socket in a; b's kernel replies
  the same with an IPv4 option a Record Route option (IP_OPTIONS), echoed by b's kernel
  UDP                          a datagram from a to a bound socket in b
  IPv4 fragments               a 3000-byte UDP datagram, DF off (IP_PMTUDISC_DONT), MTU 1500
  ICMP port unreachable        a datagram to a closed port of b
  TCP                          a connection a -> b: SYN with MSS, SACK-permitted, timestamps and
                               window scale, data both ways, FIN both ways
  TCP SACK                     a connection without timestamps (net.ipv4.tcp_timestamps=0 in a)
                               after which a raw socket in a sends a segment 50 bytes past the
                               next expected one; b's kernel answers with a duplicate ACK
                               carrying a SACK block

Output: one frame a line, "<label> <hex>", label a short guess of what it is (the tests find
frames by content, not by label). The namespaces are removed at the end.
"""
import ctypes
import fcntl
import os
import socket
import struct
import subprocess
import sys
import threading
import time

A, B = "jvcap-a", "jvcap-b"
IP_A, IP_B = "10.77.0.1", "10.77.0.2"
LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def sh(*cmd):
    subprocess.run(cmd, check=True)


def enter(ns):
    """Moves the calling thread into network namespace ns."""
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    if LIBC.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), f"setns {ns}")
    os.close(fd)


def ethtool_set(ifname, cmd, value):
    """struct ethtool_value {u32 cmd; u32 data} through SIOCETHTOOL (legacy set commands)."""
    SIOCETHTOOL = 0x8946
    buf = ctypes.create_string_buffer(struct.pack("II", cmd, value))
    ifr = struct.pack("16sP", ifname.encode(), ctypes.addressof(buf))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)


def offloads_off(ifname):
    ETHTOOL_STXCSUM, ETHTOOL_SSG, ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO = 0x17, 0x19, 0x1f, 0x24, 0x2c
    for cmd in (ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO, ETHTOOL_SSG, ETHTOOL_STXCSUM):
        ethtool_set(ifname, cmd, 0)


def setup():
    for ns in (A, B):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        sh("ip", "netns", "add", ns)
        sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
        sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1")
    sh("ip", "-n", A, "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", B)
    sh("ip", "-n", A, "addr", "add", IP_A + "/24", "dev", "veth-a")
    sh("ip", "-n", B, "addr", "add", IP_B + "/24", "dev", "veth-b")
    for ns, ifname in ((A, "veth-a"), (B, "veth-b")):
        sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"net.ipv6.conf.{ifname}.disable_ipv6=1")
        t = threading.Thread(target=lambda: (enter(ns), offloads_off(ifname)))
        t.start()
        t.join()
        sh("ip", "-n", ns, "link", "set", ifname, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")


def capture(frames, ready, stop):
    enter(B)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind(("veth-b", 0))
    s.settimeout(0.2)
    ready.set()
    while not stop.is_set():
        try:
            frames.append(s.recv(65535))
        except socket.timeout:
            pass
    s.close()


def in_ns(ns, fn):
    """Runs fn in namespace ns on a thread of its own; returns its result."""
    out = {}

    def run():
        enter(ns)
        out["r"] = fn()
    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out.get("r")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def echo(ident, seq, payload, options=None):
    def go():
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        if options:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, options)
        s.settimeout(2)
        msg = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
        msg = msg[:2] + struct.pack("!H", checksum(msg)) + msg[4:]
        s.sendto(msg, (IP_B, 0))
        s.recv(2048)
        s.close()
    in_ns(A, go)


def udp(port, payload, dont_fragment=True):
    def go():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if not dont_fragment:
            s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
        s.bind((IP_A, 40000 + port % 1000))
        s.sendto(payload, (IP_B, port))
        s.close()
    in_ns(A, go)


def udp_receiver(port, got):
    def go():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((IP_B, port))
        s.settimeout(3)
        got.append(s.recv(65535))
        s.close()
    threading.Thread(target=lambda: in_ns(B, go)).start()


def tcp_server(port, ready, replies):
    def go():
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((IP_B, port))
        srv.listen(1)
        ready.set()
        c, _ = srv.accept()
        c.settimeout(3)
        data = c.recv(4096)
        if replies:
            c.sendall(b"pong:" + data)
        try:
            while c.recv(4096):
                pass
        except socket.timeout:
            pass
        c.close()
        srv.close()
    t = threading.Thread(target=lambda: in_ns(B, go))
    t.start()
    return t


def tcp_session():
    ready = threading.Event()
    server = tcp_server(5001, ready, True)
    ready.wait()

    def go():
        c = socket.create_connection((IP_B, 5001))
        c.sendall(b"ping from the kernel of namespace a")
        c.recv(4096)
        time.sleep(0.1)
        c.close()
    in_ns(A, go)
    server.join()


def tcp_sack(frames):
    sh("ip", "netns", "exec", A, "sysctl", "-q", "-w", "net.ipv4.tcp_timestamps=0")
    ready = threading.Event()
    server = tcp_server(5002, ready, False)
    ready.wait()

    def go():
        c = socket.create_connection((IP_B, 5002))
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.sendall(b"x" * 100)
        time.sleep(0.3)
        # The handshake as captured on b: a's ISN and b's, to forge the next segment from a.
        syn = next(f for f in frames if f[23] == 6 and f[47] & 0x12 == 0x02 and struct.unpack("!H", f[36:38])[0] == 5002)
        synack = next(f for f in frames if f[23] == 6 and f[47] & 0x12 == 0x12 and struct.unpack("!H", f[34:36])[0] == 5002)
        sport = struct.unpack("!H", syn[34:36])[0]
        seq = (struct.unpack("!I", syn[38:42])[0] + 1 + 100 + 50) & 0xffffffff
        ack = (struct.unpack("!I", synack[38:42])[0] + 1) & 0xffffffff
        payload = b"y" * 20
        tcp = struct.pack("!HHIIBBHHH", sport, 5002, seq, ack, 5 << 4, 0x18, 502, 0, 0) + payload
        pseudo = socket.inet_aton(IP_A) + socket.inet_aton(IP_B) + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        raw.sendto(tcp, (IP_B, 0))
        raw.close()
        time.sleep(0.3)
        c.close()
    in_ns(A, go)
    server.join()


def label(f):
    et = struct.unpack("!H", f[12:14])[0]
    if et == 0x0806:
        return "arp-" + {1: "request", 2: "reply"}.get(struct.unpack("!H", f[20:22])[0], "other")
    if et != 0x0800:
        return "ethertype-%04x" % et
    ihl = (f[14] & 0xf) * 4
    frag = struct.unpack("!H", f[20:22])[0]
    proto = f[23]
    t = 14 + ihl
    if frag & 0x1fff:
        return "ipv4-fragment"
    tag = "ipv4opt-" if ihl > 20 else ""
    tag += "mf-" if frag & 0x2000 else ""
    if proto == 1:
        return tag + {0: "icmp-echo-reply", 8: "icmp-echo-request", 3: "icmp-unreachable"}.get(f[t], "icmp")
    if proto == 17:
        return tag + "udp"
    if proto == 6:
        flags = f[t + 13]
        names = [n for b, n in ((2, "syn"), (16, "ack"), (8, "psh"), (1, "fin"), (4, "rst")) if flags & b]
        hl = (f[t + 12] >> 4) * 4
        opts = f[t + 20:t + hl]
        i = 0
        while i < len(opts) and opts[i] != 0:
            if opts[i] == 5:
                names.append("sackblocks")
            i += 1 if opts[i] == 1 else max(opts[i + 1], 2)
        return tag + "tcp-" + "-".join(names)
    return tag + "ip-%d" % proto


def main():
    setup()
    frames, ready, stop = [], threading.Event(), threading.Event()
    cap = threading.Thread(target=capture, args=(frames, ready, stop))
    cap.start()
    ready.wait()
    try:
        echo(0x4a56, 1, bytes(range(48)))
        rr = bytes([7, 11, 4]) + bytes(8) + bytes([0])  # Record Route, room for 2 hops, EOL pad
        echo(0x4a56, 2, b"record route", rr)
        got = []
        udp_receiver(5000, got)
        time.sleep(0.2)
        udp(5000, b"hello over udp from a")
        time.sleep(0.2)
        udp_receiver(5003, got)
        time.sleep(0.2)
        udp(5003, bytes(i & 0xff for i in range(3000)), dont_fragment=False)
        time.sleep(0.2)
        udp(5999, b"to a closed port")
        tcp_session()
        tcp_sack(frames)
        time.sleep(0.3)
    finally:
        stop.set()
        cap.join()
        for ns in (A, B):
            subprocess.run(["ip", "netns", "del", ns])
    print("# Frames captured on veth-b by capture_frames.py (both directions, offloads off).")
    print("# Kernel " + os.uname().release + ", captured " + time.strftime("%Y-%m-%d") + ".")
    for f in frames:
        print(label(f), f.hex())


if __name__ == "__main__":
    main()
