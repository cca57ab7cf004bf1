package io.jverbs.raweth.port;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs a capture reader (tshark, tcpdump) and fails on a non-zero exit or any complaint on stderr. */
public final class Tools {
    private Tools() {
    }

    /** The command's standard output lines. */
    public static List<String> run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", command) + " failed: " + err);
        // Only the banners: tshark's warning about root, tcpdump's "reading from file".
        List<String> complaints = err.lines().filter(l -> !l.isBlank() && !l.startsWith("Running as user")
                && !l.startsWith("reading from file")).toList();
        assertEquals(List.of(), complaints, String.join(" ", command) + " complained");
        return new String(out, StandardCharsets.UTF_8).lines().toList();
    }
}
