package io.jverbs.examples;

import io.jverbs.raweth.iface.InterfaceConfig;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortOpeners;
import io.jverbs.raweth.port.PortSpec;
import io.jverbs.raweth.socket.TcpConnection;
import io.jverbs.raweth.socket.TcpServer;
import io.jverbs.raweth.socket.TcpStack;
import io.jverbs.raweth.wire.Ipv4Address;

import java.io.IOException;
import java.io.PrintStream;
import java.net.SocketException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What TcpEcho and TcpHttpServer share: the options that put a userspace TCP stack on a packet
 * port, and a server that gives each accepted connection a virtual thread.
 *
 * <pre>
 * --port SPEC     the packet port: tap:NAME (created if missing), afpacket:IFNAME[,ring=v2], dpdk:..., verbs:...
 * --ip A.B.C.D/N  the stack's address and prefix (no kernel address on that interface: the stack owns it)
 * --gateway A.B.C.D  the default route's next hop (optional)
 * --listen PORT   the TCP port (default per program)
 * --backlog N     SYN and accept queue bounds (default 128; SYN cookies beyond)
 * </pre>
 */
final class StackServer implements AutoCloseable {
    /** What a program does with one connection; the connection is closed after. */
    interface Handler {
        void serve(TcpConnection c) throws IOException;
    }

    private final String name;
    private final PacketPort port;
    private final TcpStack stack;
    private final TcpServer server;
    private final Handler handler;
    private final Thread acceptor;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicLong accepted = new AtomicLong();

    private StackServer(String name, PacketPort port, TcpStack stack, TcpServer server, Handler handler) {
        this.name = name;
        this.port = port;
        this.stack = stack;
        this.server = server;
        this.handler = handler;
        acceptor = Thread.ofVirtual().name(name + "-accept").unstarted(this::acceptLoop);
    }

    /**
     * Parses {@code args}, opens the port and the stack, listens, and starts accepting.
     *
     * @throws IllegalArgumentException naming a bad or missing option
     */
    static StackServer start(String name, int defaultPort, Handler handler, PrintStream log, String... args)
            throws IOException {
        String spec = null;
        String ip = null;
        String gateway = null;
        int listen = defaultPort;
        int backlog = 128;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(name + ": " + a + " needs a value\n" + usage(name));
            }
            String v = args[++i];
            switch (a) {
                case "--port" -> spec = v;
                case "--ip" -> ip = v;
                case "--gateway" -> gateway = v;
                case "--listen" -> listen = Integer.parseInt(v);
                case "--backlog" -> backlog = Integer.parseInt(v);
                default -> throw new IllegalArgumentException(name + ": unknown option " + a + "\n" + usage(name));
            }
        }
        if (spec == null || ip == null || !ip.contains("/")) {
            throw new IllegalArgumentException(name + ": --port and --ip ADDRESS/PREFIX are required\n" + usage(name));
        }
        InterfaceConfig.Builder config = InterfaceConfig.builder(Ipv4Address.parse(ip.substring(0, ip.indexOf('/'))),
                Integer.parseInt(ip.substring(ip.indexOf('/') + 1)));
        if (gateway != null) {
            config.gateway(Ipv4Address.parse(gateway));
        }
        PacketPort port = PortOpeners.open(PortSpec.parse(spec));
        TcpStack stack = null;
        try {
            stack = TcpStack.start(port, config.build());
            TcpServer server = stack.listen(listen, backlog);
            StackServer s = new StackServer(name, port, stack, server, handler);
            s.acceptor.start();
            log.println(name + ": listening on " + ip.substring(0, ip.indexOf('/')) + ":" + listen + " over "
                    + port.name() + " (MAC " + port.capabilities().mac() + ")");
            return s;
        } catch (RuntimeException | IOException e) {
            if (stack != null) stack.close();
            port.close();
            throw e;
        }
    }

    static String usage(String name) {
        return "usage: examples/run.sh " + name + " --port tap:NAME|afpacket:IF --ip A.B.C.D/N [--gateway A.B.C.D]"
                + " [--listen PORT] [--backlog N]";
    }

    /** Runs {@link #start} from a main: until the JVM is stopped (Ctrl-C closes the stack and the port). */
    static void main(String name, int defaultPort, Handler handler, String... args) throws Exception {
        StackServer s;
        try {
            s = start(name, defaultPort, handler, System.out, args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(s::close));
        s.stopped.await();
    }

    TcpStack stack() {
        return stack;
    }

    TcpServer server() {
        return server;
    }

    long accepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        try {
            while (true) {
                TcpConnection c = server.accept();
                accepted.incrementAndGet();
                Thread.ofVirtual().name(name + "-" + c.remoteAddress() + ":" + c.remotePort()).start(() -> {
                    try (c) {
                        handler.serve(c);
                    } catch (IOException e) {
                        // the peer reset or went away: this connection ends, the server goes on
                    }
                });
            }
        } catch (SocketException e) {
            // closed
        } catch (IOException e) {
            System.err.println(name + ": accept failed: " + e);
        } finally {
            stopped.countDown();
        }
    }

    @Override
    public void close() {
        server.close();
        stack.close();
        port.close();
        stopped.countDown();
    }
}
