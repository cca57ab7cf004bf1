package io.jverbs.verbs.internal;

import io.jverbs.verbs.AddressHandle;
import io.jverbs.verbs.Context;
import io.jverbs.verbs.DeviceMemory;
import io.jverbs.verbs.ProtectionDomain;
import io.jverbs.verbs.QueuePair;

import java.lang.foreign.MemorySegment;

/**
 * What io.jverbs.rdmacm needs from io.jverbs.verbs beyond its public API. The package is not
 * exported: this is plumbing between the packages of one module, not API. io.jverbs.verbs
 * installs the implementation when {@link Context} initialises.
 */
public interface VerbsAccess {
    /** The shared wrapper of a context librdmacm opened ({@code id->verbs}). */
    Context adoptContext(MemorySegment verbs);

    /** A QP whose native object {@code factory} creates and destroys. */
    QueuePair createQueuePair(ProtectionDomain pd, QueuePair.Config config, QpFactory factory);

    /** An address handle from a native {@code struct ibv_ah_attr} (rdma_cm's UD parameters). */
    AddressHandle createAddressHandle(ProtectionDomain pd, MemorySegment ahAttr);

    /** Device memory whose native object {@code allocator} allocates (mlx5dv_alloc_dm); ibv_free_dm frees it. */
    DeviceMemory allocateDeviceMemory(Context context, long length, DmAllocator allocator);

    static VerbsAccess get() {
        Holder.ensureInitialized();
        return Holder.access;
    }

    static void set(VerbsAccess access) {
        Holder.access = access;
    }

    /** Holds the implementation; reading it first initialises Context, which installs it. */
    final class Holder {
        private static volatile VerbsAccess access;

        private Holder() {}

        static void ensureInitialized() {
            if (access == null) {
                try {
                    Class.forName(Context.class.getName(), true, Context.class.getClassLoader());
                } catch (ClassNotFoundException e) {
                    throw new AssertionError(e);
                }
            }
        }
    }
}
