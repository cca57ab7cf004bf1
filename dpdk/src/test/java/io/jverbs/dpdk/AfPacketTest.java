package io.jverbs.dpdk;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.Inet4Address;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * net_af_packet on a veth pair: DPDK holds the root-namespace end (no address, IPv6 off, so the
 * kernel there keeps quiet), the kernel's stack owns the other end in a fresh namespace. Java does
 * ARP, ping and UDP both ways with it. veth hands AF_PACKET frames whose UDP checksum is left to
 * offload (DESIGN.md §6): the test checks the kernel's bytes, not its UDP checksum; the kernel
 * verifies Java's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AfPacketTest {
    static final Inet4Address KERNEL_IP = Frames.ip("10.201.9.1");
    static final Inet4Address JAVA_IP = Frames.ip("10.201.9.2");

    private static HostNet net;
    private static MbufPool pool;
    private static EthPort port;
    private static KernelPeer peer;
    private static String ns;
    private static String kernelSide;

    @BeforeAll
    static void setUp() {
        Eal eal = TestEal.get();
        net = new HostNet();
        try {
            HostNet.tryRun("modprobe", "veth");
            ns = net.namespace("a");
            HostNet.run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
            String dpdkSide = "jva" + HostNet.TAG;
            kernelSide = "jvb" + HostNet.TAG;
            HostNet.run("ip", "link", "add", dpdkSide, "type", "veth", "peer", "name", kernelSide, "netns", ns);
            net.ownLink(dpdkSide);
            HostNet.run("sysctl", "-qw", "net.ipv6.conf." + dpdkSide + ".disable_ipv6=1");
            HostNet.run("ip", "link", "set", dpdkSide, "up");
            HostNet.run("ip", "-n", ns, "addr", "add", KERNEL_IP.getHostAddress() + "/24", "dev", kernelSide);
            HostNet.run("ip", "-n", ns, "link", "set", kernelSide, "up");
            String name = "net_af_packet_jv" + HostNet.TAG;
            eal.probe(name + ",iface=" + dpdkSide);
            port = EthPort.byName(eal, name);
            pool = MbufPool.create(eal, "afp-test", 2047, 32, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
            port.configure(PortConfig.simple(pool).withDescriptors(512, 512));
            port.start();
            port.promiscuous(true);
            peer = new KernelPeer(port, pool, JAVA_IP, KERNEL_IP);
        } catch (RuntimeException | Error e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    static void tearDown() {
        try {
            if (pool != null) pool.close();
        } finally {
            net.close();
        }
    }

    @Test
    @Order(1)
    void theKernelAnswersArp() {
        assertEquals("net_af_packet", port.info().driverName());
        peer.arp(HostNet.mac(ns, kernelSide));
    }

    @Test
    @Order(2)
    void theKernelAnswersPing() {
        if (peer.kernelMac == null) peer.arp(HostNet.mac(ns, kernelSide));
        for (int seq = 1; seq <= 3; seq++) peer.ping(seq);
    }

    @Test
    @Order(3)
    void udpBothWays() throws Exception {
        if (peer.kernelMac == null) peer.arp(HostNet.mac(ns, kernelSide));
        peer.udpBothWays(ns, 7004);
    }
}
