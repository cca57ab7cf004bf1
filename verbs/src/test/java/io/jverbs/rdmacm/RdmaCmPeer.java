package io.jverbs.rdmacm;

import io.jverbs.core.NativeBuffer;
import io.jverbs.verbs.Access;
import io.jverbs.verbs.MemoryRegion;

import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * A client process for {@link RdmaCmIT} to kill: connects to {@code ip port}, offers a 4 KiB
 * buffer filled with bytes {@code i & 0xff} for RDMA READ (address and rkey, little-endian, in
 * its private data), prints {@code connected} and waits to be killed.
 */
public final class RdmaCmPeer {
    static final int SIZE = 4096;

    private RdmaCmPeer() {}

    public static void main(String[] args) throws Exception {
        InetSocketAddress server = new InetSocketAddress(InetAddress.getByName(args[0]), Integer.parseInt(args[1]));
        NativeBuffer buf = NativeBuffer.allocate(SIZE);
        for (int i = 0; i < SIZE; i++) buf.segment().set(ValueLayout.JAVA_BYTE, i, (byte) i);
        CmConnection.Options o = new CmConnection.Options();
        o.beforeConnect(c -> {
            MemoryRegion mr = c.protectionDomain().register(buf, Access.LOCAL_WRITE | Access.REMOTE_READ);
            o.privateData(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(buf.segment().address())
                    .putInt(mr.rkey()).array());
        });
        CmConnection c = CmConnection.connect(server, o, Duration.ofSeconds(60));
        System.out.println("connected " + c.localAddress());
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5)); // until killed
    }
}
