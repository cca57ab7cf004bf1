package io.jverbs.raweth.socket;

/**
 * TCP segmentation offload for the sender: over a port that cuts large TCP frames into segments
 * ({@link io.jverbs.raweth.iface.IpTransmitter#maxSegmentationLength()}), a full-sized segment
 * grows into one frame of as many whole segments as the data queued, the window and congestion
 * control allow, up to the port's limit (below 64 KiB). The device gives every segment the same
 * header with its own sequence number, so what the peer sees is what sending them one by one
 * would give; only the number of frames through the stack and the port changes. A short segment
 * (the Nagle/SWS decisions, a probe, a FIN on its own) is left as it is, and a retransmission is
 * never grown beyond what congestion control allows after a loss (one segment after an RTO).
 */
final class SegmentationOffload {
    private SegmentationOffload() {
    }

    /**
     * The payload of the frame to send: {@code n}, what the send policy chose, unless it is a full
     * segment of {@code mss} bytes and whole segments beyond it fit {@code queued} (bytes not yet
     * sent), {@code room} (window and congestion window beyond SND.NXT) and {@code maxPayload}
     * (0 or less without TSO).
     */
    static int grow(int n, int mss, int queued, int room, int maxPayload) {
        if (n != mss || maxPayload < 2 * mss) {
            return n;
        }
        int whole = Math.min(Math.min(queued, room), maxPayload) / mss * mss;
        return Math.max(n, whole);
    }
}
