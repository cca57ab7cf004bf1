package io.jverbs.verbs.it;

import io.jverbs.verbs.Context;
import io.jverbs.verbs.Device;
import io.jverbs.verbs.DeviceAttributes;
import io.jverbs.verbs.GidEntry;
import io.jverbs.verbs.GidType;
import io.jverbs.verbs.LinkLayer;
import io.jverbs.verbs.PortAttributes;
import io.jverbs.verbs.PortState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("rdma")
class DeviceIT {
    @Test
    void listsAndOpensTheTestDevice() throws Exception {
        String name = TestDevice.device(); // says how to get a device when there is none
        List<Device> devices = Device.list();
        assertTrue(devices.stream().anyMatch(d -> d.name().equals(name)), devices.toString());
        int p = TestDevice.port();
        try (Context ctx = TestDevice.open()) {
            DeviceAttributes attr = ctx.queryDevice();
            assertTrue(attr.physicalPortCount() >= p, attr.toString());
            assertTrue(attr.maxQp() > 0 && attr.maxQpWr() > 0 && attr.maxCqe() > 0 && attr.maxMrSize() != 0, attr.toString());
            if (ctx.isSoftRoce()) {
                assertTrue(attr.supportsAtomics(), "rxe implements atomics");
            }

            PortAttributes port = ctx.queryPort(p);
            assertEquals(PortState.ACTIVE, port.state());
            assertTrue(port.gidTableLength() > 0);
            assertTrue(ctx.completionVectors() >= 1);
            if (port.linkLayer() != LinkLayer.ETHERNET) {
                assertEquals(-1, TestDevice.gidIndex(), "InfiniBand tests address by LID, without a GRH");
                return;
            }
            // RoCE: the chosen GID is in the table; an IPv4 RoCE v2 one is perftest's choice and gives the IPv4 address.
            GidEntry gid = ctx.queryGid(p, TestDevice.gidIndex());
            assertTrue(ctx.gidTable(p).contains(gid), "the GID table holds the entry queried alone");
            if (gid.type() == GidType.ROCE_V2 && gid.gid().isIpv4Mapped()) {
                assertArrayEquals(InetAddress.getByName(TestDevice.ipv4()).getAddress(), gid.gid().ipv4());
                assertEquals(gid, ctx.bestGid(p), "perftest's choice on RoCE is the IPv4 RoCE v2 GID");
            }
        }
    }
}
