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

@Tag("softroce")
class DeviceIT {
    @Test
    void listsAndOpensTheSoftRoceDevice() throws Exception {
        List<Device> devices = Device.list();
        assertTrue(devices.stream().anyMatch(d -> d.name().equals(SoftRoce.device())), devices.toString());
        try (Context ctx = Context.open(SoftRoce.device())) {
            DeviceAttributes attr = ctx.queryDevice();
            assertEquals(1, attr.physicalPortCount());
            assertTrue(attr.maxQp() > 0 && attr.maxQpWr() > 0 && attr.maxCqe() > 0 && attr.maxMrSize() != 0, attr.toString());
            assertTrue(attr.supportsAtomics(), "rxe implements atomics");

            PortAttributes port = ctx.queryPort(1);
            assertEquals(PortState.ACTIVE, port.state());
            assertEquals(LinkLayer.ETHERNET, port.linkLayer());
            assertTrue(port.gidTableLength() > 1);

            GidEntry gid = ctx.queryGid(1, SoftRoce.gidIndex());
            assertEquals(GidType.ROCE_V2, gid.type());
            assertTrue(gid.gid().isIpv4Mapped(), gid.toString());
            assertArrayEquals(InetAddress.getByName(SoftRoce.ipv4()).getAddress(), gid.gid().ipv4());
            assertTrue(ctx.gidTable(1).contains(gid), "the GID table holds the entry queried alone");
            assertEquals(gid, ctx.bestGid(1), "perftest's choice on RoCE is the IPv4 RoCE v2 GID");
            assertTrue(ctx.completionVectors() >= 1);
        }
    }
}
