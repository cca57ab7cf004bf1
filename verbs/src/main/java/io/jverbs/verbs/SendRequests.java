package io.jverbs.verbs;

import io.jverbs.verbs.ffi.ibv_mw_bind_info;
import io.jverbs.verbs.ffi.ibv_send_wr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.jverbs.verbs.SgeTable.NEXT;
import static io.jverbs.verbs.SgeTable.NUM_SGE;
import static io.jverbs.verbs.SgeTable.SG_LIST;
import static io.jverbs.verbs.SgeTable.SGE;
import static io.jverbs.verbs.SgeTable.WR_ID;

/**
 * A reusable chain of {@code struct ibv_send_wr}, with their scatter/gather lists, built in place
 * and posted with one {@link QueuePair#postSend} (one doorbell for the whole list). Nothing is
 * allocated per request.
 *
 * <p>Build with {@link #clear()}, {@link #add} and the methods after it, which apply to the
 * request just added:
 * <pre>{@code
 * wrs.clear()
 *    .add(1, WrOpcode.RDMA_WRITE, SendFlags.SIGNALED).sge(mr.address(), 4096, mr.lkey()).rdma(raddr, rkey);
 * qp.postSend(wrs);
 * }</pre>
 * or build once and patch request {@code i} (and its SGE {@code j}) in place before each post,
 * like DiSNI's {@code getWrMod(i).getSgeMod(j)}: {@link #wrId(int, long)},
 * {@link #sendFlags(int, int)}, {@link #remoteAddress(int, long)}, {@link #rkey(int, int)},
 * {@link #compareAdd(int, long)}, {@link #swap(int, long)}, {@link #immediate(int, int)},
 * {@link #sgeAddress(int, int, long)}, {@link #sgeLength(int, int, int)},
 * {@link #sgeLkey(int, int, int)}:
 * <pre>{@code
 * for (long n = 0; ; n++) {
 *     wrs.wrId(0, n).sgeAddress(0, 0, buf + (n % slots) * size);
 *     qp.postSend(wrs);
 * }
 * }</pre>
 *
 * <p>{@link #add} writes only what a provider reads for the opcode: the header ({@code wr_id},
 * {@code next} = NULL, {@code sg_list}, {@code num_sge} = 0, {@code opcode}, {@code send_flags},
 * {@code imm_data} = 0), and zeroes the {@code wr.rdma}/{@code wr.ud} fields and the XRC
 * {@code remote_srqn}, plus the rest of {@code wr.atomic} for atomics and the
 * {@code bind_mw}/{@code tso} union for BIND_MW and TSO. The setters write their fields.
 *
 * <p>The memory is allocated by the constructor or supplied by the caller with
 * {@link #wrap(MemorySegment, int, int)} (Agrona's {@code DirectBuffer.wrap}):
 * {@link #bytesNeeded(int, int)} bytes holding the requests, their SGEs and the {@code bad_wr}
 * slot. Indexes and capacity are checked unless {@link BoundsChecks} are turned off
 * ({@code -Djverbs.disableBoundsChecks=true}). Not thread-safe: one per thread.
 */
public final class SendRequests {
    private static final long WR = ibv_send_wr.sizeof();
    private static final long OPCODE = ibv_send_wr.opcode$offset();
    private static final long SEND_FLAGS = ibv_send_wr.send_flags$offset();
    private static final long IMM = ibv_send_wr.imm_data$offset();
    private static final long REMOTE_ADDR = ibv_send_wr.wr_rdma_remote_addr$offset();
    private static final long RDMA_RKEY = ibv_send_wr.wr_rdma_rkey$offset();
    private static final long COMPARE_ADD = ibv_send_wr.wr_atomic_compare_add$offset();
    private static final long SWAP = ibv_send_wr.wr_atomic_swap$offset();
    private static final long ATOMIC_RKEY = ibv_send_wr.wr_atomic_rkey$offset();
    private static final long XRC_SRQN = ibv_send_wr.qp_type_xrc_remote_srqn$offset();
    private static final long BIND_MW = ibv_send_wr.bind_mw$offset();
    private static final int CMP_AND_SWP = WrOpcode.ATOMIC_CMP_AND_SWP.code(), FETCH_AND_ADD = WrOpcode.ATOMIC_FETCH_AND_ADD.code();

    static {
        if (OPCODE != NUM_SGE + 4 || IMM != SEND_FLAGS + 4 || REMOTE_ADDR != ibv_send_wr.wr_atomic_remote_addr$offset()
                || REMOTE_ADDR != IMM + 4 || RDMA_RKEY != REMOTE_ADDR + 8 || XRC_SRQN != ATOMIC_RKEY + 8 || BIND_MW != XRC_SRQN + 8
                || ibv_send_wr.tso$offset() != BIND_MW || WR != BIND_MW + 48) {
            throw new AssertionError("struct ibv_send_wr changed: update SendRequests.add");
        }
    }

    private final MemorySegment memory;
    /** {@code memory.address()}: the first request. */
    private final long base;
    private final int capacity, maxSge;
    private final long sgeStart, badOffset;
    private final MemorySegment wrs;
    /** The chain and the bad_wr slot, read once: the post path loads a long, not a segment. */
    final long address, badAddress;
    private int count;
    /** Offset of the request just added, -1 before the first add; and how many SGEs it has. */
    private long current = -1;
    private int currentSges;

    /** Room for {@code capacity} requests of up to {@code maxSge} SGEs each, in memory of its own. */
    public SendRequests(int capacity, int maxSge) {
        this(Arena.ofAuto().allocate(bytesNeeded(capacity, maxSge), 64), capacity, maxSge);
    }

    private SendRequests(MemorySegment memory, int capacity, int maxSge) {
        long needed = bytesNeeded(capacity, maxSge);
        BoundsChecks.checkWrappable("SendRequests", memory, needed);
        this.memory = memory.asSlice(0, needed).fill((byte) 0);
        this.base = memory.address();
        this.capacity = capacity;
        this.maxSge = maxSge;
        this.sgeStart = SgeTable.sgeStart(WR, capacity);
        this.badOffset = SgeTable.badOffset(WR, capacity, maxSge);
        this.wrs = this.memory.asSlice(0, capacity * WR);
        this.address = base;
        this.badAddress = base + badOffset;
    }

    /**
     * Lays a chain of {@code capacity} requests with {@code maxSge} SGEs each into the first
     * {@link #bytesNeeded(int, int)} bytes of {@code memory}, which it zeroes. The memory must be
     * native, writable and 8-byte aligned (64 keeps each request on its own two cache lines), and
     * stay alive while the chain is used: with {@link BoundsChecks} off nothing checks that.
     *
     * @throws IllegalArgumentException if {@code memory} is too small, misaligned, on the heap or read-only
     */
    public static SendRequests wrap(MemorySegment memory, int capacity, int maxSge) {
        return new SendRequests(memory, capacity, maxSge);
    }

    /** The bytes {@link #wrap} needs: {@code capacity * (128 + 16 * maxSge) + 8}. */
    public static long bytesNeeded(int capacity, int maxSge) {
        return SgeTable.bytesNeeded("SendRequests", WR, capacity, maxSge);
    }

    /** Empties the chain. */
    public SendRequests clear() {
        count = 0;
        current = -1;
        return this;
    }

    public int size() {
        return count;
    }

    public int capacity() {
        return capacity;
    }

    public int maxSge() {
        return maxSge;
    }

    /** Starts a new request at the end of the chain ({@link SendFlags} for {@code flags}). */
    public SendRequests add(long wrId, WrOpcode opcode, int flags) {
        int i = count;
        if (BoundsChecks.ENABLED && i >= capacity) {
            throw new IllegalStateException("SendRequests is full (" + capacity + " requests)");
        }
        int code = opcode.code();
        long at = i * WR;
        // Only the fields a provider reads for this opcode (or QP type: UD reads wr.ud, XRC the
        // srqn), not all 128 bytes: the rebuilt post+poll is a few stores away from C's.
        put(at + WR_ID, wrId);
        put(at + NEXT, 0L);
        put(at + SG_LIST, base + sgeStart + (long) i * maxSge * SGE);
        SgeTable.putInts(memory, base, at + NUM_SGE, 0, code);
        SgeTable.putInts(memory, base, at + SEND_FLAGS, flags, 0);
        put(at + REMOTE_ADDR, 0L);
        put(at + RDMA_RKEY, 0L);
        put(at + XRC_SRQN, 0L);
        if (code >= CMP_AND_SWP) {
            clearUnions(at, code);
        }
        if (i > 0) {
            put(current + NEXT, base + at);
        }
        current = at;
        currentSges = 0;
        count = i + 1;
        return this;
    }

    private void clearUnions(long at, int code) {
        if (code == CMP_AND_SWP || code == FETCH_AND_ADD) {
            put(at + SWAP, 0L);
            put(at + ATOMIC_RKEY, 0L);
        } else if (code == WrOpcode.BIND_MW.code() || code == WrOpcode.TSO.code()) {
            for (long o = BIND_MW; o < WR; o += 8) {
                put(at + o, 0L);
            }
        }
    }

    /** Appends a scatter/gather entry: {@code length} bytes at {@code address} of a region with {@code lkey}. */
    public SendRequests sge(long address, int length, int lkey) {
        int n = currentSges;
        if (BoundsChecks.ENABLED) {
            requireCurrent();
            if (n >= maxSge) {
                throw new IllegalStateException("request already has maxSge=" + maxSge + " entries");
            }
        }
        SgeTable.put(memory, base, sgeStart + ((long) (count - 1) * maxSge + n) * SGE, address, length, lkey);
        BoundsChecks.putInt(memory, base, current + NUM_SGE, n + 1);
        currentSges = n + 1;
        return this;
    }

    /** Appends {@code length} bytes at {@code offset} of a memory region. */
    public SendRequests sge(MemoryRegion mr, long offset, int length) {
        return sge(mr.address(offset), length, mr.lkey());
    }

    /** Remote side of an RDMA write or read. */
    public SendRequests rdma(long remoteAddress, int rkey) {
        long at = requireCurrent();
        put(at + REMOTE_ADDR, remoteAddress);
        BoundsChecks.putInt(memory, base, at + RDMA_RKEY, rkey);
        return this;
    }

    /**
     * Remote side of an atomic: an 8-byte aligned address; {@code compareAdd} is the value to
     * add (fetch-and-add) or to compare (compare-and-swap), {@code swap} the new value for CAS.
     */
    public SendRequests atomic(long remoteAddress, int rkey, long compareAdd, long swap) {
        long at = requireCurrent();
        put(at + REMOTE_ADDR, remoteAddress);
        put(at + COMPARE_ADD, compareAdd);
        put(at + SWAP, swap);
        BoundsChecks.putInt(memory, base, at + ATOMIC_RKEY, rkey);
        return this;
    }

    /** Destination of a UD send. */
    public SendRequests ud(AddressHandle ah, int remoteQpn, int remoteQkey) {
        long at = requireCurrent();
        put(at + ibv_send_wr.wr_ud_ah$offset(), ah.segment().address());
        SgeTable.putInts(memory, base, at + ibv_send_wr.wr_ud_remote_qpn$offset(), remoteQpn, remoteQkey);
        return this;
    }

    /** Immediate data (host order; sent in network order) for *_WITH_IMM opcodes. */
    public SendRequests immediate(int value) {
        BoundsChecks.putInt(memory, base, requireCurrent() + IMM, Integer.reverseBytes(value));
        return this;
    }

    /** The rkey to invalidate, for SEND_WITH_INV and LOCAL_INV. */
    public SendRequests invalidate(int rkey) {
        BoundsChecks.putInt(memory, base, requireCurrent() + ibv_send_wr.invalidate_rkey$offset(), rkey);
        return this;
    }

    /**
     * Payload of a {@link WrOpcode#BIND_MW} request: binds type-2 window {@code mw} under
     * {@code rkey} (see {@link MemoryWindow#nextRkey()}) to {@code length} bytes at
     * {@code address} of {@code mr} with {@code access}.
     */
    public SendRequests bindMemoryWindow(MemoryWindow mw, int rkey, MemoryRegion mr, long address, long length, int access) {
        long at = requireCurrent();
        mw.prepareBind(rkey);
        put(at + ibv_send_wr.bind_mw_mw$offset(), mw.segment().address());
        BoundsChecks.putInt(memory, base, at + ibv_send_wr.bind_mw_rkey$offset(), rkey);
        long info = at + ibv_send_wr.bind_mw_bind_info$offset();
        put(info + ibv_mw_bind_info.mr$offset(), mr.segment().address());
        put(info + ibv_mw_bind_info.addr$offset(), address);
        put(info + ibv_mw_bind_info.length$offset(), length);
        BoundsChecks.putInt(memory, base, info + ibv_mw_bind_info.mw_access_flags$offset(), access);
        return this;
    }

    /** Destination SRQ number of an XRC send. */
    public SendRequests xrcRemoteSrq(int srqNumber) {
        BoundsChecks.putInt(memory, base, requireCurrent() + XRC_SRQN, srqNumber);
        return this;
    }

    // ---- Patching request i of the built chain (0 <= i < size()) ----

    /** Sets the {@code wr_id} of request {@code i}. */
    public SendRequests wrId(int i, long wrId) {
        put(wr(i) + WR_ID, wrId);
        return this;
    }

    /** Sets the {@link SendFlags} of request {@code i}, e.g. to signal every n-th post. */
    public SendRequests sendFlags(int i, int flags) {
        BoundsChecks.putInt(memory, base, wr(i) + SEND_FLAGS, flags);
        return this;
    }

    /** Sets the remote address of RDMA or atomic request {@code i} (the same field for both). */
    public SendRequests remoteAddress(int i, long remoteAddress) {
        put(wr(i) + REMOTE_ADDR, remoteAddress);
        return this;
    }

    /** Sets the rkey of RDMA or atomic request {@code i} ({@code wr.rdma.rkey} or {@code wr.atomic.rkey}, by its opcode). */
    public SendRequests rkey(int i, int rkey) {
        long at = wr(i);
        int code = BoundsChecks.getInt(memory, base, at + OPCODE);
        BoundsChecks.putInt(memory, base, at + (code == CMP_AND_SWP || code == FETCH_AND_ADD ? ATOMIC_RKEY : RDMA_RKEY), rkey);
        return this;
    }

    /** Sets the value to add (fetch-and-add) or compare (compare-and-swap) of atomic request {@code i}. */
    public SendRequests compareAdd(int i, long value) {
        put(wr(i) + COMPARE_ADD, value);
        return this;
    }

    /** Sets the swap value of compare-and-swap request {@code i}. */
    public SendRequests swap(int i, long value) {
        put(wr(i) + SWAP, value);
        return this;
    }

    /** Sets the immediate data (host order) of request {@code i}. */
    public SendRequests immediate(int i, int value) {
        BoundsChecks.putInt(memory, base, wr(i) + IMM, Integer.reverseBytes(value));
        return this;
    }

    /** Sets the address of SGE {@code j} of request {@code i} ({@code 0 <= j <} the SGEs it was built with). */
    public SendRequests sgeAddress(int i, int j, long address) {
        put(sgeAt(i, j) + SgeTable.SGE_ADDR, address);
        return this;
    }

    /** Sets the length of SGE {@code j} of request {@code i}. */
    public SendRequests sgeLength(int i, int j, int length) {
        BoundsChecks.putInt(memory, base, sgeAt(i, j) + SgeTable.SGE_LENGTH, length);
        return this;
    }

    /** Sets the lkey of SGE {@code j} of request {@code i}. */
    public SendRequests sgeLkey(int i, int j, int lkey) {
        BoundsChecks.putInt(memory, base, sgeAt(i, j) + SgeTable.SGE_LKEY, lkey);
        return this;
    }

    /** The {@code wr_id} of request {@code i}. */
    public long wrId(int i) {
        return BoundsChecks.getLong(memory, base, wr(i) + WR_ID);
    }

    /** The {@link SendFlags} of request {@code i}. */
    public int sendFlags(int i) {
        return BoundsChecks.getInt(memory, base, wr(i) + SEND_FLAGS);
    }

    /** The first request of the chain. */
    public MemorySegment segment() {
        return wrs;
    }

    /** Index of the request the provider rejected, from the bad_wr pointer. */
    int failedIndex() {
        long p = BoundsChecks.getLong(memory, base, badOffset);
        return p == 0 ? -1 : (int) ((p - address) / WR);
    }

    private long wr(int i) {
        if (BoundsChecks.ENABLED && Integer.compareUnsigned(i, count) >= 0) {
            throw SgeTable.outOfRange("request", i, count);
        }
        return i * WR;
    }

    private long sgeAt(int i, int j) {
        if (BoundsChecks.ENABLED) {
            int n = BoundsChecks.getInt(memory, base, wr(i) + NUM_SGE);
            if (Integer.compareUnsigned(j, n) >= 0) {
                throw SgeTable.outOfRange("SGE", j, n);
            }
        }
        return sgeStart + ((long) i * maxSge + j) * SGE;
    }

    private long requireCurrent() {
        if (BoundsChecks.ENABLED && current < 0) {
            throw new IllegalStateException("call add() first");
        }
        return current;
    }

    private void put(long offset, long value) {
        BoundsChecks.putLong(memory, base, offset, value);
    }
}
