package io.jverbs.examples;

import io.jverbs.raweth.linux.HostNet;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TcpHttpServer and TcpEcho against real kernel clients in a namespace, over a TAP and over
 * AF_PACKET on a veth: curl fetches the page and a megabyte on one kept-alive connection; socat
 * sends 300 KB through the echo server and gets the same bytes back. The servers run in this JVM
 * with the options their documented commands take. Needs root, ip, ethtool, curl and socat.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpExamplesKernelTest {
    private static final String KERNEL_IP = "10.237." + pidSubnet() + ".1";
    private static final String STACK_IP = "10.237." + pidSubnet() + ".2";

    static int pidSubnet() {
        return (int) (ProcessHandle.current().pid() % 250);
    }

    /** A server and the namespace of the kernel's end of its link. */
    record Started(StackServer server, String ns) implements AutoCloseable {
        @Override
        public void close() {
            server.close();
        }
    }

    /** Starts a server on a fresh link of {@code kind} (tap or afpacket) with a kernel in a namespace at the other end. */
    private static Started start(HostNet net, String kind, String name, int port, StackServer.Handler handler,
            PrintStream log) throws Exception {
        String ns = net.namespace(kind.substring(0, 1) + name.substring(3, 4).toLowerCase());
        String link = "jv" + HostNet.TAG + kind.charAt(0) + name.charAt(3);
        StackServer s;
        if (kind.equals("tap")) {
            s = StackServer.start(name, port, handler, log, "--port", "tap:" + link, "--ip", STACK_IP + "/24");
            HostNet.tapInto(link, ns, KERNEL_IP + "/24");
        } else {
            String kernel = link + "k";
            net.veth(link, kernel, ns);
            HostNet.run("ip", "-n", ns, "addr", "add", KERNEL_IP + "/24", "dev", kernel);
            HostNet.run("ip", "-n", ns, "link", "set", kernel, "up");
            // veth hands AF_PACKET unfilled checksums and 64 KB segments otherwise (docs/raw-eth.md)
            HostNet.run("ip", "netns", "exec", ns, "ethtool", "-K", kernel, "tx", "off", "tso", "off", "gso", "off");
            s = StackServer.start(name, port, handler, log, "--port", "afpacket:" + link, "--ip", STACK_IP + "/24");
        }
        return new Started(s, ns);
    }

    private static HostNet.Result inNs(String ns, String... cmd) throws Exception {
        String[] full = new String[cmd.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = ns;
        System.arraycopy(cmd, 0, full, 4, cmd.length);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd) + " did not finish");
        return new HostNet.Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tap", "afpacket"})
    void curlGetsThePageAndAMegabyteOnOneConnection(String kind, @TempDir Path dir) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (HostNet net = new HostNet();
             Started started = start(net, kind, "TcpHttpServer", 8080, TcpHttpServer::serve, new PrintStream(log, true))) {
            StackServer s = started.server();
            String ns = started.ns();
            assertTrue(log.toString().contains("listening on " + STACK_IP + ":8080"), log.toString());
            Path page = dir.resolve("page.html");
            Path big = dir.resolve("big.bin");
            HostNet.Result r = inNs(ns, "curl", "-sS", "-v", "--max-time", "30", "http://" + STACK_IP + ":8080/",
                    "-o", page.toString(), "http://" + STACK_IP + ":8080/bytes/1048576", "-o", big.toString());
            assertEquals(0, r.exit(), r.output());
            assertTrue(r.output().contains("Re-using existing connection"), "keep-alive: " + r.output());
            assertArrayEquals(TcpHttpServer.PAGE, Files.readAllBytes(page));
            byte[] body = Files.readAllBytes(big);
            assertEquals(1 << 20, body.length);
            for (int i = 0; i < body.length; i++) {
                if (body[i] != (byte) ('a' + (i % 8192) % 26)) throw new AssertionError("byte " + i + " differs");
            }
            HostNet.Result missing = inNs(ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                    "http://" + STACK_IP + ":8080/nothing");
            assertEquals("404", missing.output().trim());
            assertEquals(2, s.accepted(), "one connection for the two URLs, one for the 404");
            System.out.println("TcpHttpServer over " + kind + ": " + s.stack().locked(() -> s.server().listener().toString()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tap", "afpacket"})
    void socatEchoesThreeHundredKilobytes(String kind, @TempDir Path dir) throws Exception {
        try (HostNet net = new HostNet();
             Started started = start(net, kind, "TcpEcho", 7, c -> c.inputStream().transferTo(c.outputStream()),
                     new PrintStream(new ByteArrayOutputStream(), true))) {
            StackServer s = started.server();
            String ns = started.ns();
            byte[] data = new byte[300_000];
            new Random(kind.hashCode()).nextBytes(data);
            Path in = dir.resolve("in.bin");
            Path out = dir.resolve("out.bin");
            Files.write(in, data);
            HostNet.Result r = inNs(ns, "sh", "-c", "socat -t 10 -T 30 - TCP:" + STACK_IP + ":7 < " + in + " > " + out);
            assertEquals(0, r.exit(), r.output());
            byte[] got = Files.readAllBytes(out);
            assertEquals(data.length, got.length);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            assertEquals(HexFormat.of().formatHex(sha.digest(data)), HexFormat.of().formatHex(sha.digest(got)));
            assertEquals(1, s.accepted());
        }
    }
}
