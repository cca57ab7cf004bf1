package io.jverbs.raweth.linux;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeException;
import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.raweth.linux.ffi.LinuxLibc;
import io.jverbs.raweth.linux.ffi.packet_mreq;
import io.jverbs.raweth.linux.ffi.sockaddr_ll;
import io.jverbs.raweth.linux.ffi.tpacket2_hdr;
import io.jverbs.raweth.linux.ffi.tpacket3_hdr;
import io.jverbs.raweth.linux.ffi.tpacket_block_desc;
import io.jverbs.raweth.linux.ffi.tpacket_hdr_v1;
import io.jverbs.raweth.linux.ffi.tpacket_req;
import io.jverbs.raweth.linux.ffi.tpacket_req3;
import io.jverbs.raweth.linux.ffi.tpacket_stats_v3;
import io.jverbs.raweth.port.FrameBurst;
import io.jverbs.raweth.port.PacketPort;
import io.jverbs.raweth.port.PortCapabilities;
import io.jverbs.raweth.port.PortStats;
import io.jverbs.raweth.wire.MacAddress;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A {@link PacketPort} on a Linux network interface through an {@code AF_PACKET} socket with
 * {@code TPACKET_V3} or {@code TPACKET_V2} rings (packet(7)): one socket bound to the interface, an
 * RX ring and a TX ring of fixed slots, both mapped into this process. Needs {@code CAP_NET_RAW}.
 *
 * <h2>Receive: V3 for throughput, V2 for latency</h2>
 * {@link #receive} delivers frames in place: {@link FrameBurst#memory()} is the RX ring, nothing is
 * copied, and frames may be {@link #release released} in any order. The ring version
 * ({@link Options#ring()}, one per socket, so the TX ring has it too) decides when a frame is
 * visible:
 * <ul>
 *   <li>{@link RingVersion#V3} (the default): the kernel packs frames into blocks and hands a block
 *       over when it is full or its retire timeout ({@link Options#retireTimeoutMillis()}, at least
 *       1 ms) passes. Under load that is one status check per block and dense memory; but one frame
 *       alone on the wire waits for the timeout, so a ping-pong pays about a millisecond per round
 *       trip. Blocks go back to the kernel in ring order once all their frames are released: a
 *       caller that holds frames holds their blocks, so it should not keep more than a few blocks' worth.</li>
 *   <li>{@link RingVersion#V2} ({@link Options#lowLatency()}): fixed frame slots, each handed over
 *       with its own status word the moment it is written, and each given back when it is released.
 *       No timeout stands between the wire and {@code receive}; the price is one slot per frame
 *       whatever its length and one status check per frame.</li>
 * </ul>
 * An 802.1Q tag, which the kernel strips into the ring's frame header, is put back in place, so frames
 * read as they were on the wire.
 * The port sets {@code PACKET_IGNORE_OUTGOING}: it receives what arrives on the interface, not what
 * this host sends through it.
 *
 * <h2>Transmit</h2>
 * {@link #allocate} hands out TX ring slots in ring order and {@link #transmit} marks them
 * {@code TP_STATUS_SEND_REQUEST} and kicks the kernel with one non-blocking {@code sendto} per
 * burst: in the usual order (allocate, write, transmit) frames are written once, in the ring. The
 * kernel sends slots strictly in ring order and stops at the first slot not requested, so the
 * port keeps the slots between the last one transmitted and the newest allocated as one window:
 * <ul>
 *   <li>Unsent frames may be {@link #release released} in any order. A released slot becomes a
 *       hole in the window; holes at the newest end are handed back at once, so the usual
 *       "allocated 32, sent 20, released 12" costs nothing.</li>
 *   <li>Frames are transmitted in the order they were allocated; a burst may skip holes but not
 *       frames still held elsewhere (that throws {@link IllegalArgumentException} and changes
 *       nothing). A frame transmitted while older holes lie before it is copied down into the
 *       oldest hole, the only case that copies; the window closes up again behind it.</li>
 * </ul>
 * A slot is free again once the kernel has sent it. TPACKET_V3 TX rings need Linux 4.11; V2 and
 * V3 send the same way.
 * {@link Options#qdiscBypass()} sets {@code PACKET_QDISC_BYPASS} (no queueing discipline, and
 * tcpdump on the host no longer sees the frames).
 *
 * <h2>Offloads: veth and checksums</h2>
 * By default the port offers no offloads and sets no offload flags: frames are sent as given,
 * received as the kernel saw them. With {@link Options#tso()} the socket has
 * {@code PACKET_VNET_HDR}, which the kernel applies to both rings of the socket: each TX slot
 * starts with a {@code struct virtio_net_hdr} before the frame, through which the port offers
 * TCP/UDP checksum offload ({@code NEEDS_CSUM}) and TCP segmentation offload (GSO TCPV4 with the
 * frame's segment size; the kernel segments in software only if the interface has no TSO, and a
 * veth hands the whole packet to its peer). The TX ring's slot size is fixed for the ring, so
 * with TSO every slot holds a 64 KiB frame (a ring of 64 slots is about 4.3 MiB); TPACKET_V2 and
 * V3 TX rings both take the header ({@code tpacket_snd} parses it), so no {@code sendmsg} path is
 * needed. Received frames carry the kernel's header before them too; the port skips it (receive
 * stays MTU frames, as below). A peer that offloads checksums or segmentation to the interface (the Linux
 * stack on the other end of a veth does, by default) delivers frames whose TCP/UDP checksum is not
 * filled in ({@code TP_STATUS_CSUMNOTREADY}) and 64 KB GSO frames. This port drops both and counts
 * them in {@link PortStats#rxErrors()}; to receive such a peer's traffic, turn the offloads off on
 * the sending interface: {@code ethtool -K <peer veth> tx off tso off gso off}. Reading
 * {@code PACKET_VNET_HDR} instead would keep the offloads but needs per-frame checksum completion
 * and software segmentation here; the ethtool setting is what the tests use.
 *
 * <h2>Threads and lifetime</h2>
 * As {@link PacketPort}: one data-path thread; {@link #stats()} and {@link #close()} from any. After
 * close the ring segments are invalid: a frame read through an old burst throws
 * {@link IllegalStateException} rather than touching unmapped memory.
 */
public final class AfPacketPort extends NativeResource implements PacketPort {
    /** Ethernet header plus an 802.1Q tag: what a frame adds to the MTU. */
    private static final int FRAME_OVERHEAD = 18;
    /** Handles of TX slots carry this bit; RX handles are block numbers (V3) or frame numbers (V2). */
    private static final long TX_TAG = 1L << 62;
    private static final VarHandle INT = JAVA_INT.varHandle();
    /** sendto(2) without errno capture, from the generated binding's symbol and descriptor. */
    private static final MethodHandle SENDTO = Native.LINKER.downcallHandle(LinuxLibc.sendto$address(),
            LinuxLibc.sendto$descriptor());
    private static final int MSG_DONTWAIT = (int) LinuxLibc.MSG_DONTWAIT;

    private static final long BLOCK_STATUS = tpacket_block_desc.hdr_bh1$offset() + tpacket_hdr_v1.block_status$offset();
    private static final long BLOCK_NUM_PKTS = tpacket_block_desc.hdr_bh1$offset() + tpacket_hdr_v1.num_pkts$offset();
    private static final long BLOCK_FIRST = tpacket_block_desc.hdr_bh1$offset() + tpacket_hdr_v1.offset_to_first_pkt$offset();
    private static final int TP_STATUS_USER = (int) LinuxLibc.TP_STATUS_USER;
    private static final int TP_STATUS_CSUMNOTREADY = (int) LinuxLibc.TP_STATUS_CSUMNOTREADY;
    private static final int TP_STATUS_KERNEL = (int) LinuxLibc.TP_STATUS_KERNEL;
    private static final int TP_STATUS_VLAN_VALID = (int) LinuxLibc.TP_STATUS_VLAN_VALID;
    private static final int TP_STATUS_VLAN_TPID_VALID = (int) LinuxLibc.TP_STATUS_VLAN_TPID_VALID;
    private static final int ETH_P_8021Q = (int) LinuxLibc.ETH_P_8021Q;
    private static final int TPACKET_ALIGNMENT = (int) LinuxLibc.TPACKET_ALIGNMENT;
    private static final long V2_STATUS = tpacket2_hdr.tp_status$offset();
    private static final long V2_LEN = tpacket2_hdr.tp_len$offset();
    private static final long V2_SNAPLEN = tpacket2_hdr.tp_snaplen$offset();
    private static final long V2_MAC = tpacket2_hdr.tp_mac$offset();
    private static final ValueLayout.OfShort JAVA_SHORT_BE = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int TP_STATUS_AVAILABLE = (int) LinuxLibc.TP_STATUS_AVAILABLE;
    private static final int TP_STATUS_SEND_REQUEST = (int) LinuxLibc.TP_STATUS_SEND_REQUEST;
    private static final int TP_STATUS_WRONG_FORMAT = (int) LinuxLibc.TP_STATUS_WRONG_FORMAT;

    /** The packet ring format ({@code PACKET_VERSION}); see the class doc for the trade-off. */
    public enum RingVersion {
        /** {@code TPACKET_V2}: a status word per frame, no block retire timeout: for latency. */
        V2,
        /** {@code TPACKET_V3}: RX frames packed into blocks handed over when full or timed out: for throughput. */
        V3
    }

    /**
     * Ring geometry and socket options.
     *
     * @param blockSize RX block size in bytes, a power of two and a multiple of the page size
     * @param blockCount RX blocks (with V2, the RX ring holds {@code blockSize * blockCount} bytes of frame slots)
     * @param retireTimeoutMillis how long the kernel keeps a partly filled RX block before handing it over
     *        (at least 1; V3 only)
     * @param txFrames TX ring slots (rounded up to whole TX blocks)
     * @param maxBurst the burst size the port advertises
     * @param promiscuous receive frames for any MAC ({@code PACKET_MR_PROMISC}, undone when the socket closes)
     * @param qdiscBypass send past the queueing discipline ({@code PACKET_QDISC_BYPASS})
     * @param ring the ring format, for both rings
     * @param tso {@code PACKET_VNET_HDR}: the port offers TCP/UDP checksum and TCP segmentation
     *        offload, and every TX slot holds a TSO frame (see the class doc)
     */
    public record Options(int blockSize, int blockCount, int retireTimeoutMillis, int txFrames, int maxBurst,
                          boolean promiscuous, boolean qdiscBypass, RingVersion ring, boolean tso) {
        /** V3 rings: 16 RX blocks of 256 KiB, 1 ms retire timeout, 256 TX slots, bursts of 64, promiscuous, no offloads. */
        public static final Options DEFAULTS = new Options(256 << 10, 16, 1, 256, 64, true, false, RingVersion.V3, false);

        /** Without offloads. */
        public Options(int blockSize, int blockCount, int retireTimeoutMillis, int txFrames, int maxBurst,
                       boolean promiscuous, boolean qdiscBypass, RingVersion ring) {
            this(blockSize, blockCount, retireTimeoutMillis, txFrames, maxBurst, promiscuous, qdiscBypass, ring, false);
        }

        public Options {
            if (blockSize <= 0 || Integer.bitCount(blockSize) != 1 || blockSize % LibC.pageSize() != 0) {
                throw new IllegalArgumentException("blockSize " + blockSize + " must be a power of two and a multiple of "
                        + LibC.pageSize());
            }
            if (blockCount < 2 || retireTimeoutMillis < 1 || txFrames < 1 || maxBurst < 1) {
                throw new IllegalArgumentException("need blockCount >= 2, retireTimeoutMillis >= 1, txFrames >= 1 and"
                        + " maxBurst >= 1: " + this);
            }
            if (ring == null) {
                throw new IllegalArgumentException("ring must be V2 or V3, not null");
            }
        }

        public Options withPromiscuous(boolean on) {
            return new Options(blockSize, blockCount, retireTimeoutMillis, txFrames, maxBurst, on, qdiscBypass, ring, tso);
        }

        public Options withQdiscBypass(boolean on) {
            return new Options(blockSize, blockCount, retireTimeoutMillis, txFrames, maxBurst, promiscuous, on, ring, tso);
        }

        public Options withRing(int blockSize, int blockCount, int retireTimeoutMillis, int txFrames) {
            return new Options(blockSize, blockCount, retireTimeoutMillis, txFrames, maxBurst, promiscuous, qdiscBypass,
                    ring, tso);
        }

        /** These options with ring format {@code version}. */
        public Options withRingVersion(RingVersion version) {
            return new Options(blockSize, blockCount, retireTimeoutMillis, txFrames, maxBurst, promiscuous, qdiscBypass,
                    version, tso);
        }

        /**
         * These options with {@code PACKET_VNET_HDR} checksum and segmentation offload on or off; on,
         * the TX ring shrinks to at most 64 slots, each of a TSO frame's 64 KiB.
         */
        public Options withTso(boolean on) {
            return new Options(blockSize, blockCount, retireTimeoutMillis, on ? Math.min(txFrames, 64) : txFrames, maxBurst,
                    promiscuous, qdiscBypass, ring, on);
        }

        /** These options with {@link RingVersion#V2} rings: a frame is received as soon as the kernel wrote it. */
        public Options lowLatency() {
            return withRingVersion(RingVersion.V2);
        }
    }

    private final String name;
    private final String ifname;
    private final int fd;
    private final Arena ringArena;
    private final long mapAddress;
    private final long mapLength;
    private final MemorySegment rx;
    private final MemorySegment tx;
    private final PortCapabilities capabilities;
    private final int maxFrameLength;

    /** TPACKET_V2 rings; else V3. */
    private final boolean v2;
    /** The frame header's length up to the sockaddr_ll; a VLAN tag fits back in if tp_mac is 4 bytes beyond it. */
    private final int vlanRoom;

    // RX V3: block geometry, the block being read, and per block what the caller still holds.
    // RX V2: fixed frame slots (blockSize is the slot size, blockCount the number of slots), the next
    // slot to read, and per slot whether the caller holds it.
    private final int blockSize;
    private final int blockCount;
    private final int[] held;
    private final boolean[] delivered;
    private int rxBlock;
    private boolean rxOpen;
    private int rxLeft;
    private int rxOffset;
    private int returnCursor;

    // TX: fixed slots in ring order; the window [txCommit, txAlloc) holds the slots allocated and
    // not yet sent, each ALLOCATED (the caller has it) or RELEASED (a hole); slots outside are FREE.
    private static final byte FREE = 0, ALLOCATED = 1, RELEASED = 2;
    private final byte[] txState;
    private final int txSlots;
    private final int txSlotSize;
    private final int txDataOffset;
    /** The virtio_net_hdr's length before each TX frame (0 without PACKET_VNET_HDR); TX buffers' capacity. */
    private final int vnet;
    private final int txCapacity;
    private final int mtu;
    private final long txStatus, txLen, txSnaplen;
    private int txAlloc;
    private int txCommit;
    private int txOutstanding;

    private long rxFrames, rxBytes, txFrames, txBytes, rxErrors, txErrors;
    private long kernelDrops;

    private AfPacketPort(String ifname, int fd, Arena ringArena, long mapAddress, long mapLength, MemorySegment ring,
                         long rxSize, PortCapabilities capabilities, boolean v2, int blockSize, int blockCount,
                         int txSlots, int txSlotSize, int txDataOffset) {
        super(null);
        this.name = "afpacket:" + ifname;
        this.ifname = ifname;
        this.fd = fd;
        this.ringArena = ringArena;
        this.mapAddress = mapAddress;
        this.mapLength = mapLength;
        this.rx = ring.asSlice(0, rxSize);
        this.tx = ring.asSlice(rxSize);
        this.capabilities = capabilities;
        this.maxFrameLength = capabilities.maxFrameLength();
        this.v2 = v2;
        this.vlanRoom = (int) (v2 ? LinuxLibc.TPACKET2_HDRLEN : LinuxLibc.TPACKET3_HDRLEN) + 4;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.held = new int[blockCount];
        this.delivered = new boolean[blockCount];
        this.txSlots = txSlots;
        this.txState = new byte[txSlots];
        this.txSlotSize = txSlotSize;
        this.vnet = capabilities.tso() ? VnetHeader.LENGTH : 0;
        this.txDataOffset = txDataOffset + vnet;
        this.txCapacity = capabilities.tso() ? capabilities.tsoMaxFrame() : capabilities.maxFrameLength();
        this.mtu = capabilities.mtu();
        this.txStatus = v2 ? V2_STATUS : tpacket3_hdr.tp_status$offset();
        this.txLen = v2 ? V2_LEN : tpacket3_hdr.tp_len$offset();
        this.txSnaplen = v2 ? V2_SNAPLEN : tpacket3_hdr.tp_snaplen$offset();
        attach();
    }

    /** Opens a port on {@code ifname} with {@link Options#DEFAULTS}. */
    public static AfPacketPort open(String ifname) {
        return open(ifname, Options.DEFAULTS);
    }

    /**
     * Opens a port on the interface {@code ifname} of this process's network namespace.
     *
     * @throws NativeException naming the failed call: {@code EPERM} from {@code socket} without
     *         CAP_NET_RAW, {@code ENODEV} from {@code SIOCGIFINDEX} when there is no such interface
     */
    public static AfPacketPort open(String ifname, Options options) {
        Netdev.checkName(ifname);
        int fd = LinuxLibc.socket((int) LinuxLibc.AF_PACKET, (int) (LinuxLibc.SOCK_RAW | LinuxLibc.SOCK_CLOEXEC), 0);
        if (fd < 0) {
            throw new NativeException(LinuxCall.PACKET_SOCKET, Native.lastErrno());
        }
        Arena ringArena = null;
        long map = -1, mapLength = 0;
        try {
            int ifindex = Netdev.ifindex(fd, ifname);
            MacAddress mac = Netdev.mac(fd, ifname);
            int mtu = Netdev.mtu(fd, ifname);
            int maxFrame = mtu + FRAME_OVERHEAD;
            int sol = (int) LinuxLibc.SOL_PACKET;
            boolean v2 = options.ring() == RingVersion.V2;
            Netdev.setInt(fd, sol, LinuxLibc.PACKET_VERSION, (int) (v2 ? LinuxLibc.TPACKET_V2 : LinuxLibc.TPACKET_V3),
                    LinuxCall.SET_VERSION);
            Netdev.setInt(fd, sol, LinuxLibc.PACKET_IGNORE_OUTGOING, 1, LinuxCall.IGNORE_OUTGOING);
            // A malformed TX slot is skipped instead of stalling the ring (lengths are checked here first).
            Netdev.setInt(fd, sol, LinuxLibc.PACKET_LOSS, 1, LinuxCall.SET_LOSS);
            int vnet = 0;
            if (options.tso()) {
                // before the rings: the kernel refuses it on a socket that has them (EBUSY)
                Netdev.setInt(fd, sol, LinuxLibc.PACKET_VNET_HDR, 1, LinuxCall.PACKET_VNET_HDR);
                vnet = VnetHeader.LENGTH;
            }
            if (options.qdiscBypass()) {
                Netdev.setInt(fd, sol, LinuxLibc.PACKET_QDISC_BYPASS, 1, LinuxCall.QDISC_BYPASS);
            }
            // A slot holds a whole frame after the ring header: at TPACKET_HDRLEN - sizeof(sockaddr_ll)
            // in TX slots, at the kernel's RX offset (header and 16 bytes, aligned) in V2 RX slots. V3
            // packs RX frames by their real length and uses the slot size only for its frame count.
            long hdrlen = v2 ? LinuxLibc.TPACKET2_HDRLEN : LinuxLibc.TPACKET3_HDRLEN;
            int dataOffset = (int) (hdrlen - sockaddr_ll.sizeof());
            int rxRoom = (int) ((hdrlen + 16 + TPACKET_ALIGNMENT - 1) & -TPACKET_ALIGNMENT) + vnet;
            int slot = Integer.highestOneBit(Math.max(rxRoom + maxFrame, 256) - 1) << 1;
            if (slot > options.blockSize()) {
                throw new IllegalArgumentException("blockSize " + options.blockSize() + " cannot hold a frame of MTU " + mtu
                        + " (" + slot + " bytes with the ring header)");
            }
            // TX slots: a frame after the ring header (and the virtio_net_hdr); with TSO one 64 KiB frame
            // per slot, each slot a block of whole pages (slots must tile the ring: slot i at i * txSlot)
            int page = (int) LibC.pageSize();
            int txSlot = options.tso() ? (dataOffset + vnet + PortCapabilities.TSO_FRAME_LIMIT + page - 1) / page * page : slot;
            int txBlock = options.tso() ? txSlot : (int) Math.max(slot, 16 * LibC.pageSize());
            int txBlocks = (int) (((long) options.txFrames() * txSlot + txBlock - 1) / txBlock);
            int txSlots = txBlocks * (txBlock / txSlot);
            int rxFrames = options.blockCount() * (options.blockSize() / slot);
            try (Arena a = Arena.ofConfined()) {
                if (v2) {
                    // tpacket_req is tpacket_req3's first four fields; V2 takes exactly those
                    MemorySegment req = a.allocate(tpacket_req.layout());
                    ringRequest(req, options.blockSize(), options.blockCount(), slot, rxFrames);
                    Netdev.setStruct(fd, sol, LinuxLibc.PACKET_RX_RING, req, LinuxCall.RX_RING);
                    ringRequest(req, txBlock, txBlocks, txSlot, txSlots);
                    Netdev.setStruct(fd, sol, LinuxLibc.PACKET_TX_RING, req, LinuxCall.TX_RING);
                } else {
                    MemorySegment req = a.allocate(tpacket_req3.layout());
                    ringRequest(req, options.blockSize(), options.blockCount(), slot, rxFrames);
                    tpacket_req3.tp_retire_blk_tov(req, options.retireTimeoutMillis());
                    Netdev.setStruct(fd, sol, LinuxLibc.PACKET_RX_RING, req, LinuxCall.RX_RING);
                    req.fill((byte) 0);
                    ringRequest(req, txBlock, txBlocks, txSlot, txSlots);
                    Netdev.setStruct(fd, sol, LinuxLibc.PACKET_TX_RING, req, LinuxCall.TX_RING);
                }

                long rxSize = (long) options.blockSize() * options.blockCount();
                mapLength = rxSize + (long) txBlock * txBlocks;
                MemorySegment p = LinuxLibc.mmap(MemorySegment.NULL, mapLength,
                        (int) (LinuxLibc.PROT_READ | LinuxLibc.PROT_WRITE), (int) LinuxLibc.MAP_SHARED, fd, 0);
                if (p.address() == -1L) {
                    throw new NativeException(LinuxCall.MMAP_RING, Native.lastErrno());
                }
                map = p.address();
                // The arena guards the mapping: after close, a stale burst throws instead of faulting.
                ringArena = Arena.ofShared();
                MemorySegment ring = p.reinterpret(mapLength, ringArena, null);

                MemorySegment sll = a.allocate(sockaddr_ll.layout());
                sockaddr_ll.sll_family(sll, (short) LinuxLibc.AF_PACKET);
                sockaddr_ll.sll_protocol(sll, Short.reverseBytes((short) LinuxLibc.ETH_P_ALL));
                sockaddr_ll.sll_ifindex(sll, ifindex);
                if (LinuxLibc.bind(fd, sll, (int) sockaddr_ll.sizeof()) != 0) {
                    throw new NativeException(LinuxCall.BIND, Native.lastErrno());
                }
                if (options.promiscuous()) {
                    MemorySegment mreq = a.allocate(packet_mreq.layout());
                    packet_mreq.mr_ifindex(mreq, ifindex);
                    packet_mreq.mr_type(mreq, (short) LinuxLibc.PACKET_MR_PROMISC);
                    Netdev.setStruct(fd, sol, LinuxLibc.PACKET_ADD_MEMBERSHIP, mreq, LinuxCall.ADD_MEMBERSHIP);
                }
                PortCapabilities caps = new PortCapabilities(mac, mtu, maxFrame, Math.min(options.maxBurst(), txSlots),
                        false, false, options.tso(), options.tso() ? PortCapabilities.TSO_FRAME_LIMIT : 0);
                // V2 RX slots tile the ring (both sizes are powers of two): slot i is at i * slot.
                return v2
                        ? new AfPacketPort(ifname, fd, ringArena, map, mapLength, ring, rxSize, caps, true, slot, rxFrames,
                                txSlots, txSlot, dataOffset)
                        : new AfPacketPort(ifname, fd, ringArena, map, mapLength, ring, rxSize, caps, false,
                                options.blockSize(), options.blockCount(), txSlots, txSlot, dataOffset);
            }
        } catch (RuntimeException e) {
            if (ringArena != null) ringArena.close();
            if (map != -1) LibC.munmap(map, mapLength);
            Netdev.closeQuietly(fd);
            throw e;
        }
    }

    /** Fills the fields tpacket_req and tpacket_req3 share (the same offsets in both). */
    private static void ringRequest(MemorySegment req, int blockSize, int blockCount, int frameSize, int frameCount) {
        tpacket_req.tp_block_size(req, blockSize);
        tpacket_req.tp_block_nr(req, blockCount);
        tpacket_req.tp_frame_size(req, frameSize);
        tpacket_req.tp_frame_nr(req, frameCount);
    }

    @Override
    public String name() {
        return name;
    }

    /** The ring format of this port's socket. */
    public RingVersion ringVersion() {
        return v2 ? RingVersion.V2 : RingVersion.V3;
    }

    /** The interface this port is bound to. */
    public String interfaceName() {
        return ifname;
    }

    @Override
    public PortCapabilities capabilities() {
        checkOpen();
        return capabilities;
    }

    @Override
    public int receive(FrameBurst burst) {
        checkOpen();
        burst.requireEmpty(name, "receive");
        burst.memory(rx);
        return v2 ? receiveV2(burst) : receiveV3(burst);
    }

    /** Reads slots in ring order while the kernel has handed them over; each slot is its own handle. */
    private int receiveV2(FrameBurst burst) {
        int cap = burst.capacity();
        int n = 0;
        while (n < cap) {
            long frame = (long) rxBlock * blockSize;
            // a slot the caller still holds still says USER: the ring has wrapped onto it
            if (held[rxBlock] != 0 || ((int) INT.getAcquire(rx, frame + V2_STATUS) & TP_STATUS_USER) == 0) {
                break;
            }
            int status = rx.get(JAVA_INT, frame + V2_STATUS);
            int snap = rx.get(JAVA_INT, frame + V2_SNAPLEN);
            int len = rx.get(JAVA_INT, frame + V2_LEN);
            int mac = Short.toUnsignedInt(rx.get(JAVA_SHORT, frame + V2_MAC));
            if ((status & TP_STATUS_VLAN_VALID) != 0 && mac >= vlanRoom) {
                mac = reinsertVlanTag(frame, mac, status);
                len += 4;
                snap += 4;
            }
            if (snap != len || len > maxFrameLength || (status & TP_STATUS_CSUMNOTREADY) != 0) {
                rxErrors++; // as in V3; the slot goes straight back
                INT.setRelease(rx, frame + V2_STATUS, TP_STATUS_KERNEL);
            } else {
                burst.set(n++, frame + mac, len, len, 0, rxBlock);
                held[rxBlock] = 1;
                rxBytes += len;
            }
            rxBlock = rxBlock + 1 == blockCount ? 0 : rxBlock + 1;
        }
        burst.count(n);
        rxFrames += n;
        return n;
    }

    private int receiveV3(FrameBurst burst) {
        int cap = burst.capacity();
        int n = 0;
        while (n < cap) {
            if (!rxOpen) {
                long base = (long) rxBlock * blockSize;
                // a delivered block not yet returned is still ours, whatever its status says
                if (delivered[rxBlock] || ((int) INT.getAcquire(rx, base + BLOCK_STATUS) & TP_STATUS_USER) == 0) {
                    break;
                }
                rxOpen = true;
                rxLeft = rx.get(JAVA_INT, base + BLOCK_NUM_PKTS);
                rxOffset = rx.get(JAVA_INT, base + BLOCK_FIRST);
            }
            if (rxLeft > 0) {
                long frame = (long) rxBlock * blockSize + rxOffset;
                int snap = rx.get(JAVA_INT, frame + tpacket3_hdr.tp_snaplen$offset());
                int len = rx.get(JAVA_INT, frame + tpacket3_hdr.tp_len$offset());
                int status = rx.get(JAVA_INT, frame + tpacket3_hdr.tp_status$offset());
                int mac = Short.toUnsignedInt(rx.get(JAVA_SHORT, frame + tpacket3_hdr.tp_mac$offset()));
                rxOffset += rx.get(JAVA_INT, frame + tpacket3_hdr.tp_next_offset$offset());
                rxLeft--;
                if ((status & TP_STATUS_VLAN_VALID) != 0 && mac >= vlanRoom) {
                    mac = reinsertVlanTag(frame, mac, status);
                    len += 4;
                    snap += 4;
                }
                if (snap != len || len > maxFrameLength || (status & TP_STATUS_CSUMNOTREADY) != 0) {
                    rxErrors++; // truncated, a GSO super-frame or an unfilled checksum: see the class doc
                } else {
                    burst.set(n++, frame + mac, len, len, 0, rxBlock);
                    held[rxBlock]++;
                    rxBytes += len;
                }
            }
            if (rxLeft == 0) {
                delivered[rxBlock] = true;
                rxOpen = false;
                rxBlock = rxBlock + 1 == blockCount ? 0 : rxBlock + 1;
            }
        }
        burst.count(n);
        rxFrames += n;
        returnBlocks(); // blocks whose frames were all dropped
        return n;
    }

    @Override
    public void release(FrameBurst burst) {
        checkOpen();
        int n = burst.count();
        if (n == 0) {
            return;
        }
        MemorySegment m = burst.memory();
        if (m == rx) {
            for (int i = 0; i < n; i++) {
                long h = burst.handle(i);
                if (h < 0 || h >= blockCount || held[(int) h] == 0) {
                    throw new IllegalArgumentException("frame " + i + " of the burst is not a received frame held from " + name);
                }
            }
            if (v2) {
                // each slot goes back on its own: the kernel fills slots in ring order and waits at one still held
                for (int i = 0; i < n; i++) {
                    int f = (int) burst.handle(i);
                    held[f] = 0;
                    INT.setRelease(rx, (long) f * blockSize + V2_STATUS, TP_STATUS_KERNEL);
                }
                burst.count(0);
            } else {
                for (int i = 0; i < n; i++) {
                    held[(int) burst.handle(i)]--;
                }
                burst.count(0);
                returnBlocks();
            }
        } else if (m == tx) {
            for (int i = 0; i < n; i++) {
                txSlotOf(burst, i);
            }
            for (int i = 0; i < n; i++) {
                txState[(int) (burst.handle(i) & ~TX_TAG)] = RELEASED; // a hole until the window closes over it
            }
            burst.count(0);
            shrinkWindow();
        } else {
            throw new IllegalArgumentException("the burst holds frames of another port, not of " + name);
        }
    }

    /**
     * The kernel strips a received 802.1Q tag into the frame's header ({@code tp_vlan_tci}); put it
     * back where it was on the wire. The 14 or more bytes between the ring header and {@code tp_mac}
     * are the frame's own, so the MAC addresses move 4 bytes down and the tag goes after them.
     * Returns the frame's new start.
     */
    private int reinsertVlanTag(long frame, int mac, int status) {
        long at = frame + mac - 4;
        MemorySegment.copy(rx, frame + mac, rx, at, 12);
        long tpidAt = v2 ? tpacket2_hdr.tp_vlan_tpid$offset() : tpacket3_hdr.hv1_tp_vlan_tpid$offset();
        int tpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0
                ? Short.toUnsignedInt(rx.get(JAVA_SHORT, frame + tpidAt)) : ETH_P_8021Q;
        int tci = v2 ? Short.toUnsignedInt(rx.get(JAVA_SHORT, frame + tpacket2_hdr.tp_vlan_tci$offset()))
                : rx.get(JAVA_INT, frame + tpacket3_hdr.hv1_tp_vlan_tci$offset());
        rx.set(JAVA_SHORT_BE, at + 12, (short) tpid);
        rx.set(JAVA_SHORT_BE, at + 14, (short) tci);
        return mac - 4;
    }

    /** Hands fully released blocks back to the kernel, in ring order. */
    private void returnBlocks() {
        while (delivered[returnCursor] && held[returnCursor] == 0) {
            delivered[returnCursor] = false;
            INT.setRelease(rx, (long) returnCursor * blockSize + BLOCK_STATUS, TP_STATUS_KERNEL);
            returnCursor = returnCursor + 1 == blockCount ? 0 : returnCursor + 1;
        }
    }

    /** The TX slot of frame {@code i}, which must be one the caller holds. */
    private int txSlotOf(FrameBurst burst, int i) {
        long h = burst.handle(i);
        int slot = (int) (h & ~TX_TAG);
        if ((h & ~0x7fff_ffffL) != TX_TAG || slot >= txSlots || txState[slot] != ALLOCATED) {
            throw new IllegalArgumentException("frame " + i + " of the burst is not a TX frame held from " + name);
        }
        return slot;
    }

    /** Hands holes at the newest end of the TX window back: the next allocate reuses them. */
    private void shrinkWindow() {
        while (txOutstanding > 0) {
            int last = txAlloc == 0 ? txSlots - 1 : txAlloc - 1;
            if (txState[last] != RELEASED) {
                break;
            }
            txState[last] = FREE;
            txAlloc = last;
            txOutstanding--;
        }
    }

    @Override
    public int allocate(FrameBurst burst, int n) {
        checkOpen();
        PortChecks.checkAllocate(burst, n, name);
        burst.memory(tx);
        int k = 0;
        boolean kicked = false;
        while (k < n && txOutstanding < txSlots) {
            long slot = (long) txAlloc * txSlotSize;
            int status = (int) INT.getAcquire(tx, slot + txStatus);
            if (status == TP_STATUS_WRONG_FORMAT) {
                txErrors++; // not expected with PACKET_LOSS; the slot is free again either way
            } else if (status != TP_STATUS_AVAILABLE) {
                if (!kicked && status == TP_STATUS_SEND_REQUEST) {
                    kicked = true; // frames left from a kick the queue refused: push them now
                    kick();
                    continue;
                }
                break;
            }
            burst.set(k++, slot + txDataOffset, 0, txCapacity, 0, TX_TAG | txAlloc);
            txState[txAlloc] = ALLOCATED;
            txAlloc = txAlloc + 1 == txSlots ? 0 : txAlloc + 1;
            txOutstanding++;
        }
        burst.count(k);
        return k;
    }

    /** With {@link Options#tso()} every TX slot holds a TSO frame. */
    @Override
    public int allocate(FrameBurst burst, int n, int length) {
        if (length > txCapacity) {
            throw new IllegalArgumentException(name + ": no transmit buffers of " + length + " bytes (maxFrameLength "
                    + maxFrameLength + ", tsoMaxFrame " + capabilities.tsoMaxFrame() + ")");
        }
        return allocate(burst, n);
    }

    @Override
    public int transmit(FrameBurst burst, int n) {
        checkOpen();
        PortChecks.checkTransmit(burst, n, name, vnet != 0 ? PortChecks.VNET_OFFLOADS : 0);
        if (n == 0) {
            return 0;
        }
        if (burst.memory() != tx) {
            throw new IllegalArgumentException("transmit takes frames allocated from " + name
                    + "; copy received frames into allocated ones");
        }
        // Check everything first (a bad burst changes nothing): the frames lie in ring order from
        // txCommit on, and every other slot up to the last of them is a hole.
        int span = 0;
        for (int i = 0; i < n; i++) {
            int d = Math.floorMod(txSlotOf(burst, i) - txCommit, txSlots);
            if (d < span || d >= txOutstanding) {
                throw new IllegalArgumentException("frame " + i + " is out of order: transmit frames in the order"
                        + " allocate handed them out");
            }
            span = d + 1;
            if (vnet != 0) {
                // in the frame's own slot, before anything changes: a frame the offloads cannot take throws here
                VnetHeader.write(tx, burst.offset(i) - vnet, burst.length(i), burst.flags(i), burst.segmentSize(i), mtu, i);
            } else if ((burst.flags(i) & FrameBurst.TX_TCP_SEGMENTATION) != 0) {
                throw new IllegalArgumentException("frame " + i + " asks for TSO, which " + name
                        + " does not offer (open it with Options.withTso)");
            }
        }
        for (int d = 0, held = 0; d < span; d++) {
            int slot = txCommit + d >= txSlots ? txCommit + d - txSlots : txCommit + d;
            if (txState[slot] == ALLOCATED && ++held > n) {
                throw new IllegalArgumentException("TX slot " + slot + ", allocated before the burst's frames, is still"
                        + " held: the kernel sends in ring order, so transmit or release it first");
            }
        }
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            long slot = (long) txCommit * txSlotSize;
            int from = (int) (burst.handle(i) & ~TX_TAG);
            int len = burst.length(i);
            if (from != txCommit) { // older holes before it: the frame moves down, its slot becomes a hole
                MemorySegment.copy(tx, (long) from * txSlotSize + txDataOffset - vnet, tx, slot + txDataOffset - vnet,
                        len + vnet); // with its virtio_net_hdr
                txState[from] = RELEASED;
            }
            txState[txCommit] = FREE;
            tx.set(JAVA_INT, slot + txLen, len + vnet);
            tx.set(JAVA_INT, slot + txSnaplen, len + vnet);
            if (!v2) {
                tx.set(JAVA_INT, slot + tpacket3_hdr.tp_next_offset$offset(), 0);
            }
            INT.setRelease(tx, slot + txStatus, TP_STATUS_SEND_REQUEST);
            txCommit = txCommit + 1 == txSlots ? 0 : txCommit + 1;
            bytes += len;
        }
        txOutstanding -= n;
        txFrames += n;
        txBytes += bytes;
        burst.removeFirst(n);
        shrinkWindow();
        kick();
        return n;
    }

    /**
     * One non-blocking sendto: the kernel sends every requested slot from its head on. It captures
     * no errno, so nothing is allocated even where C2 does not inline the whole downcall (see
     * {@link TapPort}); a failed kick is made again with errno capture, which is harmless (it sends
     * what is still requested) and tells why.
     */
    private void kick() {
        long rc;
        try {
            rc = (long) SENDTO.invokeExact(fd, 0L, 0L, MSG_DONTWAIT, 0L, 0);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (rc < 0 && LinuxLibc.sendto(fd, 0L, 0L, MSG_DONTWAIT, 0L, 0) < 0) {
            int errno = Native.lastErrno();
            // A full queue leaves the slots requested; the next kick (transmit or allocate) sends them.
            if (errno != Errno.EAGAIN && errno != Errno.ENOBUFS && errno != Errno.EINTR) {
                throw new NativeException(LinuxCall.SENDTO, errno, "interface " + ifname
                        + (LinuxCall.SENDTO.hint(errno) == null ? "" : ": " + LinuxCall.SENDTO.hint(errno)));
            }
        }
    }

    @Override
    public boolean awaitReceive(long timeoutNanos) {
        checkOpen();
        boolean idle = v2
                ? held[rxBlock] == 0 && ((int) INT.getAcquire(rx, (long) rxBlock * blockSize + V2_STATUS) & TP_STATUS_USER) == 0
                : !rxOpen && !delivered[rxBlock]
                        && ((int) INT.getAcquire(rx, (long) rxBlock * blockSize + BLOCK_STATUS) & TP_STATUS_USER) == 0;
        if (idle) {
            return LibC.awaitReadable(fd, PortChecks.pollMillis(timeoutNanos));
        }
        return true;
    }

    /** Counters; {@code rxDropped} is what the kernel could not put in the RX ring (PACKET_STATISTICS). */
    @Override
    public synchronized PortStats stats() {
        checkOpen();
        try (Arena a = Arena.ofConfined()) {
            // V2 writes the shorter tpacket_stats: tp_packets and tp_drops at the same offsets
            MemorySegment st = a.allocate(tpacket_stats_v3.layout());
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) tpacket_stats_v3.sizeof());
            if (LinuxLibc.getsockopt(fd, (int) LinuxLibc.SOL_PACKET, (int) LinuxLibc.PACKET_STATISTICS, st, len) != 0) {
                throw new NativeException(LinuxCall.STATISTICS, Native.lastErrno());
            }
            kernelDrops += Integer.toUnsignedLong(tpacket_stats_v3.tp_drops(st)); // reading resets the kernel's count
        }
        return new PortStats(rxFrames, rxBytes, txFrames, txBytes, kernelDrops, rxErrors, txErrors);
    }


    @Override
    protected void destroy() {
        ringArena.close();
        LibC.munmap(mapAddress, mapLength);
        LinuxLibc.close(fd);
    }

    @Override
    protected String describe() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }
}
