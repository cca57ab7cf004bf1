package io.jverbs.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DpdkToRdma's command line, which needs no device (the run itself is DpdkToRdmaIT, in the VM). */
class DpdkToRdmaTest {
    @Test
    void badCommandLinesPrintUsageAndExitTwo() {
        for (String[] args : new String[][] {{"-x"}, {"-s", "4096"}, {"somehost"}, {"-n", "ten"}}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
            int rc = DpdkToRdma.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(2, rc, String.join(" ", args));
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("Usage: DpdkToRdma"), out.toString(StandardCharsets.UTF_8));
        }
    }
}
