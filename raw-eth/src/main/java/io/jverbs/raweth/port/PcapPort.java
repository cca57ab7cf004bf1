package io.jverbs.raweth.port;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A {@link PacketPort} that records every frame it receives and transmits in a pcap file, then
 * passes it on: wrap any port, open the file in Wireshark. Transmitted frames are recorded as the
 * caller wrote them, before the device fills offloaded checksums (as tcpdump on a host with
 * offloads shows them), and only those the port took. Allocates nothing per frame.
 */
public final class PcapPort extends ForwardingPort {
    private final PcapWriter writer;
    private final boolean ownsWriter;

    private PcapPort(PacketPort inner, PcapWriter writer, boolean ownsWriter) {
        super(inner);
        this.writer = Objects.requireNonNull(writer, "writer");
        this.ownsWriter = ownsWriter;
    }

    /** Records {@code port}'s frames to a new file at {@code path}; closing the result closes both. */
    public static PcapPort wrap(PacketPort port, Path path) {
        return new PcapPort(port, PcapWriter.open(path), true);
    }

    /**
     * Records {@code port}'s frames with {@code writer}, which may be shared (both ends of a pair in
     * one file); closing the result closes the port, not the writer.
     */
    public static PcapPort wrap(PacketPort port, PcapWriter writer) {
        return new PcapPort(port, writer, false);
    }

    /** The writer frames go to. */
    public PcapWriter writer() {
        return writer;
    }

    @Override
    public int receive(FrameBurst burst) {
        int n = inner.receive(burst);
        for (int i = 0; i < n; i++) {
            writer.write(burst.memory(), burst.offset(i), burst.length(i));
        }
        return n;
    }

    @Override
    public int transmit(FrameBurst burst, int n) {
        Objects.checkFromToIndex(0, n, burst.count());
        // Recorded before they go (a device may free them at once), kept only for those taken;
        // the lock keeps another port's records out of the staged ones.
        synchronized (writer) {
            writer.stage(burst, n);
            int k = 0;
            try {
                k = inner.transmit(burst, n);
            } finally {
                writer.commit(k);
            }
            return k;
        }
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            if (ownsWriter) {
                writer.close();
            }
        }
    }

    @Override
    public String toString() {
        return "pcap(" + inner + " > " + writer.path() + ")";
    }
}
