package io.jverbs.perftest.cli;

import static io.jverbs.perftest.cli.JperfCliTest.assertUsage;
import static io.jverbs.perftest.cli.JperfCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jverbs.perftest.Connection;
import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.Measure;
import io.jverbs.perftest.RawEthernet;
import io.jverbs.perftest.TestParameters;
import io.jverbs.raweth.port.PortSpec;
import io.jverbs.raweth.wire.Ipv4Address;
import io.jverbs.raweth.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** raw_ethernet_bw/_lat on the command line: perftest's raw flags and rules, and --port. */
class RawCliTest {
    private static final String[] RDMA_TESTS = {"write_bw", "write_lat", "read_bw", "read_lat", "send_bw", "send_lat",
        "atomic_bw", "atomic_lat"};
    private static final String MACS = "-B 02:00:00:00:00:01 -E 02:00:00:00:00:02";

    private static JperfCliTest.Run raw(String line) {
        return run(line.split(" +"));
    }

    private static TestParameters parsed(String line) {
        JperfCliTest.Run r = raw(line);
        assertEquals(ExitCodes.OK, r.code(), line + ": " + r.err());
        assertEquals(1, r.seen().size());
        return r.seen().getFirst();
    }

    @ParameterizedTest
    @CsvSource({"-B 02:00:00:00:00:01", "-E 02:00:00:00:00:01", "-J 10.0.0.1", "-j 10.0.0.2", "-K 5000", "-k 5001",
        "-Y 0x0800", "--server", "--client", "-Z", "-P", "--tcp", "-L 3", "--idle-timeout 5"})
    void rawFlagsAreUnknownToTheRdmaTests(String flag) {
        for (String test : RDMA_TESTS) {
            List<String> args = new ArrayList<>(List.of(test));
            args.addAll(List.of(flag.split(" ")));
            args.add("host");
            assertUsage(run(args.toArray(String[]::new)), "Unknown option");
        }
    }

    @ParameterizedTest
    @CsvSource({"-p 2000", "-c UD", "-x 1", "-R", "-z", "-u 10", "-S 1", "-T 3", "-m 1024", "--loopback", "-r 64",
        "-I 64", "-e", "-o 4", "-A CMP_AND_SWAP"})
    void rdmaFlagsAreUnknownToTheRawTests(String flag) {
        for (String test : new String[] {"raw_ethernet_bw", "raw_ethernet_lat"}) {
            assertUsage(raw(test + " --port afpacket:veth0 --client " + MACS + " " + flag), "Unknown option");
        }
    }

    @Test
    void aServerNameIsNotARawArgument() {
        assertUsage(raw("raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " host"), "host");
    }

    @Test
    void bandwidthDefaultsFollowPerftest() {
        TestParameters p = parsed("raw_ethernet_bw --port afpacket:veth0 --client " + MACS);
        assertEquals("raw_ethernet_bw", p.testName());
        assertEquals(Connection.RAW_ETH, p.connection());
        assertEquals("RawEth", p.connection().perftestName());
        assertEquals(Measure.BW, p.measure());
        assertEquals(65536, p.size(), "clamped to the MTU by the engine, as perftest does once it knows the port");
        assertEquals(1000, p.iterations());
        assertEquals(128, p.txDepth());
        assertEquals(100, p.cqModeration());
        assertEquals(1, p.qps());
        assertFalse(p.isServer());
        assertFalse(p.noPeak());
        RawEthernet raw = p.raw();
        assertEquals(new PortSpec("afpacket", "veth0"), raw.port());
        assertEquals(MacAddress.parse("02:00:00:00:00:01"), raw.ownMac());
        assertEquals(MacAddress.parse("02:00:00:00:00:02"), raw.peerMac());
        assertFalse(raw.hasIp());
        assertFalse(raw.hasL4());
        assertEquals(-1, raw.etherType());
        assertEquals(64, raw.ttl());
        assertEquals(2, raw.idleSeconds());
    }

    @Test
    void aBandwidthServerNeedsNoPeerMacAndHasNoPeak() {
        TestParameters p = parsed("raw_ethernet_bw --port tap:jv0 --server -B 02:00:00:00:00:01");
        assertTrue(p.isServer());
        assertTrue(p.noPeak(), "perftest: a send_bw server does not measure the peak");
        assertNull(p.raw().peerMac());
    }

    @Test
    void latencyDefaultsAndTheRolesOfTheAddresses() {
        TestParameters p = parsed("raw_ethernet_lat --port afpacket:veth1 --server " + MACS
                + " -J 10.0.0.1 -j 10.0.0.2 -K 5000 -k 5001 --tcp -L 9 -n 50");
        assertEquals("raw_ethernet_lat", p.testName());
        assertEquals(2, p.size(), "raised to 64 by the engine, as perftest does");
        assertEquals(50, p.iterations());
        RawEthernet raw = p.raw();
        assertTrue(raw.hasIp() && raw.hasL4() && raw.tcp());
        assertEquals(Ipv4Address.parse("10.0.0.1").value(), raw.ownIp(), "the server's own IP is -J");
        assertEquals(Ipv4Address.parse("10.0.0.2").value(), raw.peerIp());
        assertEquals(5000, raw.ownPort());
        assertEquals(5001, raw.peerPort());
        assertEquals(9, raw.ttl());
        TestParameters client = parsed("raw_ethernet_lat --port afpacket:veth0 --client " + MACS
                + " -J 10.0.0.1 -j 10.0.0.2 -K 5000 -k 5001");
        assertEquals(Ipv4Address.parse("10.0.0.2").value(), client.raw().ownIp(), "the client's own IP is -j");
        assertEquals(5001, client.raw().ownPort());
        assertEquals(5000, client.raw().peerPort());
    }

    @Test
    void dashDNamesAVerbsDeviceAndEthertypeParsesAsHex() {
        TestParameters p = parsed("raw_ethernet_bw -d mlx5_0 -i 1 --client " + MACS + " -Y 0x88b5");
        assertEquals(new PortSpec("verbs", "mlx5_0,port=1"), p.raw().port(), "-i becomes the verbs spec's port option");
        assertEquals("mlx5_0", p.device());
        assertEquals(new PortSpec("verbs", "mlx5_0"), parsed("raw_ethernet_bw -d mlx5_0 --client " + MACS).raw().port());
        assertEquals(0x88b5, p.raw().etherType());
        assertEquals(0x0800, parsed("raw_ethernet_bw --port dpdk:--no-pci --client " + MACS + " -Y 800").raw().etherType());
    }

    @Test
    void dpdkEalArgumentsKeepTheirSpaces() {
        JperfCliTest.Run r = run("raw_ethernet_bw", "--port", "dpdk:--no-pci --vdev=net_tap0 -l 0", "--client", "-B",
                "02:00:00:00:00:01", "-E", "02:00:00:00:00:02");
        assertEquals(ExitCodes.OK, r.code(), r.err());
        assertEquals("--no-pci --vdev=net_tap0 -l 0", r.seen().getFirst().raw().port().argument());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "dpdk:--no-pci -- colour=red| --port: 'dpdk:--no-pci -- colour=red': unknown option 'colour=red' after --",
        "dpdk:--no-pci -- burst=0| burst= must be 1..1024, not '0'",
        "dpdk:--vdev 'net_tap0,iface=a b| unbalanced ' in",
        "dpdk:-- port=net_tap0| gives no EAL arguments",
        "verbs:mlx5_0,mtu=9| --port: 'verbs:mlx5_0,mtu=9': mtu= must be 68..9978, not '9'",
        "verbs:mlx5_0,mac=02:00| mac= must be XX:XX:XX:XX:XX:XX",
        "verbs:mlx5_0,speed=fast| unknown option 'speed=fast'",
        "verbs:mlx5_0,port=2 -i 2| give -i or --port verbs:mlx5_0,port=2, not both",
    })
    void badBackEndArgumentsAreUsageErrorsNamingTheProblem(String spec, String message) {
        List<String> args = new ArrayList<>(List.of("raw_ethernet_bw", "--port", spec.replace(" -i 2", ""), "--client", "-B",
                "02:00:00:00:00:01", "-E", "02:00:00:00:00:02"));
        if (spec.endsWith(" -i 2")) args.addAll(List.of("-i", "2"));
        assertUsage(run(args.toArray(String[]::new)), message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "raw_ethernet_bw --port afpacket:veth0 " + MACS + "| choose this side's role: --server or --client",
        "raw_ethernet_bw --port afpacket:veth0 --server --client " + MACS + "| --server and --client are exclusive",
        "raw_ethernet_bw --client " + MACS + "| raw tests need a packet port: --port afpacket:<iface>",
        "raw_ethernet_bw --port veth0 --client " + MACS + "| --port: port 'veth0' must be <back end>:<argument>",
        "raw_ethernet_bw --port afpacket: --client " + MACS + "| give afpacket:<interface>",
        "raw_ethernet_bw --port pcap:x --client " + MACS + "| unknown back end 'pcap' (verbs, dpdk, afpacket or tap)",
        "raw_ethernet_bw --port afpacket:veth0 -d mlx5_0 --client " + MACS + "| give --port or -d, not both",
        "raw_ethernet_bw --port afpacket:veth0 -i 2 --client " + MACS + "| -i (device port) applies to verbs ports only",
        "raw_ethernet_bw --port afpacket:veth0 --client -E 02:00:00:00:00:02| -B (this side's MAC",
        "raw_ethernet_bw --port afpacket:veth0 --client -B 02:00:00:00:00:01| -E (the peer's MAC",
        "raw_ethernet_lat --port afpacket:veth0 --server -B 02:00:00:00:00:01| -E (the peer's MAC",
        "raw_ethernet_bw --port afpacket:veth0 --client -B 02:00:00:00:01 -E 02:00:00:00:00:02| -B must be a MAC address",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " -J 10.0.0.300| -J must be an IPv4 address",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " -J 10.0.0.1 -j 10.0.0.2 -K 5000| need both ports",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " -K 5000 -k 5001| -K/-k need both IP addresses",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " -J 10.0.0.1 -j 10.0.0.2 -K 0 -k 1| -K must be between 1 and 65535",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " --tcp -J 10.0.0.1 -j 10.0.0.2| --tcp needs",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " -Y 0x10000| -Y must be an EtherType",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " -Y zz| -Y must be an EtherType",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " -a| do not support -a",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " -q 2| one packet port queue",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " -b| -b (duplex) is not supported",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " --run_infinitely| --run_infinitely is not supported",
        "raw_ethernet_bw --port afpacket:veth0 --client " + MACS + " -n 4| -n must be between 5",
        "raw_ethernet_lat --port afpacket:veth0 --client " + MACS + " -L 256| -L must be between 0 and 255",
        "raw_ethernet_lat --port afpacket:veth0 --client " + MACS + " -D 4 -f 2| must be greater than twice the margin",
        "raw_ethernet_lat --port afpacket:veth0 --client " + MACS + " --output=bandwidth| --output=bandwidth is not valid",
    })
    void badRawCommandLinesAreUsageErrors(String line, String message) {
        assertUsage(raw(line), message);
    }

    @Test
    void repeatedRawFlagIsAUsageError() {
        assertUsage(raw("raw_ethernet_bw --port afpacket:a --port afpacket:b --client " + MACS), "--port");
    }

    @Test
    void helpListsTheRawFlagsAndTheBackEnds() {
        JperfCliTest.Run r = raw("raw_ethernet_lat --help");
        assertEquals(ExitCodes.OK, r.code());
        for (String s : new String[] {"--port=BACKEND:ARG", "afpacket:<iface>", "--source_mac", "--dest_ip", "--server",
            "--tcp", "--hop_limit"}) {
            assertTrue(r.out().contains(s), s + " in: " + r.out());
        }
        assertFalse(r.out().contains("--rdma_cm"), r.out());
    }
}
