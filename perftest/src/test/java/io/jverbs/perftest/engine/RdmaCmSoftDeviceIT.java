package io.jverbs.perftest.engine;

import io.jverbs.core.NotSupportedException;
import io.jverbs.rdmacm.CmEventChannel;
import io.jverbs.rdmacm.CmId;
import io.jverbs.verbs.CompletionQueue;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QpType;
import io.jverbs.verbs.QueuePair;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * rdma_cm and the soft device: a CM id refuses a soft device's PD with the clear "not supported"
 * error that names the way that works (an out-of-band exchange, jperf without {@code -R}),
 * instead of the mismatched-context error a foreign native PD gets.
 *
 * <p>A CM id needs the kernel's rdma_cm, so this runs where a kernel RDMA device exists (rxe0 in
 * the VM). There rxe holds UDP port 4791 on every address of the network namespace, so the soft
 * device cannot bind it: the check runs in a child JVM in a namespace of its own
 * ({@code unshare -n}, root), where the soft device has a loopback of its own and rdma_cm still
 * creates ids.
 */
@Tag("rdma")
class RdmaCmSoftDeviceIT {
    @Test
    void aCmIdRefusesASoftDevicesProtectionDomain() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = List.of("unshare", "-n", "sh", "-c",
                "ip link set lo up && exec \"$0\" --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1"
                        + " -cp \"$1\" \"$2\"",
                java, System.getProperty("java.class.path"), Child.class.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean exited = p.waitFor(120, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!exited) p.destroyForcibly();
        assertTrue(exited, "the child JVM did not exit in 120 s:\n" + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("rdma_cm connections are not supported by jsoft0"), out);
        assertTrue(out.contains("out of band"), out);
    }

    /** The check, in the child JVM: prints the refusal, exits 0 only when it is the expected one. */
    static final class Child {
        public static void main(String[] args) {
            try (CmEventChannel channel = CmEventChannel.create();
                 CmId id = channel.createId();
                 Context soft = Context.open("jsoft0");
                 ProtectionDomain pd = soft.allocateProtectionDomain();
                 CompletionQueue cq = soft.createCompletionQueue(16)) {
                try {
                    id.createQueuePair(pd, QueuePair.Config.of(QpType.RC, cq));
                    System.out.println("createQueuePair accepted a soft device's PD");
                    System.exit(1);
                } catch (NotSupportedException e) {
                    System.out.println(e.getMessage());
                    System.exit(soft.isSoftDevice() && "jsoft0".equals(e.device()) && id.queuePair() == null ? 0 : 1);
                }
            }
        }
    }
}
