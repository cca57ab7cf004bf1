package io.jverbs.dpdk;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** EAL failures that need a fresh process: each case runs {@link EalMain} in a JVM of its own. */
class EalProcessTest {
    private static List<String> run(String scenario) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = Files.createTempFile("jverbs-eal", ".out");
        try {
            Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    EalMain.class.getName(), scenario).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), scenario + " did not finish in 120 s");
            List<String> lines = Files.readAllLines(out);
            assertEquals(0, p.exitValue(), "the JVM must not crash: " + String.join("\n", lines));
            List<String> steps = lines.stream().filter(l -> l.startsWith("OK") || l.startsWith("THROWN") || l.equals("END")).toList();
            assertEquals("END", steps.getLast(), String.join("\n", lines));
            return steps;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Test
    void aBadArgumentIsEinvalNamingTheArguments() throws Exception {
        List<String> steps = run("bad-arg");
        String first = steps.get(0);
        assertTrue(first.startsWith("THROWN DpdkException: rte_eal_init failed: EINVAL"), first);
        assertTrue(first.contains("--no-such-option"), first);
        assertTrue(steps.get(1).startsWith("THROWN IllegalStateException: rte_eal_init failed in this process already")
                && steps.get(1).contains("start a new JVM"), steps.get(1));
    }

    @Test
    void aVdevWithoutADriverIsAClearError() throws Exception {
        String first = run("missing-vdev").get(0);
        assertTrue(first.startsWith("THROWN DpdkException: rte_eal_init failed"), first);
        assertTrue(first.contains("net_nosuchdriver0"), first);
    }

    @Test
    void noInitAfterCleanup() throws Exception {
        List<String> steps = run("init-after-cleanup");
        assertEquals("OK", steps.get(0), steps.toString());
        assertTrue(steps.get(1).startsWith("THROWN IllegalStateException: EAL was initialized and cleaned up"), steps.get(1));
        assertTrue(steps.get(1).contains("start a new JVM"), steps.get(1));
    }
}
