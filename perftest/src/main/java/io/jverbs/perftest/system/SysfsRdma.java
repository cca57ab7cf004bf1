package io.jverbs.perftest.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * RDMA devices, ports and GID tables as the kernel publishes them in sysfs
 * ({@code /sys/class/infiniband/DEV/ports/N/{state,link_layer,rate,lid,gids/I,gid_attrs/types/I,
 * gid_attrs/ndevs/I}}). Pure Java: works without libibverbs, and tests give it a fake tree.
 */
public final class SysfsRdma {
    /** One GID table entry. */
    public record Gid(int index, String gid, String type, String netdev) {
        /** The IPv4 address of an IPv4-mapped GID ({@code ::ffff:a.b.c.d}), or null. */
        public String ipv4() {
            String hex = gid.replace(":", "");
            if (hex.length() != 32 || !hex.startsWith("00000000000000000000ffff")) {
                return null;
            }
            int v = (int) Long.parseLong(hex.substring(24), 16);
            return (v >>> 24) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff) + "." + (v & 0xff);
        }
    }

    /** One port. */
    public record Port(int number, String state, String linkLayer, String rate, String lid, List<Gid> gids) {
    }

    /** One device. */
    public record Device(String name, List<Port> ports) {
    }

    private final Path root;
    private final Path dev;

    /** Devices under {@code root} (normally /sys/class/infiniband), device files under {@code dev} (/dev/infiniband). */
    public SysfsRdma(Path root, Path dev) {
        this.root = root;
        this.dev = dev;
    }

    /** The running system's sysfs. */
    public static SysfsRdma system() {
        return new SysfsRdma(Path.of("/sys/class/infiniband"), Path.of("/dev/infiniband"));
    }

    /** Where device directories are read from. */
    public Path root() {
        return root;
    }

    /** The uverbs character devices present ({@code /dev/infiniband/uverbs*}). */
    public List<Path> uverbsDevices() {
        return list(dev).stream().filter(p -> p.getFileName().toString().startsWith("uverbs")).toList();
    }

    /** Every device, sorted by name; empty when there is none (or no sysfs). */
    public List<Device> devices() {
        List<Device> out = new ArrayList<>();
        for (Path d : list(root)) {
            List<Port> ports = new ArrayList<>();
            for (Path p : list(d.resolve("ports"))) {
                int number;
                try {
                    number = Integer.parseInt(p.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                ports.add(new Port(number, read(p.resolve("state")), read(p.resolve("link_layer")),
                        read(p.resolve("rate")), read(p.resolve("lid")), gids(p)));
            }
            ports.sort(Comparator.comparingInt(Port::number));
            out.add(new Device(d.getFileName().toString(), List.copyOf(ports)));
        }
        return out;
    }

    private List<Gid> gids(Path port) {
        List<Gid> gids = new ArrayList<>();
        for (Path g : list(port.resolve("gids"))) {
            int index;
            try {
                index = Integer.parseInt(g.getFileName().toString());
            } catch (NumberFormatException e) {
                continue;
            }
            String gid = read(g);
            if (gid.isEmpty() || gid.replace(":", "").replace("0", "").isEmpty()) {
                continue; // an empty slot reads as zeros (or fails)
            }
            gids.add(new Gid(index, gid, read(port.resolve("gid_attrs/types/" + index)),
                    read(port.resolve("gid_attrs/ndevs/" + index))));
        }
        gids.sort(Comparator.comparingInt(Gid::index));
        return gids;
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** A sysfs attribute, trimmed; empty when absent or unreadable (sysfs returns EINVAL for unset GID attributes). */
    static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
