package io.jverbs.dpdk;

/**
 * Runs one EAL scenario in a JVM of its own (DPDK initializes once per process) and prints what
 * happened, one line per step, for {@link EalProcessTest}.
 */
public final class EalMain {
    private EalMain() {}

    public static void main(String[] args) {
        String prefix = "jverbs-fork-" + ProcessHandle.current().pid();
        try {
            switch (args[0]) {
                case "bad-arg" -> {
                    step(() -> Eal.init(TestEal.options(prefix).arg("--no-such-option").build()));
                    // even after an argument error, DPDK 22.11 fails a retry: jverbs refuses it up front
                    step(() -> Eal.init(TestEal.options(prefix).build()).close());
                }
                case "missing-vdev" -> step(() -> Eal.init(TestEal.options(prefix).vdev("net_nosuchdriver0").build()));
                case "init-after-cleanup" -> {
                    step(() -> Eal.init(TestEal.options(prefix).vdev("net_null0").build()).close());
                    step(() -> Eal.init(TestEal.options(prefix).build()));
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
        } finally {
            TestEal.deleteRuntimeDir(prefix);
        }
        System.out.println("END");
    }

    private static void step(Runnable r) {
        try {
            r.run();
            System.out.println("OK");
        } catch (RuntimeException e) {
            System.out.println("THROWN " + e.getClass().getSimpleName() + ": " + e.getMessage().replace('\n', ' '));
        }
    }
}
