package io.jverbs.perftest.system;

import java.nio.file.Path;

/**
 * The huge-page counters of {@code /proc/meminfo}: pages reserved, free, and their size (e.g.
 * {@code 2048 kB}). -1 when the file has no such line.
 */
public record HugePages(long total, long free, String size) {
    /** Read from {@code proc}/meminfo ({@code /proc} on a live system). */
    public static HugePages read(Path proc) {
        String meminfo = SysfsRdma.read(proc.resolve("meminfo"));
        long total = -1;
        long free = -1;
        String size = "?";
        for (String line : meminfo.split("\n")) {
            String[] f = line.split(":\\s*", 2);
            if (f.length < 2) {
                continue;
            }
            switch (f[0]) {
                case "HugePages_Total" -> total = Long.parseLong(f[1].trim());
                case "HugePages_Free" -> free = Long.parseLong(f[1].trim());
                case "Hugepagesize" -> size = f[1].trim();
                default -> { }
            }
        }
        return new HugePages(total, free, size);
    }

    /** This machine's counters. */
    public static HugePages system() {
        return read(Path.of("/proc"));
    }
}
