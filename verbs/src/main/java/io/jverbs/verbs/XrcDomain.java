package io.jverbs.verbs;

import io.jverbs.core.NativeResource;
import io.jverbs.core.NotSupportedException;
import io.jverbs.core.ffi.LibC;
import io.jverbs.core.ffi.Native;
import io.jverbs.verbs.ffi.ibv_xrcd_init_attr;
import io.jverbs.verbs.ffi.verbs_context;
import io.jverbs.verbs.internal.Checks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An XRC domain ({@code struct ibv_xrcd}): scopes XRC SRQs and XRC target QPs, so one initiator
 * QP can reach many receive queues of a remote process ({@code ibv_open_xrcd}).
 */
public final class XrcDomain extends NativeResource {
    private static final int ATTR_FD = 1, ATTR_OFLAGS = 1 << 1;
    private static final int O_CREAT = 0100;

    private final Context context;
    private final MemorySegment xrcd;

    XrcDomain(Context context) {
        super(context);
        this.context = context;
        MemorySegment fn = context.extendedOp(verbs_context.open_xrcd$offset());
        if (Native.isNull(fn)) {
            throw new NotSupportedException("XRC domains", context.device().name(),
                    "the provider has no open_xrcd; XRC needs a device with IBV_DEVICE_XRC, e.g. mlx5", null, 0);
        }
        MemorySegment x;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ibv_xrcd_init_attr.layout());
            ibv_xrcd_init_attr.comp_mask(attr, ATTR_FD | ATTR_OFLAGS);
            ibv_xrcd_init_attr.fd(attr, -1); // a private domain, not shared through a file
            ibv_xrcd_init_attr.oflags(attr, O_CREAT);
            x = (MemorySegment) Ops.CREATE_WITH_ATTR.invokeExact(fn, Native.errnoState(), context.segment(), attr);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        if (Native.isNull(x)) {
            int errno = Native.lastErrno();
            if (NotSupportedException.isNotSupported(errno) || errno == io.jverbs.core.Errno.ENOSYS) {
                throw new NotSupportedException("XRC domains", context.device().name(),
                        "XRC needs a device with IBV_DEVICE_XRC, e.g. mlx5", VerbsCall.OPEN_XRCD, errno);
            }
            throw new VerbsException(VerbsCall.OPEN_XRCD, errno);
        }
        this.xrcd = x.reinterpret(8);
        attach();
    }

    public Context context() {
        return context;
    }

    /** The {@code struct ibv_xrcd *}. */
    public MemorySegment segment() {
        checkOpen();
        return xrcd;
    }

    @Override
    protected void destroy() {
        MemorySegment fn = context.extendedOp(verbs_context.close_xrcd$offset());
        int rc;
        try {
            rc = (int) Ops.DESTROY.invokeExact(fn, xrcd);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        Checks.check(VerbsCall.CLOSE_XRCD, rc);
    }
}
