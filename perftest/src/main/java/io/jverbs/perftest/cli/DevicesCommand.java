package io.jverbs.perftest.cli;

import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.system.SysfsRdma;
import java.io.PrintStream;
import picocli.CommandLine.Command;

/** {@code jperf devices}: devices, ports and GID tables with their types (from sysfs). */
@Command(name = "devices", description = "List RDMA devices, their ports and GID tables (with GID types and addresses)")
final class DevicesCommand {
    int run(PrintStream out, PrintStream err, SysfsRdma sysfs) {
        var devices = sysfs.devices();
        if (devices.isEmpty()) {
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
        return ExitCodes.OK;
    }
}
