package io.jverbs.perftest.cli;

import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.system.SysfsRdma;
import java.io.PrintStream;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine.Command;

/**
 * {@code jperf devices}: kernel devices, ports and GID tables with their types (from sysfs), then
 * the soft devices this jperf can open (from their configuration; listing opens none).
 */
@Command(name = "devices", description = "List RDMA devices, their ports and GID tables (with GID types and addresses)")
final class DevicesCommand {
    int run(PrintStream out, PrintStream err, SysfsRdma sysfs, Supplier<List<String>> softDevices) {
        var devices = sysfs.devices();
        List<String> soft = List.of();
        try {
            soft = softDevices.get();
        } catch (RuntimeException e) {
            err.println("jperf devices: soft devices: " + e.getMessage());
        }
        if (devices.isEmpty() && soft.isEmpty()) {
            err.println("jperf devices: no RDMA device in " + sysfs.root() + " (run 'jperf doctor')");
            return ExitCodes.FAILURE;
        }
        for (SysfsRdma.Device d : devices) {
            out.println(d.name());
            for (SysfsRdma.Port p : d.ports()) {
                out.println("  port " + p.number() + ": " + p.state() + ", link layer " + p.linkLayer()
                        + (p.rate().isEmpty() ? "" : ", rate " + p.rate()) + (p.lid().isEmpty() ? "" : ", lid " + p.lid()));
                for (SysfsRdma.Gid g : p.gids()) {
                    String ip = g.ipv4();
                    out.println("    GID " + g.index() + "  " + g.gid() + "  " + (g.type().isEmpty() ? "?" : g.type())
                            + (g.netdev().isEmpty() ? "" : "  " + g.netdev()) + (ip == null ? "" : "  " + ip));
                }
            }
        }
        for (String d : soft) {
            out.println(d + "  soft device: RoCEv2 over UDP port 4791 in the JVM; GID index 1 is the address IPv4-mapped");
        }
        return ExitCodes.OK;
    }
}
