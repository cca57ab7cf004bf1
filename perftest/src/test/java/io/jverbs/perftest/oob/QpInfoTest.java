package io.jverbs.perftest.oob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Golden bytes written by hand from perftest's KEY_PRINT_FMT / KEY_PRINT_FMT_GID. */
class QpInfoTest {
    /** ::ffff:10.0.0.1, the RoCE v2 GID of an IPv4 address (rxe's index 1). */
    static final byte[] V4_GID = HexFormat.of().parseHex("00000000000000000000ffff0a000001");
    static final byte[] LINK_LOCAL_GID = HexFormat.of().parseHex("fe800000000000000250b6fffe123456");

    static byte[] cString(String s) {
        byte[] a = s.getBytes(StandardCharsets.US_ASCII);
        return Arrays.copyOf(a, a.length + 1);
    }

    /** rdma_write_keys over rdma_cm: struct pingpong_dest (x86-64), integers big-endian (htobe32/htobe64). */
    @Test
    void binaryIsPerftestsStructBigEndian() {
        QpInfo q = new QpInfo(0x0001, 0x10, 0x000123, 0xabcdef, 0x1234abcd, 0x00007f1234560000L, V4_GID, 0);
        byte[] wire = q.encodeBinary(1);
        assertEquals(56, wire.length);
        String hex = HexFormat.of().formatHex(wire);
        assertEquals("00000001" + "00000010" + "00000123" + "00abcdef" + "1234abcd" + "00000000" + "00007f1234560000"
                + HexFormat.of().formatHex(V4_GID) + "00000000" + "00000001", hex);
        assertEquals(q, QpInfo.decodeBinary(wire, true, "t"));
        assertFalse(QpInfo.decodeBinary(wire, false, "t").hasGid(), "no GID in use on this side: none kept");
        OobException short_ = assertThrows(OobException.class, () -> QpInfo.decodeBinary(new byte[16], true, "t"));
        assertEquals(OobException.Kind.GARBAGE, short_.kind());
        byte[] bad = wire.clone();
        bad[8] = 0x7f; // a 31-bit QPN: not perftest's
        assertEquals(OobException.Kind.GARBAGE, assertThrows(OobException.class,
                () -> QpInfo.decodeBinary(bad, true, "t")).kind());
    }

    @Test
    void withoutGidIs59BytesInPerftestLayout() {
        QpInfo q = new QpInfo(0x0001, 0x10, 0x000123, 0xabcdef, 0x1234abcd, 0x00007f1234560000L, null, 0);
        byte[] golden = cString("0001:0010:000123:abcdef:1234abcd:00007f1234560000:00000000");
        assertEquals(59, golden.length);
        assertArrayEquals(golden, q.encode());
        assertEquals(q, QpInfo.decode(golden, "t"));
    }

    @Test
    void withGidIs108BytesHexGidAndTrailingColon() {
        QpInfo q = new QpInfo(0, 0x10, 0x11, 0xbeef, 0x1234, 0x00005555aaaa0000L, V4_GID, 0);
        byte[] golden = cString("0000:0010:000011:00beef:00001234:00005555aaaa0000:"
                + "00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:00:01:00000000:");
        assertEquals(108, golden.length);
        assertArrayEquals(golden, q.encode());
        assertEquals(q, QpInfo.decode(golden, "t"));
    }

    /**
     * -c DC as perftest's set_up_connection fills it: a DC target's message carries its DCT number
     * in the QPN field (what the peer's initiators give mlx5dv_wr_set_dc_addr) and the SRQ number
     * in the last field; a unidirectional client's initiators send SRQN 0 (it has no SRQ); the
     * first exchange, before the DCT reached RTR, carries QPN 0. Both layouts.
     */
    @Test
    void dcMessagesCarryTheDctNumberAndTheSrqNumber() {
        QpInfo dct = new QpInfo(0x0007, 0x10, 0x00a1b2, 0x123456, 0x0badcafe, 0x00007f00deadb000L, null, 0xc4);
        byte[] golden = cString("0007:0010:00a1b2:123456:0badcafe:00007f00deadb000:000000c4");
        assertEquals(59, golden.length);
        assertArrayEquals(golden, dct.encode());
        QpInfo parsed = QpInfo.decode(golden, "t");
        assertEquals(0xa1b2, parsed.qpn(), "the DCT number initiators address");
        assertEquals(0xc4, parsed.srqn());

        QpInfo dctRoce = new QpInfo(0, 0x10, 0x00a1b2, 0x123456, 0x0badcafe, 0x00007f00deadb000L, V4_GID, 0xc4);
        byte[] goldenGid = cString("0000:0010:00a1b2:123456:0badcafe:00007f00deadb000:"
                + "00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:00:01:000000c4:");
        assertEquals(108, goldenGid.length);
        assertArrayEquals(goldenGid, dctRoce.encode());
        assertEquals(dctRoce, QpInfo.decode(goldenGid, "t"));

        QpInfo dci = new QpInfo(0, 0x10, 0x000345, 0x00beef, 0x0badcafe, 0x00007f00deadb000L, V4_GID, 0);
        assertArrayEquals(cString("0000:0010:000345:00beef:0badcafe:00007f00deadb000:"
                + "00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:00:01:00000000:"), dci.encode());
        QpInfo beforeRtr = QpInfo.decode(cString("0007:0010:000000:123456:0badcafe:00007f00deadb000:000000c4"), "t");
        assertEquals(0, beforeRtr.qpn(), "a DCT before RTR has no number yet");
    }

    @Test
    void unsignedFieldsPrintAsCDoes() {
        // rkey and vaddr above 2^31 / 2^63 are negative in Java; printf %08x/%016llx prints them unsigned.
        QpInfo q = new QpInfo(0xffff, 0xffff, 0xffffff, 0xffffff, 0xfedcba98, 0xffff800000001000L, null, 0x80000001);
        assertArrayEquals(cString("ffff:ffff:ffffff:ffffff:fedcba98:ffff800000001000:80000001"), q.encode());
        assertEquals(q, QpInfo.decode(q.encode(), "t"));
    }

    @Test
    void fixedByteArrayExample() {
        byte[] golden = {
            '0', '0', '0', '0', ':', '0', '0', '0', '1', ':', '0', '0', '0', '0', '1', '1', ':',
            '0', '0', '0', '0', '2', '2', ':', '0', '0', '0', '0', '0', '0', '3', '3', ':',
            '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '4', '4', ':',
            '0', '0', '0', '0', '0', '0', '0', '0', 0};
        assertArrayEquals(golden, new QpInfo(0, 1, 0x11, 0x22, 0x33, 0x44, null, 0).encode());
    }

    @Test
    void roundTripsRandomValues() {
        Random r = new Random(42);
        for (int i = 0; i < 2000; i++) {
            byte[] gid = null;
            if (r.nextBoolean()) {
                gid = new byte[16];
                r.nextBytes(gid);
            }
            QpInfo q = new QpInfo(r.nextInt(0x10000), r.nextInt(0x10000), r.nextInt(0x1000000),
                    r.nextInt(0x1000000), r.nextInt(), r.nextLong(), gid, r.nextInt());
            byte[] wire = q.encode();
            assertEquals(q.wireSize(), wire.length);
            assertEquals(0, wire[wire.length - 1]);
            assertEquals(q, QpInfo.decode(wire, "t"));
        }
    }

    /**
     * -c XRC: every QP message carries the sender's XRC SRQ number in the last field
     * ({@code ibv_get_srq_num} into {@code my_dest[i].srqn}), which the peer posts to as
     * {@code qp_type.xrc.remote_srqn}. Golden bytes from KEY_PRINT_FMT / KEY_PRINT_FMT_GID.
     */
    @Test
    void xrcSrqNumberTravelsInBothLayouts() {
        QpInfo plain = new QpInfo(0x0005, 0x0010, 0x0000c9, 0x123456, 0x00a1b2c3, 0x00007f00deadb000L, null, 0x0000d4);
        byte[] golden = cString("0005:0010:0000c9:123456:00a1b2c3:00007f00deadb000:000000d4");
        assertArrayEquals(golden, plain.encode());
        assertEquals(0xd4, QpInfo.decode(golden, "t").srqn());
        assertEquals(plain, QpInfo.decode(golden, "t"));

        QpInfo roce = new QpInfo(0, 0x0010, 0x0000ca, 0x654321, 0x00a1b2c3, 0x00007f00deadb000L, V4_GID, 0x00fe01);
        byte[] goldenGid = cString("0000:0010:0000ca:654321:00a1b2c3:00007f00deadb000:"
                + "00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:00:01:0000fe01:");
        assertArrayEquals(goldenGid, roce.encode());
        assertEquals(0xfe01, QpInfo.decode(goldenGid, "t").srqn());
        assertEquals(roce, QpInfo.decode(goldenGid, "t"));

        byte[] corrupt = goldenGid.clone();
        corrupt[104] = 'g'; // inside the SRQN
        OobException e = assertThrows(OobException.class, () -> QpInfo.decode(corrupt, "QP info exchange"));
        assertTrue(e.getMessage().contains("field SRQN"), e.getMessage());
    }

    @Test
    void decodesUppercaseHexAsStrtolDoes() {
        byte[] upper = cString("00AB:0001:0000FF:00BEEF:DEADBEEF:00007F0000000000:00000000");
        QpInfo q = QpInfo.decode(upper, "t");
        assertEquals(0xab, q.lid());
        assertEquals(0xdeadbeef, q.rkey());
    }

    @Test
    void rejectsGarbageNamingTheField() {
        byte[] bad = cString("0001:0010:000123:abcdef:1234abcd:00007f1234560000:00000000");
        bad[12] = 'z';
        OobException e = assertThrows(OobException.class, () -> QpInfo.decode(bad, "QP info exchange"));
        assertEquals(OobException.Kind.GARBAGE, e.kind());
        assertTrue(e.getMessage().startsWith("QP info exchange: peer is not perftest/jperf: QP message field QPN"), e.getMessage());

        byte[] colon = cString("0001:0010:000123:abcdef:1234abcd:00007f1234560000:00000000");
        colon[4] = ';';
        assertTrue(assertThrows(OobException.class, () -> QpInfo.decode(colon, "t")).getMessage().contains("':' after LID"));

        byte[] noNul = cString("0001:0010:000123:abcdef:1234abcd:00007f1234560000:00000000");
        noNul[58] = 'x';
        assertTrue(assertThrows(OobException.class, () -> QpInfo.decode(noNul, "t")).getMessage().contains("terminating NUL"));
    }

    @Test
    void rejectsOutOfRangeFields() {
        assertThrows(IllegalArgumentException.class, () -> new QpInfo(0, 0, 0x1000000, 0, 0, 0, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new QpInfo(0, 0, 0, -1, 0, 0, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new QpInfo(0x10000, 0, 0, 0, 0, 0, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new QpInfo(0, 0, 0, 0, 0, 0, new byte[15], 0));
    }

    @Test
    void gidIsCopiedIn() {
        byte[] gid = V4_GID.clone();
        QpInfo q = new QpInfo(0, 0, 1, 1, 0, 0, gid, 0);
        gid[0] = 7;
        q.gid()[1] = 7;
        assertArrayEquals(V4_GID, q.gid());
    }

    @Test
    void layoutCheckSpotsGidMismatchFromFirst59Bytes() {
        byte[] without = new QpInfo(1, 1, 1, 1, 1, 1, null, 0).encode();
        byte[] with = Arrays.copyOf(new QpInfo(1, 1, 1, 1, 1, 1, V4_GID, 0).encode(), 59);

        OobException e1 = assertThrows(OobException.class, () -> QpInfo.checkLayout(without, 3, "s"));
        assertEquals(OobException.Kind.MISMATCH, e1.kind());
        assertTrue(e1.getMessage().contains("GID usage differs: local uses GID index 3, peer sent a QP message without GID"), e1.getMessage());

        OobException e2 = assertThrows(OobException.class, () -> QpInfo.checkLayout(with, -1, "s"));
        assertEquals(OobException.Kind.MISMATCH, e2.kind());
        assertTrue(e2.getMessage().contains("local uses no GID, peer sent a QP message with a GID"), e2.getMessage());

        // perftest --data_validation: "%04x:%04x:%06x:%06x:%08x:%016llx:%016llx:%08x", 76 bytes
        byte[] dv = Arrays.copyOf(cString(String.format("%04x:%04x:%06x:%06x:%08x:%016x:%016x:%08x", 1, 1, 1, 1, 1, 1L, 2L, 0)), 59);
        OobException e3 = assertThrows(OobException.class, () -> QpInfo.checkLayout(dv, -1, "s"));
        assertTrue(e3.getMessage().contains("data_validation"), e3.getMessage());

        byte[] junk = new byte[59];
        Arrays.fill(junk, (byte) 'A');
        assertEquals(OobException.Kind.GARBAGE, assertThrows(OobException.class, () -> QpInfo.checkLayout(junk, -1, "s")).kind());

        QpInfo.checkLayout(without, -1, "s");
        QpInfo.checkLayout(with, 1, "s");
    }

    @Test
    void gidTypesMustAgreeAsCtxCheckGidCompatibility() {
        assertTrue(QpInfo.isV4Mapped(V4_GID));
        assertFalse(QpInfo.isV4Mapped(LINK_LOCAL_GID));
        assertTrue(QpInfo.isV4Mapped(HexFormat.of().parseHex("ff0e0000000000000000ffffe0000001")));
        QpInfo v4 = new QpInfo(0, 0, 1, 1, 0, 0, V4_GID, 0);
        QpInfo v6 = new QpInfo(0, 0, 1, 1, 0, 0, LINK_LOCAL_GID, 0);
        OobException e = assertThrows(OobException.class, () -> QpInfo.checkGidTypes(v4, v6, "s"));
        assertEquals(OobException.Kind.MISMATCH, e.kind());
        assertTrue(e.getMessage().contains("GID types differ"), e.getMessage());
        QpInfo.checkGidTypes(v4, v4, "s");
        QpInfo.checkGidTypes(v6, v6, "s");
    }
}
