package io.jverbs.verbs.mlx5;

import io.jverbs.core.Errno;
import io.jverbs.core.NativeCall;

/** The libmlx5 calls jverbs makes, with the usual fix for their errno values. */
public enum Mlx5Call implements NativeCall {
    QUERY_DEVICE("mlx5dv_query_device"),
    CREATE_QP("mlx5dv_create_qp"),
    ALLOC_DM("mlx5dv_alloc_dm");

    private final String function;

    Mlx5Call(String function) {
        this.function = function;
    }

    @Override
    public String function() {
        return function;
    }

    @Override
    public String hint(int errno) {
        if (this == CREATE_QP && errno == Errno.EINVAL) {
            return "A DCT needs an SRQ and an access key and takes no send ops; a DCI needs send ops "
                    + "(Config.sendOps) and no SRQ; queue sizes must be within the device's limits";
        }
        return null;
    }
}
