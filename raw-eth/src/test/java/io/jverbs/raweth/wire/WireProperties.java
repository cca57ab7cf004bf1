package io.jverbs.raweth.wire;

import io.jverbs.raweth.wire.Dissector.Dissection;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What must hold for any bytes, well formed or not (the fuzz target and the truncation tests):
 * taking them apart throws nothing; the reprs re-emit to a frame that parses to the same reprs,
 * status and payload, whose checksums all verify, and that re-emits to itself; the checksum over
 * them equals a byte-at-a-time reference.
 */
final class WireProperties {
    private WireProperties() {}

    static void check(byte[] frame) {
        Dissector d = new Dissector();
        Dissection first = d.dissect(frame);
        byte[] emitted = d.emit(first.reprs(), first.payload());
        Dissection second = d.dissect(emitted);
        String where = HexFormat.of().formatHex(frame);
        assertEquals(first.reprs(), second.reprs(), where);
        assertEquals(first.status(), second.status(), where);
        assertArrayEquals(first.payload(), second.payload(), where);
        assertTrue(second.checksumsValid(), "emit left a checksum that does not verify: " + where);
        assertArrayEquals(emitted, d.emit(second.reprs(), second.payload()), "emit is not stable: " + where);
        for (int off = 0; off < Math.min(frame.length, 3); off++) {
            assertEquals(ChecksumTest.reference(frame, off, frame.length - off),
                    Checksum.sum(MemorySegment.ofArray(frame), off, frame.length - off), where);
        }
    }
}
