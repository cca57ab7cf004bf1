package io.jverbs.verbs;

import io.jverbs.core.NativeResource;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.IbVerbs;
import io.jverbs.verbs.ffi.ibv_ah;
import io.jverbs.verbs.ffi.ibv_ah_attr;
import io.jverbs.verbs.internal.Checks;
import io.jverbs.verbs.spi.ContextOps;
import io.jverbs.verbs.spi.ProviderException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** An address handle ({@code struct ibv_ah}): the route a UD send takes to a remote port. */
public final class AddressHandle extends NativeResource {
    private final MemorySegment ah;
    /** The context's provider, null for libibverbs. */
    private final ContextOps provider;
    private final String device;

    AddressHandle(ProtectionDomain pd, Endpoint remote, PathSettings options) {
        super(pd);
        this.provider = pd.provider;
        this.device = pd.context().device().name();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_ah_attr.layout());
            fill(attr, remote, options);
            this.ah = create(pd, attr);
        }
        attach();
    }

    /** An AH from a filled native {@code struct ibv_ah_attr} (rdma_cm's UD parameters, or a received completion's). */
    AddressHandle(ProtectionDomain pd, MemorySegment attr) {
        super(pd);
        this.provider = pd.provider;
        this.device = pd.context().device().name();
        this.ah = create(pd, attr);
        attach();
    }

    private static MemorySegment create(ProtectionDomain pd, MemorySegment attr) {
        if (pd.provider != null) {
            try {
                return pd.provider.createAh(pd.segment(), attr).reinterpret(ibv_ah.sizeof());
            } catch (ProviderException e) {
                throw pd.context().providerError(VerbsCall.CREATE_AH, e, "address handles");
            }
        }
        MemorySegment a = IbVerbs.ibv_create_ah(pd.segment(), attr);
        if (Native.isNull(a)) {
            throw Checks.fromErrno(VerbsCall.CREATE_AH, pd.context().device().name());
        }
        return a.reinterpret(ibv_ah.sizeof());
    }

    /** The {@code struct ibv_ah *}. */
    public MemorySegment segment() {
        checkOpen();
        return ah;
    }

    /** Fills a {@code struct ibv_ah_attr} for reaching {@code remote}; shared by UD AHs and RC/UC RTR. */
    static void fill(MemorySegment attr, Endpoint remote, PathSettings o) {
        attr.fill((byte) 0);
        ibv_ah_attr.dlid(attr, (short) remote.lid());
        ibv_ah_attr.sl(attr, (byte) o.serviceLevel);
        ibv_ah_attr.port_num(attr, (byte) o.port);
        if (o.gidIndex >= 0) {
            ibv_ah_attr.is_global(attr, (byte) 1);
            remote.gid().write(attr, ibv_ah_attr.grh$offset() + io.jverbs.verbs.ffi.ibv_global_route.dgid$offset());
            MemorySegment grh = ibv_ah_attr.grh(attr);
            io.jverbs.verbs.ffi.ibv_global_route.sgid_index(grh, (byte) o.gidIndex);
            io.jverbs.verbs.ffi.ibv_global_route.hop_limit(grh, (byte) o.hopLimit);
            io.jverbs.verbs.ffi.ibv_global_route.traffic_class(grh, (byte) o.trafficClass);
            io.jverbs.verbs.ffi.ibv_global_route.flow_label(grh, o.flowLabel);
        }
    }

    @Override
    protected void destroy() {
        Checks.check(VerbsCall.DESTROY_AH, provider != null ? provider.destroyAh(ah) : IbVerbs.ibv_destroy_ah(ah), device);
    }
}
