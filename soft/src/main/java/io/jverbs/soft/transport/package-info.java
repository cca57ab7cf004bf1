/**
 * The soft device's transport: RC, UC and UD queue pairs as rdma_rxe runs them on the wire, in
 * pure Java (no native calls; {@link java.lang.foreign.MemorySegment}s for memory).
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>{@link io.jverbs.soft.transport.SoftQp}: one QP: the verbs state machine
 *       ({@code ibv_modify_qp} through {@link io.jverbs.soft.transport.QpAttributes} and a
 *       {@code QpAttrMask} mask; ERR flushes with {@code WR_FLUSH_ERR}), a send and a receive ring of
 *       preallocated, reusable {@link io.jverbs.soft.transport.SendWqe}/{@link io.jverbs.soft.transport.RecvWqe}
 *       slots (the receives from a {@link io.jverbs.soft.transport.ReceiveQueue} of its own or shared
 *       with other QPs, an SRQ), and the requester, completer and responder. No threads and no clock of its own: every
 *       call takes {@code now}, and {@code poll(now)} runs the timers (ACK timeout, RNR wait) and
 *       transmits what the window allows.</li>
 *   <li>{@link io.jverbs.soft.transport.MemoryKeys}: lkey/rkey to region (memory, iova, length,
 *       access, PD), with the verbs checks every SGE and remote request goes through.</li>
 *   <li>{@link io.jverbs.soft.transport.TransportPacket}: a packet as the transport decides it
 *       (opcode, PSN, AckReq, the extension headers' fields decoded, the payload by reference).
 *       Packets leave through a {@link io.jverbs.soft.transport.PacketSink}; received ones come in
 *       through {@code SoftQp.receive}. {@link io.jverbs.soft.transport.PacketCodec} lays a packet
 *       out as RoCEv2 bytes and reads one back through the wire package's {@code RocePacket}.</li>
 *   <li>{@link io.jverbs.soft.transport.CompletionSink}: the fields of {@code ibv_wc}, one sink per
 *       CQ.</li>
 * </ul>
 *
 * <h2>Wire behaviour (ROCEV2.md, IBTA 9.7 to 9.9)</h2>
 * Messages are segmented by path MTU into FIRST/MIDDLE/LAST or ONLY; AckReq goes on the last
 * packet of every RC request and on the 66th packet without one (rxe's cadence); a READ consumes
 * a PSN per response packet and a lost response is asked for again with a new READ request for
 * the rest; the requester stays within 128 PSNs of the oldest unacknowledged one. The responder
 * ACKs each AckReq packet with its PSN and the MSN (credits 31), NAKs a PSN gap once with the
 * expected PSN and drops what follows, ACKs duplicates with the last in-order PSN, answers
 * duplicate READs again and replays atomic results (never executing twice) from
 * {@code max_dest_rd_atomic} saved resources, and sends RNR NAKs with {@code min_rnr_timer} when no
 * receive is posted. Go-back-N runs from a NAK's PSN (a second NAK waits for progress or a timeout)
 * or, after 4.096 us &times; 2<sup>timeout</sup>, from the oldest unacknowledged PSN; in SQD the started
 * requests finish (retransmissions included) and no new one starts; {@code retry_cnt}
 * and {@code rnr_retry} of 7 retry forever, as in rxe. Remote access and invalid request errors end
 * both QPs in ERR. UC never ACKs and drops the rest of a message after a gap; UD carries a DETH and
 * checks the Q_Key, and a UD receive buffer starts with 40 bytes of GRH: as rxe writes it, 20 zero
 * bytes and the packet's IPv4 header, when the device layer passes one
 * ({@code TransportPacket.ipv4Header}), with {@code IBV_WC_GRH}.
 *
 * <h2>Use (the device layer's view)</h2>
 * {@snippet :
 * MemoryKeys keys = new MemoryKeys(1024);
 * int key = keys.register(buffer, iova, Access.ALL_REMOTE, pdId);          // ibv_reg_mr
 * SoftQp qp = new SoftQp(qpn, QpType.RC, pdId, keys, packetSink, sendCq, recvCq,
 *         false, 256, 256, 4, 64, null);                                     // ibv_create_qp
 * qp.modify(attr, QpAttrMask.STATE | QpAttrMask.PATH_MTU);                   // ibv_modify_qp
 * SendWqe w = qp.nextSend();                                                 // ibv_post_send:
 * w.wrId = 7; w.opcode = WrOpcode.RDMA_WRITE.code(); w.flags = SendFlags.SIGNALED;
 * w.sges.set(0, iova, 4096, key); w.remoteAddress = remoteVa; w.rkey = rkey;
 * int errno = qp.postSend(clock.nanos());
 * qp.poll(clock.nanos());                                                    // progress engine
 * qp.receive(clock.nanos(), packet);                                         // a parsed packet for qpn
 * }
 *
 * <p>{@code now} is the clock at the call, read for it: the retransmit and RNR timers armed during
 * the call run from it, so a reading taken before other work (a batch of packets, another QP's
 * sends) makes them expire that much early.
 *
 * <p>Not yet here: the SRQ limit event, memory windows and SEND_WITH_INVALIDATE, the SQD drain event, and credits
 * (ignored, as rxe does).
 */
package io.jverbs.soft.transport;
