/**
 * mlx5 direct verbs ({@code libmlx5}, {@code mlx5dv.h}) for NVIDIA/Mellanox ConnectX devices:
 * {@link io.jverbs.verbs.mlx5.Mlx5#isSupported} and {@link io.jverbs.verbs.mlx5.Mlx5#queryDevice},
 * and dynamically connected transport: a {@link io.jverbs.verbs.mlx5.DcTarget} (DCT) receives from
 * any {@link io.jverbs.verbs.mlx5.DcInitiator} (DCI), which names the target per request, so
 * neither side keeps state per peer. On any other device every call throws
 * {@link io.jverbs.core.NotSupportedException} naming the feature and the device before libmlx5
 * sees the objects. {@code io.jverbs.verbs.mlx5.ffi} holds the generated bindings.
 *
 * {@snippet :
 * DcTarget dct = Mlx5.createDcTarget(pd, cq, srq, 0xffeeddccL);
 * dct.connect(new PathSettings().gidIndex(gid));
 * DcInitiator dci = Mlx5.createDcInitiator(pd, cq, 128, 0, SendOps.RDMA_WRITE);
 * dci.connect(new PathSettings().gidIndex(gid));
 * ExtendedPost p = dci.post();
 * p.start();
 * p.rdmaWrite(1, SendFlags.SIGNALED, remoteAddress, rkey);
 * dci.address(ah, dct.number(), dct.accessKey());
 * p.sge(mr, 0, 64);
 * p.complete();
 * }
 */
package io.jverbs.verbs.mlx5;
