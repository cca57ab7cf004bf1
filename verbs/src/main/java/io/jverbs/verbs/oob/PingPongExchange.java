package io.jverbs.verbs.oob;

import io.jverbs.verbs.Endpoint;
import io.jverbs.verbs.Gid;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The endpoint exchange of rdma-core's {@code ibv_rc_pingpong}, {@code ibv_ud_pingpong} and
 * {@code ibv_srq_pingpong} (libibverbs/examples), byte for byte, so that either side may be one
 * of the C programs.
 *
 * <h2>Wire format</h2>
 * One message per QP slot: {@link Endpoint#toPingPongString()} ({@code LID:QPN:PSN:GID}),
 * NUL-padded to {@link #MESSAGE_SIZE} bytes ({@code sizeof "0000:000000:000000:" + 32 zeros}).
 * The client connects, writes its messages, reads the server's and writes {@code "done\0"}; the
 * server reads, connects its QPs (RTR/RTS) so that they are ready before the client can send,
 * then writes its messages and waits for {@code "done\0"}. Both sides send the same number of
 * slots ({@code ibv_srq_pingpong} always sends 16 and pads with zero addresses).
 */
public final class PingPongExchange {
    /** The C programs' default TCP port ({@code -p}). */
    public static final int DEFAULT_PORT = 18515;
    /** Bytes of one address message on the wire, NUL included. */
    public static final int MESSAGE_SIZE = Endpoint.PINGPONG_TEXT_LENGTH + 1;
    private static final byte[] DONE = "done\0".getBytes(StandardCharsets.US_ASCII);

    private PingPongExchange() {}

    /**
     * The server side on an accepted connection: reads {@code slots} addresses, hands them to
     * {@code beforeReply} (connect the QPs there), sends {@code local} padded with zero addresses
     * to {@code slots} (as they are when this is called) and waits for the client's {@code "done"}.
     * An exception from {@code beforeReply} propagates unchanged and nothing is sent.
     *
     * @return the client's addresses, {@code slots} of them
     * @throws OobException if the client goes silent, closes early or sends a malformed address
     */
    public static Endpoint[] serve(OobConnection c, Endpoint[] local, int slots, Consumer<Endpoint[]> beforeReply) {
        byte[] request = encode(local, slots);
        Endpoint[] remote = decode(c, c.read(slots * MESSAGE_SIZE, what(slots)), slots);
        beforeReply.accept(remote);
        c.write(request);
        byte[] done = c.read(DONE.length, "the client's \"done\"");
        if (!Arrays.equals(done, DONE)) {
            throw new OobException("peer " + c.peer() + " sent \"" + printable(done, 0, done.length)
                    + "\" where the client says \"done\"");
        }
        return remote;
    }

    /**
     * The client side on a connection to the server: sends {@code local} padded to
     * {@code slots}, reads the server's {@code slots} addresses and says {@code "done"}.
     *
     * @return the server's addresses, {@code slots} of them
     * @throws OobException if the server goes silent, closes early or sends a malformed address
     */
    public static Endpoint[] client(OobConnection c, Endpoint[] local, int slots) {
        c.write(encode(local, slots));
        Endpoint[] remote = decode(c, c.read(slots * MESSAGE_SIZE, what(slots)), slots);
        c.write(DONE);
        return remote;
    }

    /** {@code slots} messages: {@code local}, then zero addresses. */
    public static byte[] encode(Endpoint[] local, int slots) {
        if (slots < 1 || local.length > slots) {
            throw new IllegalArgumentException(local.length + " endpoints do not fit in " + slots + " slots");
        }
        byte[] all = new byte[slots * MESSAGE_SIZE];
        Endpoint zero = new Endpoint(0, 0, 0, Gid.ZERO);
        for (int i = 0; i < slots; i++) {
            byte[] text = (i < local.length ? local[i] : zero).toPingPongString().getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(text, 0, all, i * MESSAGE_SIZE, text.length);  // the rest stays NUL
        }
        return all;
    }

    /**
     * Parses message {@code index} of {@code messages}: the text up to the first NUL.
     *
     * @throws IllegalArgumentException if it is not an endpoint address
     */
    public static Endpoint decode(byte[] messages, int index) {
        int start = index * MESSAGE_SIZE;
        int end = start;
        while (end < start + MESSAGE_SIZE && messages[end] != 0) end++;
        return Endpoint.parsePingPong(printable(messages, start, end));
    }

    private static Endpoint[] decode(OobConnection c, byte[] messages, int slots) {
        Endpoint[] remote = new Endpoint[slots];
        for (int i = 0; i < slots; i++) {
            try {
                remote[i] = decode(messages, i);
            } catch (IllegalArgumentException e) {
                throw new OobException("peer " + c.peer() + " sent a malformed address in message " + (i + 1) + " of "
                        + slots + ": " + e.getMessage() + "; is it an ibv_*_pingpong peer with the same slot count?", e);
            }
        }
        return remote;
    }

    private static String what(int slots) {
        return slots == 1 ? "the peer's address" : "the peer's " + slots + " addresses";
    }

    /** ASCII as is; anything else as \xNN, so that a garbled message prints legibly. */
    private static String printable(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            int x = b[i] & 0xff;
            if (x >= 0x20 && x < 0x7f) sb.append((char) x);
            else sb.append(String.format("\\x%02x", x));
        }
        return sb.toString();
    }
}
