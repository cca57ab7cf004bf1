package io.jverbs.dpdk;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.net.Inet4Address;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * net_tap against the Linux kernel in a network namespace: DPDK creates the tap interface, the
 * test moves it into a fresh namespace (the tap's file descriptors keep working across the move)
 * and gives the kernel side an address; Java then does ARP, ping and UDP both ways with the
 * kernel's own stack.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TapTest {
    static final Inet4Address KERNEL_IP = Frames.ip("10.201.7.1");
    static final Inet4Address JAVA_IP = Frames.ip("10.201.7.2");

    private static HostNet net;
    private static MbufPool pool;
    private static EthPort port;
    private static KernelPeer peer;
    private static String ns;
    private static String ifname;

    @BeforeAll
    static void setUp() {
        Eal eal = TestEal.get();
        net = new HostNet();
        try {
            ns = net.namespace("t");
            HostNet.run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
            ifname = "jvt" + HostNet.TAG;
            String name = "net_tap_jv" + HostNet.TAG;
            eal.probe(name + ",iface=" + ifname);
            port = EthPort.byName(eal, name);
            pool = MbufPool.create(eal, "tap-test", 2047, 32, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
            port.configure(PortConfig.simple(pool).withDescriptors(512, 512));
            port.start();
            HostNet.run("ip", "link", "set", ifname, "netns", ns);
            HostNet.run("ip", "-n", ns, "addr", "add", KERNEL_IP.getHostAddress() + "/24", "dev", ifname);
            HostNet.run("ip", "-n", ns, "link", "set", ifname, "up");
            peer = new KernelPeer(port, pool, JAVA_IP, KERNEL_IP);
        } catch (RuntimeException | Error e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    static void tearDown() {
        try {
            if (pool != null) pool.close(); // closes the port first: the tap interface goes with its fds
        } finally {
            net.close();
        }
    }

    @Test
    @Order(1)
    void theTapLivesInTheNamespace() {
        assertEquals("net_tap", port.info().driverName());
        String links = HostNet.run("ip", "-n", ns, "-o", "link", "show", ifname);
        assertTrue(links.contains(ifname) && links.contains("UP"), links);
        assertTrue(HostNet.tryRun("ip", "link", "show", ifname).exit() != 0, "the tap left the root namespace");
    }

    @Test
    @Order(2)
    void theKernelAnswersArp() {
        peer.arp(HostNet.mac(ns, ifname));
    }

    @Test
    @Order(3)
    void theKernelAnswersPing() {
        if (peer.kernelMac == null) peer.arp(HostNet.mac(ns, ifname));
        for (int seq = 1; seq <= 3; seq++) peer.ping(seq);
    }

    @Test
    @Order(4)
    void udpBothWays() throws Exception {
        if (peer.kernelMac == null) peer.arp(HostNet.mac(ns, ifname));
        peer.udpBothWays(ns, 7001);
    }
}
