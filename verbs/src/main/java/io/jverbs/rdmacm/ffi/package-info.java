/**
 * Generated FFM bindings of librdmacm ({@code <rdma/rdma_cma.h>}): {@link io.jverbs.rdmacm.ffi.RdmaCm}
 * holds a downcall handle per function, one class per {@code rdma_*} struct gives its layout and
 * accessors. Written by {@code native-test/abi/gen_ffi.py} from {@code native-test/abi/verbs.spec}
 * (the {@code ibv_*} types they embed are in {@code io.jverbs.verbs.ffi}); never edit the
 * generated classes by hand. The escape hatch for librdmacm calls {@code io.jverbs.rdmacm} does
 * not wrap.
 */
package io.jverbs.rdmacm.ffi;
