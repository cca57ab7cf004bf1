package io.jverbs.dpdk;

import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of {@code rte_eal_init}, typed. Build with {@link #builder()}; {@link #args()} is
 * the argument vector EAL receives (after the program name). For anything not covered here,
 * {@link Builder#arg(String...)} passes raw arguments through.
 *
 * {@snippet :
 * EalOptions options = EalOptions.builder()
 *         .lcores("0").noHuge().memoryMb(256).noPci()
 *         .vdev("net_ring0").filePrefix("myapp-" + ProcessHandle.current().pid())
 *         .build();
 * }
 *
 * <p>Facts of DPDK 22.11 worth knowing: {@code --no-huge} and {@code --in-memory} do not mix;
 * every process that runs DPDK at the same time needs its own {@link Builder#filePrefix file
 * prefix} (unless {@code --in-memory}); without hugepages, use {@link Builder#noHuge()} and a
 * modest {@link Builder#memoryMb memory size} (256–512 MB), and pools of a few thousand mbufs.
 */
public final class EalOptions {
    private final List<String> args;

    private EalOptions(List<String> args) {
        this.args = List.copyOf(args);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The EAL arguments, without the program name. */
    public List<String> args() {
        return args;
    }

    @Override
    public String toString() {
        return String.join(" ", args);
    }

    /** Builds {@link EalOptions}; each method adds its EAL argument once (vdevs and raw args may repeat). */
    public static final class Builder {
        private String lcores;
        private int memoryMb;
        private boolean noPci;
        private boolean noHuge;
        private boolean inMemory;
        private String filePrefix;
        private final List<String> logLevels = new ArrayList<>();
        private final List<String> vdevs = new ArrayList<>();
        private final List<String> extra = new ArrayList<>();

        private Builder() {}

        /** {@code -l LIST}: the lcores EAL runs on, e.g. {@code "0"} or {@code "0-3"}; the first is the main lcore. */
        public Builder lcores(String list) {
            this.lcores = nonEmpty("lcores", list);
            return this;
        }

        /** {@code -m MB}: memory to preallocate (with {@link #noHuge()}, the size of the anonymous heap). */
        public Builder memoryMb(int mb) {
            if (mb <= 0) {
                throw new IllegalArgumentException("memoryMb must be positive, got " + mb);
            }
            this.memoryMb = mb;
            return this;
        }

        /** {@code --no-pci}: do not scan the PCI bus (vdevs only). */
        public Builder noPci() {
            this.noPci = true;
            return this;
        }

        /** {@code --no-huge}: anonymous memory instead of hugepages (no physical addresses, fine for vdevs). */
        public Builder noHuge() {
            this.noHuge = true;
            return this;
        }

        /** {@code --in-memory}: no shared runtime files (implies no secondary processes). */
        public Builder inMemory() {
            this.inMemory = true;
            return this;
        }

        /** {@code --file-prefix PREFIX}: names this process's runtime files; unique per concurrent process. */
        public Builder filePrefix(String prefix) {
            this.filePrefix = nonEmpty("filePrefix", prefix);
            return this;
        }

        /**
         * {@code --vdev DEVARGS}, repeatable: a virtual device, e.g. {@code "net_ring0"},
         * {@code "net_null0,size=64"}, {@code "net_tap0,iface=tap0"}.
         */
        public Builder vdev(String devargs) {
            vdevs.add(nonEmpty("vdev", devargs));
            return this;
        }

        /** {@code --log-level=N}: the global log level, 1 (emergency) to 8 (debug); 5 (notice) hides EAL's chatter. */
        public Builder logLevel(int level) {
            if (level < 1 || level > 8) {
                throw new IllegalArgumentException("logLevel must be 1..8 (RTE_LOG_EMERG..RTE_LOG_DEBUG), got " + level);
            }
            logLevels.add(Integer.toString(level));
            return this;
        }

        /** {@code --log-level=SPEC}, repeatable, e.g. {@code "pmd.net.ring:debug"}. */
        public Builder logLevel(String spec) {
            logLevels.add(nonEmpty("logLevel", spec));
            return this;
        }

        /** Raw EAL arguments, passed after the typed ones. */
        public Builder arg(String... raw) {
            for (String a : raw) {
                extra.add(a == null ? "" : a);
            }
            return this;
        }

        public EalOptions build() {
            List<String> a = new ArrayList<>();
            if (lcores != null) {
                a.add("-l");
                a.add(lcores);
            }
            if (memoryMb > 0) {
                a.add("-m");
                a.add(Integer.toString(memoryMb));
            }
            if (noPci) a.add("--no-pci");
            if (noHuge) a.add("--no-huge");
            if (inMemory) a.add("--in-memory");
            if (filePrefix != null) {
                a.add("--file-prefix");
                a.add(filePrefix);
            }
            for (String l : logLevels) a.add("--log-level=" + l);
            for (String v : vdevs) {
                a.add("--vdev");
                a.add(v);
            }
            a.addAll(extra);
            return new EalOptions(a);
        }

        private static String nonEmpty(String what, String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(what + " must not be empty");
            }
            return value;
        }
    }
}
