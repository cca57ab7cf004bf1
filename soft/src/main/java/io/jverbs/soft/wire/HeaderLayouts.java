package io.jverbs.soft.wire;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Network-order layouts for the few fields read outside a view. */
final class HeaderLayouts {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private HeaderLayouts() {
    }
}
