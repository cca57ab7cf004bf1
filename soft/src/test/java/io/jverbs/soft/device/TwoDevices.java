package io.jverbs.soft.device;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Two soft devices of a test class's own (names and loopback addresses no other test uses),
 * added before its tests and removed after them, for tests that drop and capture their packets:
 * those need root, and say so rather than skip.
 */
final class TwoDevices implements BeforeAllCallback, AfterAllCallback {
    final String name0, address0, name1, address1;
    /** The two addresses as 32-bit values, as the capture's IPv4 headers hold them. */
    final int ip0, ip1;

    TwoDevices(String name0, String address0, String name1, String address1) {
        this.name0 = name0;
        this.address0 = address0;
        this.name1 = name1;
        this.address1 = address1;
        this.ip0 = ipv4(address0);
        this.ip1 = ipv4(address1);
    }

    private static int ipv4(String dotted) {
        int v = 0;
        for (String b : dotted.split("\\.")) {
            v = v << 8 | Integer.parseInt(b);
        }
        return v;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Nft.requireRoot(context.getDisplayName());
        SoftProvider.add(SoftDeviceConfig.of(name0, address0));
        SoftProvider.add(SoftDeviceConfig.of(name1, address1));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        SoftProvider.remove(name0);
        SoftProvider.remove(name1);
    }
}
