package io.jverbs.raweth.port;

import org.junit.jupiter.api.Nested;

/** The conformance suite on the in-memory pair: as two ports, and with the latency of a clock. */
class MemoryPairConformanceTest extends PortConformance {
    @Override
    protected Link openLink() {
        MemoryPair pair = MemoryPair.builder().queueDepth(64).txBuffers(96).build();
        return Link.pair(pair.a(), pair.b(), Math.max(pair.queueDepth(), pair.txBuffers())).onClose(pair);
    }

    /** Small bursts and a deep queue, with offloads offered, and a real 20 us cable. */
    @Nested
    class WithLatencyAndOffloads extends PortConformance {
        @Override
        protected Link openLink() {
            MemoryPair pair = MemoryPair.builder().maxBurst(4).queueDepth(1024).txBuffers(8).latency(20_000)
                    .rxChecksumFlags(true).txIpChecksum(true).txL4Checksum(true).mtu(9000).tsoMaxFrame(PortCapabilities.TSO_FRAME_LIMIT)
                    .build();
            return Link.pair(pair.a(), pair.b(), 1024).onClose(pair);
        }
    }
}
