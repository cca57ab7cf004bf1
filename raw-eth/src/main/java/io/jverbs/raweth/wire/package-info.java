/**
 * Wire formats of raw Ethernet traffic, in pure Java: Ethernet II, 802.1Q tags, ARP for
 * Ethernet/IPv4, IPv4 (options, fragment fields, header checksum), ICMPv4, UDP and TCP (MSS,
 * window scale, SACK-permitted, SACK blocks, timestamps), and the Internet {@link
 * io.jverbs.raweth.wire.Checksum checksum} with the IPv4 pseudo-header. Nothing here calls native
 * code: {@link java.lang.foreign.MemorySegment} is only the byte container, so the same views read
 * a heap array in a test, a frame in registered RDMA memory, or a DPDK mbuf, without a copy.
 *
 * <p>The shape is smoltcp's {@code wire} module. Each protocol has two classes:
 * <ul>
 *   <li>a <em>view</em> ({@link io.jverbs.raweth.wire.Ipv4Packet}, {@link
 *       io.jverbs.raweth.wire.TcpPacket}, …): a flyweight made once and
 *       {@linkplain io.jverbs.raweth.wire.HeaderView#wrap wrapped} over each packet, with a getter
 *       and a setter per field, in place. Wrapping allocates nothing and reading a field allocates
 *       nothing;</li>
 *   <li>a <em>repr</em> ({@link io.jverbs.raweth.wire.Ipv4Repr}, {@link
 *       io.jverbs.raweth.wire.TcpRepr}, …): an immutable record of the header's meaning, with
 *       {@code parse(view)}, {@code emit(view)} and {@code bufferLength()}. A TCP state machine
 *       sees reprs, never bytes. Payloads stay in the segment: a repr carries their length.</li>
 * </ul>
 *
 * <p>Malformed input never throws on the packet path. {@code wrap} returns a {@link
 * io.jverbs.raweth.wire.WireStatus}: {@code OK}, or one constant per protocol and reason
 * ({@code IPV4_TRUNCATED}, {@code TCP_BAD_OPTION}, …), which a stack counts in an array indexed by
 * its ordinal. Only after {@code OK} are the accessors defined; then every one reads inside the
 * wrapped bytes. Checksums are verified apart ({@code checksumValid}), since a NIC may have done
 * it. Off the packet path, {@code wrapOrThrow} and {@code parse} throw {@link
 * io.jverbs.raweth.wire.MalformedPacketException} with the same reason, the one exception a parser
 * lets out for bad bytes. A range outside the segment, or a repr emitted into a view too short
 * for it, is the caller's bug: {@link java.lang.IllegalArgumentException}.
 *
 * <p>Receiving an Ethernet/IPv4/UDP frame, allocation-free:
 * {@snippet :
 * EthernetFrame eth = new EthernetFrame();   // once per thread
 * Ipv4Packet ip = new Ipv4Packet();
 * UdpPacket udp = new UdpPacket();
 * long[] drops = new long[WireStatus.values().length];
 *
 * // per frame in `frames` at `off`, `len` bytes
 * WireStatus s = eth.wrap(frames, off, len);
 * if (s == WireStatus.OK && eth.etherType() == EtherType.IPV4) {
 *     s = ip.wrap(frames, eth.payloadOffset(), eth.payloadLength());
 *     if (s == WireStatus.OK && !ip.checksumValid()) {
 *         s = WireStatus.IPV4_BAD_CHECKSUM;
 *     }
 *     if (s == WireStatus.OK && ip.protocol() == IpProtocol.UDP) {
 *         s = udp.wrap(frames, ip.payloadOffset(), ip.payloadLength());
 *         // udp.destinationPort(), udp.payloadOffset(), udp.payloadLength() ...
 *     }
 * }
 * drops[s.ordinal()]++;                       // drops[OK] counts the good ones
 * }
 *
 * <p>Sending: write the payload, then emit the headers inside out, since the transport checksum
 * covers the payload; {@code wrapUnchecked} points a view at bytes still to be written:
 * {@snippet :
 * UdpRepr u = new UdpRepr(5000, 6000, payloadLength);
 * Ipv4Repr i = new Ipv4Repr(src, dst, IpProtocol.UDP, u.bufferLength(), 64);
 * long ipAt = off + EthernetFrame.HEADER_LENGTH;
 * u.emit(udp.wrapUnchecked(frames, ipAt + i.headerLength(), u.bufferLength()), src, dst);
 * i.emit(ip.wrapUnchecked(frames, ipAt, i.bufferLength()));
 * new EthernetRepr(dstMac, srcMac, EtherType.IPV4).emit(eth.wrapUnchecked(frames, off, 14));
 * }
 *
 * <p>New protocols over these (a RoCEv2 base transport header at a {@link
 * io.jverbs.raweth.wire.UdpPacket} payload on port {@link io.jverbs.raweth.wire.UdpPacket#ROCE_V2_PORT})
 * extend {@link io.jverbs.raweth.wire.HeaderView} the same way. Not covered: IPv6, IPv4 reassembly,
 * the meaning of IPv4 options, TCP options beyond the five above (skipped, as unknown options must
 * be), Ethernet FCS (NICs strip it).
 */
package io.jverbs.raweth.wire;
