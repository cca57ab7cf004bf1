package io.jverbs.perftest.oob;

/**
 * A bandwidth test's result as {@code xchg_bw_reports} sends it: five separate exchanges of
 * 8 bytes each, in this order, all big-endian: size ({@code unsigned long}), iterations
 * ({@code uint64_t}, since 5.33), peak, average and message rate (IEEE doubles). The values are
 * in the sender's units: MB/s (2^20) or, with {@code --report_gbits}, Gb/s; nothing on the wire
 * says which, so both sides must be started with the same choice. The four per-port doubles of
 * {@code --report-per-port} (dual-port only) are not part of jperf's exchange.
 *
 * @param size    message size in bytes
 * @param iters   iterations counted (iterations x QPs)
 * @param bwPeak  peak bandwidth
 * @param bwAvg   average bandwidth
 * @param msgRate average message rate, Mpps
 */
public record BwReport(long size, long iters, double bwPeak, double bwAvg, double msgRate) {
    /** What a side that did not measure sends (perftest's zeroed {@code bw_report_data}). */
    public static final BwReport NONE = new BwReport(0, 0, 0, 0, 0);
    /** The wire size of each of the five fields. */
    public static final int FIELD_SIZE = 8;
    public static final int FIELDS = 5;

    /** The five 8-byte values in wire order, as raw 64-bit patterns. */
    long[] wireFields() {
        return new long[] {size, iters, Double.doubleToRawLongBits(bwPeak),
            Double.doubleToRawLongBits(bwAvg), Double.doubleToRawLongBits(msgRate)};
    }

    static BwReport fromWireFields(long[] f) {
        return new BwReport(f[0], f[1], Double.longBitsToDouble(f[2]), Double.longBitsToDouble(f[3]),
                Double.longBitsToDouble(f[4]));
    }

    /** The sum of two reports' rates (perftest's {@code print_full_bw_report} with {@code -b}). */
    public BwReport plus(BwReport other) {
        return new BwReport(size, iters, bwPeak + other.bwPeak, bwAvg + other.bwAvg, msgRate + other.msgRate);
    }
}
