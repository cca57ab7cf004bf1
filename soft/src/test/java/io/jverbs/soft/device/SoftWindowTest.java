package io.jverbs.soft.device;

import io.jverbs.soft.transport.SoftQp;
import io.jverbs.verbs.Context;
import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RC send window a device gives its QPs from the receive buffer the kernel granted its
 * socket: what three quarters of it holds of full-MTU datagrams (at 2304 bytes of kernel
 * accounting per 1040-byte datagram, 4352 per 2064, 8448 per 4136: measured in /proc/net/udp).
 */
class SoftWindowTest {
    @Test
    void theWindowIsWhatThreeQuartersOfTheBufferHolds() {
        assertEquals(69, SoftEngine.window(212_992, 1024), "the kernel's default buffer: fewer than rxe's 128");
        assertEquals(138, SoftEngine.window(425_984, 1024), "the default rmem_max, asked for and doubled");
        assertEquals(36, SoftEngine.window(212_992, 2048));
        assertEquals(18, SoftEngine.window(212_992, 4096));
        assertEquals(1024, SoftEngine.window(8 << 20, 1024), "capped by jverbs.soft.window");
        assertEquals(SoftQp.MIN_WINDOW, SoftEngine.window(4096, 1024), "never below the minimum");
    }

    @Test
    void aDeviceAsksForItsSocketBufferAndSizesItsQpsWindowsByWhatItGot() throws Exception {
        try (Context ctx = Context.open("jsoft0")) {
            SoftEngine engine = SoftProvider.engine("jsoft0");
            // What a plain socket gets when it asks the same: the kernel's cap (rmem_max), which
            // Linux doubles for its accounting (the JDK reports it undoubled).
            int granted;
            try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                probe.setReceiveBufferSize(4 << 20);
                granted = probe.getReceiveBufferSize();
            }
            assertEquals(2 * granted, engine.receiveBuffer);
            // Even on a stock kernel (rmem_max 212992), at least rxe's window of 128 full-MTU datagrams.
            assertTrue(engine.window >= 128, "window " + engine.window + " from a buffer of " + engine.receiveBuffer);
            assertEquals(SoftEngine.window(engine.receiveBuffer, 1024), engine.window);
            assertTrue(ctx.isSoftDevice());
        }
    }
}
