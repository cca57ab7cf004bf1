package io.jverbs.verbs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs on any machine: device discovery must agree with sysfs. Without RDMA in the kernel (this
 * build machine) the list is empty and opening explains how to get a device.
 */
class DeviceDiscoveryTest {
    private static final Path SYSFS = Path.of("/sys/class/infiniband");

    @Test
    void listMatchesSysfs() throws IOException {
        List<String> expected;
        if (Files.isDirectory(SYSFS)) {
            try (Stream<Path> s = Files.list(SYSFS)) {
                expected = s.map(p -> p.getFileName().toString()).sorted().toList();
            }
        } else {
            expected = List.of();
        }
        assertEquals(expected, Device.list().stream().map(Device::name).sorted().toList());
    }

    @Test
    void noDeviceErrorSaysHowToGetOne() {
        if (!Device.list().isEmpty()) {
            // A machine with devices: opening a missing one names the ones that exist.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Context.open("jverbs-no-such-dev"));
            assertTrue(e.getMessage().contains(Device.list().getFirst().name()), e.getMessage());
            return;
        }
        VerbsException e = assertThrows(VerbsException.class, Context::openFirst);
        assertSame(VerbsCall.GET_DEVICE_LIST, e.call());
        assertTrue(e.getMessage().contains("No RDMA device found"), e.getMessage());
        assertTrue(e.getMessage().contains("rdma link add rxe0 type rxe"), e.getMessage());
        assertTrue(e.getMessage().contains("softroce-vm.sh"), e.getMessage());
        if (!Files.exists(Path.of("/sys/class/infiniband_verbs"))) {
            assertEquals("ENOSYS", e.errnoName(), "no uverbs in this kernel reads as ENOSYS");
            assertTrue(e.getMessage().contains("this kernel has no RDMA support"), e.getMessage());
        }
        VerbsException byName = assertThrows(VerbsException.class, () -> Context.open("rxe0"));
        assertTrue(byName.getMessage().contains("looking for rxe0"), byName.getMessage());
        assertFalse(byName.getMessage().isBlank());
    }
}
