package io.jverbs.dpdk;

import io.jverbs.dpdk.ffi.RteMbuf;
import io.jverbs.dpdk.ffi.rte_mbuf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A re-pointable view of one {@code struct rte_mbuf}: {@link #wrap(long)} aims it at an mbuf,
 * the accessors read and write that mbuf's fields in place, and the mutators do what the inline
 * {@code rte_pktmbuf_*} functions of {@code rte_mbuf.h} do. No object per packet: keep one view
 * (or use {@link MbufArray#get(int)}) and re-point it.
 *
 * <p>A view checks nothing about the mbuf's lifetime: it is valid while the application owns
 * the mbuf (between allocation or rx and free or tx), as in C. Data offsets are checked against
 * the segment's buffer.
 */
public final class Mbuf {
    /** {@code RTE_PKTMBUF_HEADROOM}: the headroom of a freshly allocated mbuf. */
    public static final int HEADROOM = (int) RteMbuf.RTE_PKTMBUF_HEADROOM;
    /** {@code RTE_MBUF_PORT_INVALID}. */
    public static final int PORT_INVALID = (int) RteMbuf.RTE_MBUF_PORT_INVALID;
    /**
     * One segment over the whole address space, in which every address this class returns
     * ({@link #dataAddress()}, {@link #bufferAddress()}) is an offset: code that hands mbuf data
     * to views over a {@link MemorySegment} (packet parsers, frame bursts) reads it through this
     * segment at those offsets, with no segment per packet. It checks nothing about liveness, as
     * a C pointer does not: use an address only while the application owns the mbuf.
     */
    public static final MemorySegment ADDRESS_SPACE = Memory.ALL;

    /** {@code sizeof(struct rte_mbuf)}. */
    static final long SIZE = rte_mbuf.sizeof();
    static final long BUF_ADDR = rte_mbuf.buf_addr$offset();
    static final long BUF_IOVA = rte_mbuf.buf_iova$offset();
    static final long DATA_OFF = rte_mbuf.data_off$offset();
    static final long REFCNT = rte_mbuf.refcnt$offset();
    static final long NB_SEGS = rte_mbuf.nb_segs$offset();
    static final long PORT = rte_mbuf.port$offset();
    static final long OL_FLAGS = rte_mbuf.ol_flags$offset();
    static final long PACKET_TYPE = rte_mbuf.packet_type$offset();
    static final long PKT_LEN = rte_mbuf.pkt_len$offset();
    static final long DATA_LEN = rte_mbuf.data_len$offset();
    static final long VLAN_TCI = rte_mbuf.vlan_tci$offset();
    static final long HASH_RSS = rte_mbuf.hash_rss$offset();
    static final long VLAN_TCI_OUTER = rte_mbuf.vlan_tci_outer$offset();
    static final long BUF_LEN = rte_mbuf.buf_len$offset();
    static final long POOL = rte_mbuf.pool$offset();
    static final long NEXT = rte_mbuf.next$offset();
    static final long TX_OFFLOAD = rte_mbuf.tx_offload$offset();

    /** Copies up to this size are word stores ({@link #write(int, MemorySegment)}); larger ones a bulk copy. */
    static final int SMALL_COPY = 64;

    private long m;

    /** A view pointing nowhere; {@link #wrap(long)} it before use. */
    public Mbuf() {}

    /** Points this view at the {@code struct rte_mbuf} at {@code mbuf} and returns it. */
    public Mbuf wrap(long mbuf) {
        if (mbuf == 0) {
            throw new IllegalArgumentException("NULL mbuf");
        }
        this.m = mbuf;
        return this;
    }

    /** The mbuf's address; a view that was never wrapped throws instead of reading address 0. */
    private long at() {
        long a = m;
        if (a == 0) {
            throw new IllegalStateException("this Mbuf view points at no mbuf: wrap(address) it first");
        }
        return a;
    }

    /**
     * The mbuf's struct as a segment of its exact size: one bounds check, after which the JIT
     * needs none for the constant field offsets (the segment itself is scalar-replaced).
     */
    private MemorySegment struct() {
        return Memory.ALL.asSlice(at(), SIZE);
    }

    /** The {@code struct rte_mbuf *} this view points at. */
    public long address() {
        return m;
    }

    /** {@code buf_addr}: the start of the segment's buffer (headroom included). */
    public long bufferAddress() {
        return Memory.getLong(at() + BUF_ADDR);
    }

    /** {@code buf_iova}: the buffer's IO address (what a NIC DMAs to). */
    public long bufferIova() {
        return Memory.getLong(at() + BUF_IOVA);
    }

    /** {@code buf_len}. */
    public int bufferLength() {
        return Short.toUnsignedInt(struct().get(Memory.SHORT, BUF_LEN));
    }

    /** {@code rte_pktmbuf_mtod}: the address of this segment's first data byte. */
    public long dataAddress() {
        MemorySegment s = struct();
        return s.get(Memory.LONG, BUF_ADDR) + Short.toUnsignedInt(s.get(Memory.SHORT, DATA_OFF));
    }

    /** This segment's data as a segment of {@link #dataLength()} bytes (allocates a view: not for the hot path). */
    public MemorySegment data() {
        return Memory.ALL.asSlice(dataAddress(), dataLength());
    }

    /** {@code data_off}, which is also the headroom ({@code rte_pktmbuf_headroom}). */
    public int dataOffset() {
        return Short.toUnsignedInt(struct().get(Memory.SHORT, DATA_OFF));
    }

    public int headroom() {
        return dataOffset();
    }

    /** {@code rte_pktmbuf_tailroom}: buffer bytes after this segment's data. */
    public int tailroom() {
        return bufferLength() - dataOffset() - dataLength();
    }

    /** {@code data_len}: bytes of data in this segment. */
    public int dataLength() {
        return Short.toUnsignedInt(struct().get(Memory.SHORT, DATA_LEN));
    }

    public Mbuf dataLength(int length) {
        struct().set(Memory.SHORT, DATA_LEN, (short) length);
        return this;
    }

    /** {@code pkt_len}: bytes of data in the whole chain (meaningful in the first segment). */
    public int packetLength() {
        return Memory.getInt(at() + PKT_LEN);
    }

    public Mbuf packetLength(int length) {
        struct().set(Memory.INT, PKT_LEN, length);
        return this;
    }

    /** Sets both lengths of a one-segment packet. */
    public Mbuf length(int length) {
        MemorySegment s = struct();
        int room = Short.toUnsignedInt(s.get(Memory.SHORT, BUF_LEN)) - Short.toUnsignedInt(s.get(Memory.SHORT, DATA_OFF));
        if (length < 0 || length > room) {
            throw new IndexOutOfBoundsException("length " + length + " does not fit: " + room + " bytes after the headroom");
        }
        s.set(Memory.SHORT, DATA_LEN, (short) length);
        s.set(Memory.INT, PKT_LEN, length);
        return this;
    }

    /** {@code ol_flags}: the {@code RTE_MBUF_F_*} offload flags (see {@code RteMbuf}). */
    public long offloadFlags() {
        return Memory.getLong(at() + OL_FLAGS);
    }

    public Mbuf offloadFlags(long flags) {
        Memory.putLong(at() + OL_FLAGS, flags);
        return this;
    }

    /** {@code packet_type}: the {@code RTE_PTYPE_*} bits the NIC recognised. */
    public int packetType() {
        return Memory.getInt(at() + PACKET_TYPE);
    }

    public Mbuf packetType(int type) {
        Memory.putInt(at() + PACKET_TYPE, type);
        return this;
    }

    /** {@code port}: the input port, or {@link #PORT_INVALID}. */
    public int port() {
        return Memory.getShort(at() + PORT);
    }

    public Mbuf port(int port) {
        Memory.putShort(at() + PORT, port);
        return this;
    }

    /** {@code vlan_tci}. */
    public int vlanTci() {
        return Memory.getShort(at() + VLAN_TCI);
    }

    public Mbuf vlanTci(int tci) {
        Memory.putShort(at() + VLAN_TCI, tci);
        return this;
    }

    /** {@code hash.rss}: the RSS hash, valid with {@code RTE_MBUF_F_RX_RSS_HASH}. */
    public int rssHash() {
        return Memory.getInt(at() + HASH_RSS);
    }

    /** {@code tx_offload}: l2_len, l3_len, l4_len, tso_segsz… packed as in {@code rte_mbuf_tx_offload}. */
    public long txOffload() {
        return Memory.getLong(at() + TX_OFFLOAD);
    }

    public Mbuf txOffload(long value) {
        Memory.putLong(at() + TX_OFFLOAD, value);
        return this;
    }

    /** {@code refcnt}. */
    public int refcnt() {
        return Memory.getShort(at() + REFCNT);
    }

    /** {@code nb_segs}: segments in the chain (meaningful in the first segment). */
    public int segmentCount() {
        return Memory.getShort(at() + NB_SEGS);
    }

    /** {@code next}: the next segment's {@code rte_mbuf *}, or 0. */
    public long next() {
        return Memory.getLong(at() + NEXT);
    }

    /** {@code pool}: the {@code struct rte_mempool *} this mbuf returns to. */
    public long pool() {
        return Memory.getLong(at() + POOL);
    }

    /** The address of the last segment of the chain that starts here ({@code rte_pktmbuf_lastseg}). */
    public long lastSegment() {
        long s = at();
        for (long n = Memory.getLong(s + NEXT); n != 0; n = Memory.getLong(s + NEXT)) {
            s = n;
        }
        return s;
    }

    /**
     * {@code rte_pktmbuf_append}: grows the packet by {@code length} bytes at the end of its last
     * segment. Returns the address of the new bytes, or 0 (nothing changed) when the last
     * segment's tailroom is too small.
     */
    public long append(int length) {
        checkLength(length);
        long last = lastSegment();
        int off = Memory.getShort(last + DATA_OFF);
        int len = Memory.getShort(last + DATA_LEN);
        if (length > Memory.getShort(last + BUF_LEN) - off - len) {
            return 0;
        }
        long tail = Memory.getLong(last + BUF_ADDR) + off + len;
        Memory.putShort(last + DATA_LEN, len + length);
        Memory.putInt(at() + PKT_LEN, packetLength() + length);
        return tail;
    }

    /**
     * {@code rte_pktmbuf_prepend}: grows the packet by {@code length} bytes in front of its
     * first segment's data. Returns the new data start, or 0 when the headroom is too small.
     */
    public long prepend(int length) {
        checkLength(length);
        int off = dataOffset();
        if (length > off) {
            return 0;
        }
        Memory.putShort(at() + DATA_OFF, off - length);
        Memory.putShort(at() + DATA_LEN, dataLength() + length);
        Memory.putInt(at() + PKT_LEN, packetLength() + length);
        return dataAddress();
    }

    /**
     * {@code rte_pktmbuf_adj}: removes {@code length} bytes from the start of the first segment.
     * Returns the new data start, or 0 when the segment holds fewer bytes.
     */
    public long adj(int length) {
        checkLength(length);
        int len = dataLength();
        if (length > len) {
            return 0;
        }
        Memory.putShort(at() + DATA_OFF, dataOffset() + length);
        Memory.putShort(at() + DATA_LEN, len - length);
        Memory.putInt(at() + PKT_LEN, packetLength() - length);
        return dataAddress();
    }

    /**
     * {@code rte_pktmbuf_trim}: removes {@code length} bytes from the end of the last segment.
     * Returns false (nothing changed) when that segment holds fewer bytes.
     */
    public boolean trim(int length) {
        checkLength(length);
        long last = lastSegment();
        int len = Memory.getShort(last + DATA_LEN);
        if (length > len) {
            return false;
        }
        Memory.putShort(last + DATA_LEN, len - length);
        Memory.putInt(at() + PKT_LEN, packetLength() - length);
        return true;
    }

    /**
     * {@code rte_pktmbuf_chain}: appends the packet that starts at {@code tail} to this one (its
     * segments become this packet's). Returns false (nothing changed) when the chain would have
     * more than 65535 segments.
     */
    public boolean chain(long tail) {
        if (tail == 0 || tail == m) {
            throw new IllegalArgumentException("cannot chain " + (tail == 0 ? "NULL" : "an mbuf to itself"));
        }
        int tailSegs = Memory.getShort(tail + NB_SEGS);
        int segs = segmentCount() + tailSegs;
        if (segs > 0xFFFF) {
            return false;
        }
        Memory.putLong(lastSegment() + NEXT, tail);
        Memory.putShort(at() + NB_SEGS, segs);
        Memory.putInt(at() + PKT_LEN, packetLength() + Memory.getInt(tail + PKT_LEN));
        // the tail's pkt_len now describes only its own segment, as rte_pktmbuf_chain leaves it
        Memory.putInt(tail + PKT_LEN, Memory.getShort(tail + DATA_LEN));
        return true;
    }

    /**
     * Copies {@code src} into this segment's data at {@code offset} (within {@link #dataLength()})
     * and returns this view: the {@code memcpy(rte_pktmbuf_mtod(m, char *) + offset, ...)} of a C
     * program, e.g. a header template into a fresh mbuf after {@link #length(int)}. Copies of up to 64
     * bytes (headers) are done by word stores: the mbuf's fields are read once,
     * before the first store, and a template of constant size unrolls completely.
     */
    public Mbuf write(int offset, MemorySegment src) {
        long n = src.byteSize();
        long at = dataAt(offset, n);
        if (n <= SMALL_COPY) {
            smallCopy(src, at, (int) n);
        } else {
            MemorySegment.copy(src, 0, Memory.ALL, at, n);
        }
        return this;
    }

    /**
     * Copies {@code n} (at most {@link #SMALL_COPY}) bytes of {@code src} to {@code at} by the
     * widest words, the last word ending at byte {@code n} and overlapping the one before it when
     * {@code n} is not a multiple of its size (a 14-byte header is two 8-byte stores, as gcc
     * copies it). Every store stays within {@code at..at+n}.
     */
    private static void smallCopy(MemorySegment src, long at, int n) {
        if (n >= 8) {
            for (int i = 0; i + 8 < n; i += 8) {
                Memory.ALL.set(Memory.LONG, at + i, src.get(Memory.LONG, i));
            }
            Memory.ALL.set(Memory.LONG, at + n - 8, src.get(Memory.LONG, n - 8));
        } else if (n >= 4) {
            Memory.ALL.set(Memory.INT, at, src.get(Memory.INT, 0));
            Memory.ALL.set(Memory.INT, at + n - 4, src.get(Memory.INT, n - 4));
        } else if (n >= 2) {
            Memory.ALL.set(Memory.SHORT, at, src.get(Memory.SHORT, 0));
            Memory.ALL.set(Memory.SHORT, at + n - 2, src.get(Memory.SHORT, n - 2));
        } else if (n == 1) {
            Memory.ALL.set(ValueLayout.JAVA_BYTE, at, src.get(ValueLayout.JAVA_BYTE, 0));
        }
    }

    /**
     * Copies {@code template} ({@code size} bytes; {@code first} and {@code last} are its first and
     * last 8 bytes when {@code size >= 8}, read once by the caller for a whole burst) to {@code at}.
     */
    static void copyTemplate(MemorySegment template, long size, long first, long last, long at) {
        if (size >= 8 && size <= 16) {
            Memory.ALL.set(Memory.LONG, at, first);
            Memory.ALL.set(Memory.LONG, at + size - 8, last);
        } else if (size <= SMALL_COPY) {
            smallCopy(template, at, (int) size);
        } else {
            MemorySegment.copy(template, 0, Memory.ALL, at, size);
        }
    }

    /** Copies {@code src} into this segment's data at {@code offset} (within {@link #dataLength()}) and returns this view. */
    public Mbuf write(int offset, byte[] src) {
        MemorySegment.copy(src, 0, Memory.ALL, ValueLayout.JAVA_BYTE, dataAt(offset, src.length), src.length);
        return this;
    }

    /** Copies {@code length} bytes of this segment's data from {@code offset} into a new array. */
    public byte[] read(int offset, int length) {
        checkData(offset, length);
        byte[] out = new byte[length];
        MemorySegment.copy(Memory.ALL, ValueLayout.JAVA_BYTE, dataAddress() + offset, out, 0, length);
        return out;
    }

    /** The data byte at {@code offset}. */
    public byte getByte(int offset) {
        checkData(offset, 1);
        return Memory.ALL.get(ValueLayout.JAVA_BYTE, dataAddress() + offset);
    }

    public Mbuf putByte(int offset, byte value) {
        checkData(offset, 1);
        Memory.ALL.set(ValueLayout.JAVA_BYTE, dataAddress() + offset, value);
        return this;
    }

    /** The 16-bit value at data {@code offset}, in network byte order (big-endian), as packet headers hold it. */
    public int getShort(int offset) {
        return Short.toUnsignedInt(Memory.ALL.get(Memory.SHORT_BE, dataAt(offset, 2)));
    }

    /** Stores a 16-bit value at data {@code offset} in network byte order (an EtherType, a port…). */
    public Mbuf putShort(int offset, int value) {
        Memory.ALL.set(Memory.SHORT_BE, dataAt(offset, 2), (short) value);
        return this;
    }

    /** The 32-bit value at data {@code offset}, in network byte order. */
    public int getInt(int offset) {
        return Memory.ALL.get(Memory.INT_BE, dataAt(offset, 4));
    }

    /** Stores a 32-bit value at data {@code offset} in network byte order (an IPv4 address…). */
    public Mbuf putInt(int offset, int value) {
        Memory.ALL.set(Memory.INT_BE, dataAt(offset, 4), value);
        return this;
    }

    /** The 64-bit value at data {@code offset}, in network byte order. */
    public long getLong(int offset) {
        return Memory.ALL.get(Memory.LONG_BE, dataAt(offset, 8));
    }

    /** Stores a 64-bit value at data {@code offset} in network byte order (e.g. both MAC addresses' first 8 bytes). */
    public Mbuf putLong(int offset, long value) {
        Memory.ALL.set(Memory.LONG_BE, dataAt(offset, 8), value);
        return this;
    }

    /** The address of data bytes {@code offset..offset+n}, which must be within {@link #dataLength()}. */
    private long dataAt(long offset, long n) {
        MemorySegment s = struct();
        int len = Short.toUnsignedInt(s.get(Memory.SHORT, DATA_LEN));
        if (offset < 0 || offset > len - n) {
            checkData(offset, n); // throws
        }
        return s.get(Memory.LONG, BUF_ADDR) + Short.toUnsignedInt(s.get(Memory.SHORT, DATA_OFF)) + offset;
    }

    private void checkData(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > dataLength()) {
            throw new IndexOutOfBoundsException("bytes " + offset + ".." + (offset + length) + " outside the segment's "
                    + dataLength() + " data bytes (set the length first: length(n) or append(n))");
        }
    }

    private static void checkLength(int length) {
        if (length < 0 || length > 0xFFFF) {
            throw new IllegalArgumentException("length must be 0..65535, got " + length);
        }
    }

    @Override
    public String toString() {
        return m == 0 ? "Mbuf[unwrapped]" : String.format("Mbuf[0x%x data_off=%d data_len=%d pkt_len=%d nb_segs=%d port=%d]",
                m, dataOffset(), dataLength(), packetLength(), segmentCount(), port());
    }
}
