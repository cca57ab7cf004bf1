package io.jverbs.perftest.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** doctor and devices on a fake sysfs and /proc. */
class DoctorTest {
    @TempDir
    Path dir;

    void write(String rel, String content) throws Exception {
        Path p = dir.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content + "\n");
    }

    SysfsRdma rxe(String state, boolean v2) throws Exception {
        String port = "sys/rxe0/ports/1/";
        write(port + "state", state);
        write(port + "link_layer", "Ethernet");
        write(port + "rate", "10 Gb/sec (1X QDR)");
        write(port + "lid", "0x0");
        write(port + "gids/0", "fe80:0000:0000:0000:5054:00ff:fe12:3456");
        write(port + "gid_attrs/types/0", "IB/RoCE v1");
        write(port + "gid_attrs/ndevs/0", "eth0");
        write(port + "gids/1", "0000:0000:0000:0000:0000:ffff:0a4d:0001");
        write(port + "gid_attrs/types/1", v2 ? "RoCE v2" : "IB/RoCE v1");
        write(port + "gid_attrs/ndevs/1", "eth0");
        write(port + "gids/2", "0000:0000:0000:0000:0000:0000:0000:0000");
        write("dev/uverbs0", "");
        return new SysfsRdma(dir.resolve("sys"), dir.resolve("dev"));
    }

    void proc(String memlock, long hugepages) throws Exception {
        write("proc/self/limits", "Limit                     Soft Limit           Hard Limit           Units\n"
                + "Max locked memory         " + memlock + "              " + memlock + "              bytes");
        write("proc/meminfo", "MemTotal:       24000000 kB\nHugePages_Total:    " + hugepages + "\nHugePages_Free:     "
                + hugepages + "\nHugepagesize:       2048 kB");
    }

    @Test
    void sysfsDevicesPortsAndGids() throws Exception {
        List<SysfsRdma.Device> devices = rxe("4: ACTIVE", true).devices();
        assertEquals(1, devices.size());
        SysfsRdma.Port p = devices.getFirst().ports().getFirst();
        assertEquals("Ethernet", p.linkLayer());
        assertEquals(2, p.gids().size(), "the zero GID is skipped");
        assertEquals("10.77.0.1", p.gids().get(1).ipv4());
        assertEquals(null, p.gids().get(0).ipv4());
    }

    @Test
    void healthyMachine() throws Exception {
        proc("unlimited", 512);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = new Doctor(rxe("4: ACTIVE", true), dir.resolve("proc")).run(new PrintStream(out, true));
        String s = out.toString();
        assertEquals(0, code, s);
        assertTrue(s.contains("[ OK ] rxe0 port 1: RoCE v2 GID 1 = 10.77.0.1 on eth0 (use -x 1)"), s);
        assertTrue(s.contains("[ OK ] memlock limit: unlimited"), s);
        assertTrue(s.contains("[ OK ] hugepages: 512 of 512 free"), s);
        assertTrue(!s.contains("fix:"), s);
    }

    @Test
    void everyProblemHasAFix() throws Exception {
        proc("65536", 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = new Doctor(rxe("1: DOWN", false), dir.resolve("proc")).run(new PrintStream(out, true));
        String s = out.toString();
        assertEquals(1, code);
        assertTrue(s.contains("[FAIL] rxe0 port 1 is 1: DOWN"), s);
        assertTrue(s.contains("[WARN] rxe0 port 1: no RoCE v2 GID with an IPv4 address"), s);
        assertTrue(s.contains("[FAIL] memlock limit (ulimit -l): 64 KiB"), s);
        assertTrue(s.contains("[WARN] hugepages: none reserved"), s);
        long problems = s.lines().filter(l -> l.startsWith("[FAIL]") || l.startsWith("[WARN]")).count();
        assertEquals(problems, s.lines().filter(l -> l.startsWith("       fix: ")).count(), s);
    }

    @Test
    void noDevice() throws Exception {
        proc("8388608", 0);
        Doctor d = new Doctor(new SysfsRdma(dir.resolve("none"), dir.resolve("none")), dir.resolve("proc"));
        List<Doctor.Check> checks = d.checks();
        assertEquals(Doctor.Status.FAIL, checks.getFirst().status());
        assertTrue(checks.getFirst().fix().contains("rdma link add"));
        assertEquals(Doctor.Status.WARN, d.memlockCheck().status(), "8 MiB: enough for small tests only");
    }

    /** With a soft device and no kernel one, the tests run here: the missing kernel device only warns. */
    @Test
    void softDeviceWithoutKernelDevice() throws Exception {
        proc("unlimited", 0);
        List<Doctor.Check> checks = new Doctor(new SysfsRdma(dir.resolve("none"), dir.resolve("none")), dir.resolve("proc"),
                () -> List.of("jsoft0 (127.0.0.1, MTU 1024)")).checks();
        assertEquals(Doctor.Status.OK, checks.get(0).status(), checks.toString());
        assertTrue(checks.get(0).finding().contains("jsoft0 (127.0.0.1, MTU 1024)") && checks.get(0).finding().contains("-d jsoft0"),
                checks.get(0).finding());
        assertEquals(Doctor.Status.WARN, checks.get(1).status(), checks.toString());
        assertTrue(checks.get(1).fix().contains("rdma link add"), checks.get(1).fix());
        assertTrue(checks.stream().noneMatch(c -> c.status() == Doctor.Status.FAIL), checks.toString());
    }

    /** A soft device configuration that does not parse is a failed check naming it. */
    @Test
    void badSoftConfiguration() throws Exception {
        proc("unlimited", 0);
        List<Doctor.Check> checks = new Doctor(new SysfsRdma(dir.resolve("none"), dir.resolve("none")), dir.resolve("proc"),
                () -> { throw new IllegalArgumentException("jsoft0=nowhere: not an IPv4 literal"); }).checks();
        assertTrue(checks.stream().anyMatch(c -> c.status() == Doctor.Status.FAIL && c.finding().contains("nowhere")
                && c.fix().contains("JVERBS_SOFT_DEVICES")), checks.toString());
    }
}
