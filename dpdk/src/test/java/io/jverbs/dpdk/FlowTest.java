package io.jverbs.dpdk;

import io.jverbs.core.Errno;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * rte_flow on net_tap. The tap stays in the root namespace (its tc rules are made there by
 * ifindex) with a test-only address. net_tap's rte_flow is tc underneath: the multiq qdisc, the
 * flower classifier and the gact/skbedit actions. Where the kernel has them (Debian's 6.1 in the
 * Soft-RoCE VM) the isolation test checks that only the matching UDP flow reaches Java; where it
 * has not (this host's 6.18 build: no CONFIG_NET_SCH_MULTIQ, NET_CLS_FLOWER, NET_ACT_GACT,
 * NET_ACT_SKBEDIT) it checks the PMD's refusal instead, and says so.
 */
@Tag("tc")
class FlowTest {
    static final Inet4Address KERNEL_IP = Frames.ip("10.201.8.1");
    static final Inet4Address JAVA_IP = Frames.ip("10.201.8.2");
    static final int MATCHED = 7002, OTHER = 7003;

    private static Eal eal;
    private static HostNet net;
    private static MbufPool pool;
    private static EthPort port;
    private static String ifname;
    /** Whether net_tap set up its tc plumbing (a multiq root qdisc) at probe. */
    private static boolean kernelHasTcFlower;

    static final FlowRule UDP_TO_JAVA = FlowRule.builder()
            .pattern(FlowItem.eth(), FlowItem.ipv4().dst(JAVA_IP), FlowItem.udp().dstPort(MATCHED))
            .actions(FlowAction.queue(0))
            .build();

    @BeforeAll
    static void setUp() {
        eal = TestEal.get();
        net = new HostNet();
        try {
            // Loads net_tap's tc pieces where they are modules (the VM); a kernel without them fails here, harmlessly.
            HostNet.tryRun("modprobe", "-a", "tun", "sch_multiq", "cls_flower", "act_gact", "act_skbedit", "act_mirred");
            ifname = "jvf" + HostNet.TAG;
            String name = "net_tap_jvf" + HostNet.TAG;
            eal.probe(name + ",iface=" + ifname);
            port = EthPort.byName(eal, name);
            kernelHasTcFlower = HostNet.run("tc", "qdisc", "show", "dev", ifname).contains("multiq");
            pool = MbufPool.create(eal, "flow-test", 2047, 32, MbufPool.DEFAULT_DATA_ROOM, MbufPool.SOCKET_ANY);
            port.configure(PortConfig.simple(pool).withDescriptors(512, 512));
            HostNet.run("sysctl", "-qw", "net.ipv6.conf." + ifname + ".disable_ipv6=1");
            HostNet.run("ip", "addr", "add", KERNEL_IP.getHostAddress() + "/24", "dev", ifname);
            HostNet.run("ip", "link", "set", ifname, "up");
            // Isolation drops the kernel's ARP requests too: the kernel knows Java's MAC up front.
            HostNet.run("ip", "neigh", "replace", JAVA_IP.getHostAddress(), "lladdr", port.macAddress().toString(), "dev", ifname,
                    "nud", "permanent");
        } catch (RuntimeException | Error e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    static void tearDown() {
        try {
            if (pool != null) pool.close(); // the port first, its flows before it; the tap goes with its fds
        } finally {
            net.close();
        }
    }

    @Test
    void validateTakesWhatNetTapMatchesAndRefusesTheRestInItsOwnWords() {
        port.flows().validate(UDP_TO_JAVA);
        port.flows().validate(FlowRule.builder().priority(1).pattern(FlowItem.eth(), FlowItem.ipv4(), FlowItem.tcp().dstPort(80))
                .actions(FlowAction.drop()).build());

        FlowNotSupportedException flags = assertThrows(FlowNotSupportedException.class, () -> port.flows().validate(
                FlowRule.builder().pattern(FlowItem.eth(), FlowItem.ipv4(), FlowItem.tcp().tcpFlags(0x02))
                        .actions(FlowAction.queue(0)).build()));
        assertEquals(Errno.EOPNOTSUPP, flags.errno());
        assertEquals(FlowError.Type.ITEM, flags.flowError().type(), flags.getMessage());
        assertEquals("item not supported", flags.flowError().message());
        assertEquals("pattern item 2 (tcp flags 0x02)", flags.flowError().cause());
        assertTrue(flags.getMessage().contains("rte_flow_validate") && flags.getMessage().contains("net_tap")
                && flags.getMessage().contains("item not supported"), flags.getMessage());

        FlowNotSupportedException twoFates = assertThrows(FlowNotSupportedException.class, () -> port.flows().validate(
                FlowRule.builder().pattern(FlowItem.eth()).actions(FlowAction.queue(0), FlowAction.drop()).build()));
        assertEquals(FlowError.Type.ACTION, twoFates.flowError().type());
        assertEquals("action not supported", twoFates.flowError().message());
        assertEquals("action 1 (drop)", twoFates.flowError().cause());

        FlowNotSupportedException mark = assertThrows(FlowNotSupportedException.class, () -> port.flows().validate(
                FlowRule.builder().pattern(FlowItem.eth()).actions(FlowAction.mark(7)).build()));
        assertEquals("action 0 (mark 7)", mark.flowError().cause());

        FlowException range = assertThrows(FlowException.class, () -> port.flows().validate(
                FlowRule.builder().pattern(FlowItem.eth()).actions(FlowAction.queue(5)).build()));
        assertEquals(34 /* ERANGE */, range.errno());
        assertEquals("queue index out of range", range.flowError().message());
        assertTrue(range.getMessage().startsWith("rte_flow_validate failed: ERANGE"), range.getMessage());

        FlowException group = assertThrows(FlowException.class, () -> port.flows().validate(
                FlowRule.builder().group(16).pattern(FlowItem.eth()).actions(FlowAction.drop()).build()));
        assertEquals(FlowError.Type.ATTR_GROUP, group.flowError().type());
        assertEquals("group value too big: cannot exceed 15", group.flowError().message());
        assertNull(group.flowError().cause());
    }

    @Test
    void aPortWithoutAFlowApiSaysSo() {
        String name = "net_null_jvf" + HostNet.TAG;
        eal.probe(name);
        EthPort nul = EthPort.byName(eal, name);
        try {
            FlowNotSupportedException e = assertThrows(FlowNotSupportedException.class, () -> nul.flows().validate(UDP_TO_JAVA));
            assertEquals(Errno.ENOSYS, e.errno(), e.getMessage());
            assertTrue(e.getMessage().contains("net_null"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> nul.flows().isolate(true), "not configured yet");
            nul.configure(PortConfig.simple(pool).withDescriptors(64, 64));
            nul.start();
            IllegalStateException started = assertThrows(IllegalStateException.class, () -> nul.flows().isolate(true));
            assertTrue(started.getMessage().contains("after configure() and before start()"), started.getMessage());
        } finally {
            nul.close();
        }
        assertThrows(IllegalStateException.class, nul::flows, "closed");
    }

    @Test
    void isolationLetsOnlyTheMatchingFlowReachJava() throws Exception {
        if (!kernelHasTcFlower) {
            // The VM run (-Psoftroce) is where isolation itself is proved: there, a refusal is a failure.
            assertFalse("1".equals(System.getenv("JVERBS_SOFTROCE")),
                    "the Soft-RoCE VM's kernel must hold net_tap's tc rules (sch_multiq, cls_flower, act_gact, act_skbedit)");
            // This kernel cannot hold net_tap's tc rules: isolation is refused in the PMD's words.
            FlowNotSupportedException e = assertThrows(FlowNotSupportedException.class, () -> port.flows().isolate(true));
            assertEquals("TC rule creation failed", e.flowError().message(), e.getMessage());
            assertFalse(port.flows().isIsolated());
            System.out.println("FlowTest: this kernel has no tc multiq/flower/gact/skbedit; isolation was refused as expected: "
                    + e.getMessage() + ". The isolation itself is tested in the Soft-RoCE VM's kernel.");
            return;
        }
        port.flows().isolate(true);
        assertTrue(port.flows().isIsolated());
        Flow flow = port.flows().create(UDP_TO_JAVA);
        assertEquals(1, port.flows().list().size());
        port.start();
        try {
            KernelPeer peer = new KernelPeer(port, pool, JAVA_IP, KERNEL_IP);
            peer.kernelMac = HostNet.mac(null, ifname);
            kernelSends(OTHER, "not for java");
            kernelSends(MATCHED, "for java");
            byte[] got = peer.awaitUdp(MATCHED, 3000);
            assertEquals("for java", new String(KernelPeer.udpPayload(got)));
            assertNull(peer.poll(500, f -> Frames.ipProto(f) == Frames.PROTO_UDP && Frames.u16(Frames.l4(f), 2) == OTHER),
                    "the unmatched UDP flow was kept from Java: " + peer.summary());
            for (byte[] f : peer.seen) {
                assertTrue(Frames.ipProto(f) == Frames.PROTO_UDP && Frames.u16(Frames.l4(f), 2) == MATCHED,
                        "only the matching flow reaches Java, not " + HexFormat.of().formatHex(f));
            }
            // The kernel still takes what Java sends (isolation concerns the kernel-to-port direction).
            peer.udpBothWays(null, MATCHED);

            flow.close();
            assertTrue(flow.isClosed());
            assertEquals(0, port.flows().list().size());
            kernelSends(MATCHED, "after the rule is gone");
            assertNull(peer.poll(500, f -> Frames.ipProto(f) == Frames.PROTO_UDP), "with no rule, an isolated port gets nothing");
            System.out.println("FlowTest: isolation on net_tap checked with the kernel's tc rules (" + peer.seen.size() + " frames reached Java)");
        } finally {
            port.stop();
        }
    }

    /** One datagram from a root-namespace kernel socket bound to the kernel's address. */
    private static void kernelSends(int dstPort, String text) {
        HostNet.run(KernelPeer.python(), "-c", "import socket\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                + "s.bind(('" + KERNEL_IP.getHostAddress() + "',0))\n"
                + "s.sendto(b'" + text + "',('" + JAVA_IP.getHostAddress() + "'," + dstPort + "))\n");
    }
}
