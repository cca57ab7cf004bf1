package io.jverbs.examples;

/**
 * A TCP echo server (RFC 862) on the userspace stack: every byte a client sends comes back, until
 * it closes. One virtual thread per connection over {@link io.jverbs.raweth.socket.TcpStack}'s
 * blocking streams.
 *
 * <pre>
 * examples/run.sh TcpEcho --port tap:jtap0 --ip 10.0.0.2/24 [--listen 7]
 * examples/run.sh TcpEcho --port afpacket:veth0 --ip 10.0.0.2/24
 * </pre>
 * then, from the kernel's side, {@code socat - TCP:10.0.0.2:7} (docs/tcp.md, "Examples").
 */
public final class TcpEcho {
    private TcpEcho() {
    }

    public static void main(String[] args) throws Exception {
        StackServer.main("TcpEcho", 7, c -> c.inputStream().transferTo(c.outputStream()), args);
    }
}
