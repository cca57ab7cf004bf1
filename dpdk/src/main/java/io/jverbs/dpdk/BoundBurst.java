package io.jverbs.dpdk;

import io.jverbs.core.ffi.Native;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import static java.lang.constant.ConstantDescs.CD_Class;
import static java.lang.constant.ConstantDescs.CD_MethodHandle;
import static java.lang.constant.ConstantDescs.CD_MethodHandles;
import static java.lang.constant.ConstantDescs.CD_MethodHandles_Lookup;
import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_String;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_short;
import static java.lang.constant.ConstantDescs.CLASS_INIT_NAME;
import static java.lang.constant.ConstantDescs.DEFAULT_NAME;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One started queue's burst function ({@code eth_rx_burst_t}/{@code eth_tx_burst_t}) with its
 * queue pointer bound: {@code call(table, n)} is {@code fn(queue, table, n)}.
 *
 * <p>Each instance is of a hidden class of its own whose {@code static final} field holds the
 * bound downcall handle ({@link MethodHandles.Lookup#defineHiddenClassWithClassData}). The JIT
 * treats a static final as a constant, so the function address and the queue pointer are constants
 * in the compiled burst: it calls the driver without loading them or checking a
 * {@link MemorySegment} target per call, which a handle in an instance field (not a constant) or
 * an unbound handle (a target segment per call) cannot give. Measured on net_ring io forwarding
 * (dpdk/bench-vs-c.sh): about 11% more packets per CPU second than through an unbound handle.
 *
 * <p>{@link EthPort} makes them at every start and drops them at stop; nothing else sees them.
 */
abstract class BoundBurst {
    /** {@code uint16_t (*)(void *queue, struct rte_mbuf **, uint16_t)}. */
    private static final FunctionDescriptor BURST = FunctionDescriptor.of(JAVA_SHORT, JAVA_LONG, JAVA_LONG, JAVA_SHORT);
    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final byte[] CLASS = classBytes();

    BoundBurst() {}

    /** The driver's burst on {@code n} (0..65535) entries of the {@code struct rte_mbuf *} array at {@code table}; returns its uint16_t result sign-extended (mask it with 0xFFFF). */
    abstract int call(long table, int n);

    /** A burst of {@code fn} (never blocks: a critical downcall) bound to {@code queue}. */
    static BoundBurst bind(long fn, long queue) {
        MethodHandle h = MethodHandles.insertArguments(
                Native.LINKER.downcallHandle(MemorySegment.ofAddress(fn), BURST, Native.CRITICAL), 0, queue);
        try {
            MethodHandles.Lookup hidden = LOOKUP.defineHiddenClassWithClassData(CLASS, h, true);
            return (BoundBurst) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (Throwable t) {
            throw new IllegalStateException("cannot define the hidden class of a bound burst", t);
        }
    }

    /**
     * <pre>
     * final class BoundBurst$Queue extends BoundBurst {
     *     static final MethodHandle H = MethodHandles.classData(MethodHandles.lookup(), "_", MethodHandle.class);
     *     int call(long table, int n) { return (short) H.invokeExact(table, (short) n); }
     * }
     * </pre>
     */
    private static byte[] classBytes() {
        ClassDesc self = ClassDesc.of(BoundBurst.class.getPackageName(), "BoundBurst$Queue");
        ClassDesc sup = ClassDesc.of(BoundBurst.class.getName());
        return ClassFile.of().build(self, cb -> {
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER | ClassFile.ACC_SYNTHETIC);
            cb.withSuperclass(sup);
            cb.withField("H", CD_MethodHandle, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC | ClassFile.ACC_FINAL);
            cb.withMethodBody(CLASS_INIT_NAME, MTD_void, ClassFile.ACC_STATIC, code -> code
                    .invokestatic(CD_MethodHandles, "lookup", MethodTypeDesc.of(CD_MethodHandles_Lookup))
                    .ldc(DEFAULT_NAME)
                    .ldc(CD_MethodHandle)
                    .invokestatic(CD_MethodHandles, "classData", MethodTypeDesc.of(CD_Object, CD_MethodHandles_Lookup, CD_String, CD_Class))
                    .checkcast(CD_MethodHandle)
                    .putstatic(self, "H", CD_MethodHandle)
                    .return_());
            cb.withMethodBody(INIT_NAME, MTD_void, 0, code -> code
                    .aload(0)
                    .invokespecial(sup, INIT_NAME, MTD_void)
                    .return_());
            cb.withMethodBody("call", MethodTypeDesc.of(CD_int, CD_long, CD_int), ClassFile.ACC_FINAL, code -> code
                    .getstatic(self, "H", CD_MethodHandle)
                    .lload(1)
                    .iload(3)
                    .i2s()
                    .invokevirtual(CD_MethodHandle, "invokeExact", MethodTypeDesc.of(CD_short, CD_long, CD_short))
                    .ireturn());
        });
    }
}
