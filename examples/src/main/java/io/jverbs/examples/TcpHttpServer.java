package io.jverbs.examples;

import io.jverbs.raweth.socket.TcpConnection;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 server on the userspace stack, the equivalent of Photon's
 * {@code fstack-dpdk-demo}: GET and HEAD, persistent connections (HTTP/1.1 keeps the connection
 * unless {@code Connection: close}; HTTP/1.0 closes unless {@code keep-alive}), every response
 * with a Content-Length. {@code /} is a small page; {@code /bytes/N} is N bytes of text (for
 * transfer tests); anything else is 404. No chunked requests, no pipelining beyond what arrives in
 * order.
 *
 * <pre>
 * examples/run.sh TcpHttpServer --port tap:jtap0 --ip 10.0.0.2/24 [--listen 8080]
 * examples/run.sh TcpHttpServer --port afpacket:veth0 --ip 10.0.0.2/24
 * </pre>
 * then {@code curl http://10.0.0.2:8080/} from the kernel's side (docs/tcp.md, "Examples").
 */
public final class TcpHttpServer {
    static final byte[] PAGE = ("<!DOCTYPE html>\n<html><head><title>jverbs</title></head>"
            + "<body><h1>Hello from jverbs</h1><p>Served by a userspace TCP stack in Java.</p></body></html>\n")
            .getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_HEAD = 8192;
    private static final long MAX_BYTES = 1L << 30;

    private TcpHttpServer() {
    }

    public static void main(String[] args) throws Exception {
        StackServer.main("TcpHttpServer", 8080, TcpHttpServer::serve, args);
    }

    /** Answers requests on {@code c} until the client closes or asks to. */
    static void serve(TcpConnection c) throws IOException {
        InputStream in = new BufferedInputStream(c.inputStream(), 8192);
        OutputStream out = new BufferedOutputStream(c.outputStream(), 16_384);
        while (true) {
            String head = readHead(in);
            if (head == null) {
                return; // the client closed between requests
            }
            String[] lines = head.split("\r\n");
            String[] request = lines[0].split(" ");
            if (request.length != 3 || !request[2].startsWith("HTTP/1.")) {
                respond(out, 400, "Bad Request", "text/plain", "bad request line\n".getBytes(StandardCharsets.US_ASCII),
                        false, true);
                return;
            }
            boolean http11 = request[2].equals("HTTP/1.1");
            String connection = "";
            long bodyLength = 0;
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) continue;
                String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = lines[i].substring(colon + 1).trim();
                if (name.equals("connection")) connection = value.toLowerCase(Locale.ROOT);
                if (name.equals("content-length")) bodyLength = Long.parseLong(value);
            }
            in.skipNBytes(bodyLength); // a GET's body means nothing here
            boolean keepAlive = http11 ? !connection.contains("close") : connection.contains("keep-alive");
            String method = request[0];
            String path = request[1];
            if (!method.equals("GET") && !method.equals("HEAD")) {
                respond(out, 405, "Method Not Allowed", "text/plain", "GET or HEAD\n".getBytes(StandardCharsets.US_ASCII),
                        false, keepAlive);
            } else if (path.equals("/")) {
                respond(out, 200, "OK", "text/html", PAGE, method.equals("HEAD"), keepAlive);
            } else if (path.startsWith("/bytes/") && path.substring(7).matches("[0-9]{1,10}")
                    && Long.parseLong(path.substring(7)) <= MAX_BYTES) {
                long n = Long.parseLong(path.substring(7));
                header(out, 200, "OK", "application/octet-stream", n, keepAlive);
                if (!method.equals("HEAD")) {
                    byte[] block = new byte[8192];
                    for (int i = 0; i < block.length; i++) block[i] = (byte) ('a' + i % 26);
                    for (long left = n; left > 0; left -= block.length) {
                        out.write(block, 0, (int) Math.min(left, block.length));
                    }
                }
                out.flush();
            } else {
                respond(out, 404, "Not Found", "text/plain", ("no " + path + "\n").getBytes(StandardCharsets.UTF_8),
                        method.equals("HEAD"), keepAlive);
            }
            if (!keepAlive) {
                return;
            }
        }
    }

    /** The request line and headers up to the blank line, or null at end of stream before any byte. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(256);
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) return null;
                throw new IOException("connection closed inside a request head");
            }
            if (head.size() == MAX_HEAD) throw new IOException("request head over " + MAX_HEAD + " bytes");
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static void respond(OutputStream out, int status, String reason, String type, byte[] body, boolean head,
            boolean keepAlive) throws IOException {
        header(out, status, reason, type, body.length, keepAlive);
        if (!head) out.write(body);
        out.flush();
    }

    private static void header(OutputStream out, int status, String reason, String type, long length,
            boolean keepAlive) throws IOException {
        out.write(("HTTP/1.1 " + status + " " + reason + "\r\nServer: jverbs-tcp\r\nContent-Type: " + type
                + "\r\nContent-Length: " + length + "\r\nConnection: " + (keepAlive ? "keep-alive" : "close")
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    }
}
