package io.jverbs.raweth.port;

/**
 * A port's counters since it opened.
 *
 * @param rxFrames frames delivered by {@link PacketPort#receive}
 * @param rxBytes their bytes
 * @param txFrames frames {@link PacketPort#transmit} took
 * @param txBytes their bytes
 * @param rxDropped frames the port or the device dropped for want of room (ring full, no buffer)
 * @param rxErrors frames dropped as bad (FCS, length, checksum errors the device reported)
 * @param txErrors frames the device failed to send
 */
public record PortStats(long rxFrames, long rxBytes, long txFrames, long txBytes, long rxDropped, long rxErrors,
                        long txErrors) {
    /** All zero. */
    public static final PortStats ZERO = new PortStats(0, 0, 0, 0, 0, 0, 0);
}
