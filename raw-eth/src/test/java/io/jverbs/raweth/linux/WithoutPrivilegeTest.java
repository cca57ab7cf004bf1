package io.jverbs.raweth.linux;

import io.jverbs.core.NativeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opening a port without privileges fails with the call, the errno and the fix: a JVM started as
 * user nobody with no capabilities ({@code setpriv}) opens an AF_PACKET port on {@code lo} and a
 * TAP device, and prints what it caught. Needs root (to drop it) and util-linux's setpriv.
 */
@Timeout(60)
class WithoutPrivilegeTest {
    /** Run in the unprivileged JVM: one line per attempt, {@code call|errno|message}. */
    public static void main(String[] args) {
        try {
            AfPacketPort.open("lo").close();
            System.out.println("opened");
        } catch (NativeException e) {
            System.out.println(e.call() + "|" + e.errnoName() + "|" + e.getMessage());
        }
        try {
            TapPort.open("jvnopriv0").close();
            System.out.println("opened");
        } catch (NativeException e) {
            System.out.println(e.call() + "|" + e.errnoName() + "|" + e.getMessage());
        }
    }

    @Test
    void errorsSayThatThePortNeedsCapabilities() throws Exception {
        String cp = String.join(File.pathSeparator, location(WithoutPrivilegeTest.class), location(AfPacketPort.class),
                location(NativeException.class));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--", java, "-XX:-UsePerfData", "-Xshare:off",
                "--enable-native-access=ALL-UNNAMED", "-cp", cp, WithoutPrivilegeTest.class.getName()))
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(50, TimeUnit.SECONDS), "the unprivileged JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        List<String> lines = out.lines().filter(l -> l.contains("|") || l.equals("opened")).toList();
        assertEquals(2, lines.size(), out);
        String[] packet = lines.get(0).split("\\|", 3);
        assertEquals(LinuxCall.PACKET_SOCKET.name(), packet[0], out);
        assertEquals("EPERM", packet[1], out);
        assertTrue(packet[2].contains("CAP_NET_RAW") && packet[2].contains("socket(AF_PACKET"), packet[2]);
        String tap = lines.get(1);
        // /dev/net/tun is world-writable here, so the refusal comes from TUNSETIFF
        assertTrue(tap.startsWith(LinuxCall.TUNSETIFF.name() + "|EPERM|") && tap.contains("CAP_NET_ADMIN"), tap);
    }

    private static String location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
