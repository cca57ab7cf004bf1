package io.jverbs.perftest.report;

import java.util.Objects;

/**
 * Device facts the header block prints, which only the engine knows after opening the device.
 *
 * @param device          device name, e.g. {@code rxe0}
 * @param transport       {@code IB} or {@code IW} ({@code ibv_device.transport_type})
 * @param linkLayer       {@code IB} or {@code Ethernet} (the port's link layer)
 * @param mtuBytes        the path MTU in use, bytes
 * @param outReads        outstanding reads/atomics in use (read and atomic tests)
 * @param inlineSize      max inline data in use (write and send tests)
 * @param relaxedOrdering the MRs use IBV_ACCESS_RELAXED_ORDERING (perftest's "PCIe relax order")
 * @param wrApi           sends go through the ibv_wr_* API (perftest's "ibv_wr* API")
 * @param cqePollBatch    completions polled per ibv_poll_cq call, or 0 for "Dynamic" (upstream style only)
 * @param gidIndex        the GID index in use (given with -x or chosen by the engine), -1 for none
 */
public record HeaderFacts(String device, String transport, String linkLayer, int mtuBytes, int outReads,
                          int inlineSize, boolean relaxedOrdering, boolean wrApi, int cqePollBatch,
                          int gidIndex) {
    public HeaderFacts {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(linkLayer, "linkLayer");
    }
}
