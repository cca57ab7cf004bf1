package io.jverbs.perftest.system;

import io.jverbs.perftest.ExitCodes;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code jperf doctor}: what stands between this machine and an RDMA test, each problem with its
 * fix. Reads sysfs ({@link SysfsRdma}) and /proc only, so it runs where libibverbs cannot.
 */
public final class Doctor {
    /** A check's outcome. */
    public enum Status { OK, WARN, FAIL }

    /** One check: status, what was found, and the fix when not OK. */
    public record Check(Status status, String finding, String fix) {
    }

    /** memlock below this warns (below 1 MiB fails): -a registers 8 MiB buffers per QP. */
    static final long MIN_MEMLOCK = 64L << 20;

    private final SysfsRdma sysfs;
    private final Path proc;
    private final Supplier<List<String>> softDevices;

    /** A doctor reading devices from {@code sysfs} and limits from {@code proc} (normally /proc), no soft devices. */
    public Doctor(SysfsRdma sysfs, Path proc) {
        this(sysfs, proc, List::of);
    }

    /**
     * A doctor that also knows the soft devices this jperf can open ({@code jsoft0 (127.0.0.1, MTU
     * 1024)}, ...): they run the tests where no kernel device exists. The supplier may throw for a
     * bad configuration, which is then a failed check.
     */
    public Doctor(SysfsRdma sysfs, Path proc, Supplier<List<String>> softDevices) {
        this.sysfs = sysfs;
        this.proc = proc;
        this.softDevices = softDevices;
    }

    /** Every check, in order. */
    public List<Check> checks() {
        List<Check> checks = new ArrayList<>();
        List<SysfsRdma.Device> devices = sysfs.devices();
        List<String> soft = List.of();
        try {
            soft = softDevices.get();
        } catch (RuntimeException e) {
            checks.add(new Check(Status.FAIL, "soft device configuration: " + e.getMessage(),
                    "fix -Djverbs.soft.devices / JVERBS_SOFT_DEVICES (name=IPv4[:mtu],...; docs/soft-device.md)"));
        }
        if (!soft.isEmpty()) {
            checks.add(new Check(Status.OK, "soft devices (RoCEv2 in the JVM, no kernel support needed): " + String.join(", ", soft)
                    + "; e.g. jperf write_bw -d " + soft.getFirst().split(" ")[0], null));
        }
        if (devices.isEmpty()) {
            // With a soft device the tests still run here; a kernel device is what C perftest needs.
            checks.add(new Check(soft.isEmpty() ? Status.FAIL : Status.WARN, "no kernel RDMA device in " + sysfs.root(),
                    "load a driver, or create a Soft-RoCE device: modprobe rdma_rxe && rdma link add rxe0 type rxe"
                            + " netdev eth0 (or run ./dev.sh demo, which uses the Soft-RoCE VM)"));
        } else {
            checks.add(new Check(Status.OK, "RDMA devices: "
                    + String.join(", ", devices.stream().map(SysfsRdma.Device::name).toList()), null));
            if (sysfs.uverbsDevices().isEmpty()) {
                checks.add(new Check(Status.FAIL, "no /dev/infiniband/uverbs* device files",
                        "modprobe ib_uverbs (in a container: --device /dev/infiniband)"));
            }
        }
        for (SysfsRdma.Device d : devices) {
            for (SysfsRdma.Port p : d.ports()) {
                String where = d.name() + " port " + p.number();
                if (!p.state().endsWith("ACTIVE")) {
                    checks.add(new Check(Status.FAIL, where + " is " + (p.state().isEmpty() ? "in an unknown state" : p.state()),
                            "bring the link up (ip link set NETDEV up for RoCE; a subnet manager for InfiniBand)"));
                } else {
                    checks.add(new Check(Status.OK, where + " is ACTIVE (" + p.linkLayer() + ")", null));
                }
                if ("Ethernet".equals(p.linkLayer())) {
                    checks.add(gidCheck(where, p));
                }
            }
        }
        checks.add(memlockCheck());
        checks.add(hugepageCheck());
        return checks;
    }

    private static Check gidCheck(String where, SysfsRdma.Port p) {
        SysfsRdma.Gid best = null;
        for (SysfsRdma.Gid g : p.gids()) {
            if (g.type().contains("v2") && g.ipv4() != null) {
                best = g;
                break;
            }
        }
        if (best != null) {
            return new Check(Status.OK, where + ": RoCE v2 GID " + best.index() + " = " + best.ipv4() + " on "
                    + best.netdev() + " (use -x " + best.index() + ")", null);
        }
        if (p.gids().isEmpty()) {
            return new Check(Status.FAIL, where + ": empty GID table",
                    "give the network interface an address: ip addr add 10.0.0.1/24 dev NETDEV");
        }
        return new Check(Status.WARN, where + ": no RoCE v2 GID with an IPv4 address (" + p.gids().size() + " GIDs)",
                "add an IPv4 address to the netdev, or pass the GID index to use with -x");
    }

    Check memlockCheck() {
        String limits = SysfsRdma.read(proc.resolve("self/limits"));
        for (String line : limits.split("\n")) {
            if (line.startsWith("Max locked memory")) {
                String[] f = line.substring("Max locked memory".length()).trim().split("\\s+");
                String soft = f.length > 0 ? f[0] : "";
                if (soft.equals("unlimited")) {
                    return new Check(Status.OK, "memlock limit: unlimited", null);
                }
                try {
                    long bytes = Long.parseLong(soft);
                    // Small tests fit in a few MiB; -a registers 8 MiB buffers per QP and side.
                    Status s = bytes >= MIN_MEMLOCK ? Status.OK : bytes < (1L << 20) ? Status.FAIL : Status.WARN;
                    return new Check(s, "memlock limit (ulimit -l): " + (bytes >> 10) + " KiB",
                            s == Status.OK ? null : "raise it: ulimit -l unlimited (as root), '* - memlock unlimited' in"
                                    + " /etc/security/limits.conf, LimitMEMLOCK=infinity for a service,"
                                    + " --ulimit memlock=-1 for docker");
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        return new Check(Status.WARN, "memlock limit unknown (no 'Max locked memory' in " + proc.resolve("self/limits")
                + ")", "check ulimit -l");
    }

    Check hugepageCheck() {
        HugePages h = HugePages.read(proc);
        long total = h.total();
        long free = h.free();
        String size = h.size();
        if (total < 0) {
            return new Check(Status.WARN, "hugepages: unknown (no HugePages_Total in /proc/meminfo)", null);
        }
        if (total == 0) {
            return new Check(Status.WARN, "hugepages: none reserved (optional: buffers fall back to normal pages)",
                    "echo 512 > /proc/sys/vm/nr_hugepages (512 × " + size + ")");
        }
        return new Check(Status.OK, "hugepages: " + free + " of " + total + " free (" + size + " each)", null);
    }

    /** Prints every check and returns 0 when none failed, 1 otherwise. */
    public int run(PrintStream out) {
        boolean failed = false;
        for (Check c : checks()) {
            out.println(switch (c.status()) {
                case OK -> "[ OK ] ";
                case WARN -> "[WARN] ";
                case FAIL -> "[FAIL] ";
            } + c.finding());
            if (c.fix() != null) {
                out.println("       fix: " + c.fix());
            }
            failed |= c.status() == Status.FAIL;
        }
        return failed ? ExitCodes.FAILURE : ExitCodes.OK;
    }
}
