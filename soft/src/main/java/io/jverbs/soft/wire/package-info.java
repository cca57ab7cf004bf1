/**
 * RoCEv2 on the wire, in pure Java, as Linux's rdma_rxe puts it there: the InfiniBand base
 * transport header ({@link io.jverbs.soft.wire.Bth}) and extension headers ({@link
 * io.jverbs.soft.wire.Reth}, {@link io.jverbs.soft.wire.Aeth}, {@link io.jverbs.soft.wire.AtomicEth},
 * {@link io.jverbs.soft.wire.AtomicAckEth}, {@link io.jverbs.soft.wire.Deth}, {@link
 * io.jverbs.soft.wire.ImmDt}, {@link io.jverbs.soft.wire.Ieth}, {@link io.jverbs.soft.wire.Feth}) as
 * views in the manner of {@code io.jverbs.raweth.wire}, the {@link io.jverbs.soft.wire.Opcode}
 * table of RC, UC and UD, the invariant CRC ({@link io.jverbs.soft.wire.Icrc}), rxe's UDP source
 * ports ({@link io.jverbs.soft.wire.SourcePort}), and {@link io.jverbs.soft.wire.RocePacket}, which
 * checks a whole packet (returning a {@link io.jverbs.soft.wire.RoceStatus}, never throwing for
 * bad bytes) and lays one out for sending. Nothing here calls native code or allocates per packet.
 *
 * <p>As in {@code io.jverbs.raweth.wire}, the headers with several fields have a parsed form, a
 * record with {@code parse(view)}, {@code emit(view)} and {@code bufferLength()}: {@link
 * io.jverbs.soft.wire.BthRepr}, {@link io.jverbs.soft.wire.RethRepr}, {@link
 * io.jverbs.soft.wire.AethRepr}, {@link io.jverbs.soft.wire.AtomicEthRepr} and {@link
 * io.jverbs.soft.wire.DethRepr}. The one-field headers (ImmDt, IETH, FETH, AtomicAckETH) are read
 * and written through their views. A record is an allocation unless the JIT removes it: the
 * per-packet path reads the views.
 *
 * <p>Receiving a frame:
 * {@snippet :
 * RocePacket p = new RocePacket();              // once per thread
 * long[] drops = new long[RoceStatus.values().length];
 *
 * RoceStatus s = p.wrapFrame(frames, off, len); // structure and ICRC
 * drops[s.ordinal()]++;
 * if (s == RoceStatus.OK && p.opcode() == Opcode.RC_RDMA_WRITE_FIRST) {
 *     long va = p.reth().virtualAddress();
 *     // p.bth().psn(), p.payloadOffset(), p.payloadLength() ...
 * }
 * }
 *
 * <p>Sending an ACK:
 * {@snippet :
 * int n = p.layoutIpv4(buf, 0, Opcode.RC_ACKNOWLEDGE, 0);
 * p.ipv4().setSource(local).setDestination(remote);
 * p.udp().setSourcePort(SourcePort.rc(localQpn, remoteQpn));
 * p.bth().setDestinationQp(remoteQpn).setPsn(psn);
 * p.aeth().setAck(Aeth.CREDITS_INVALID, msn);
 * p.finishIpv4();                               // IPv4 checksum, then the ICRC
 * }
 */
package io.jverbs.soft.wire;
