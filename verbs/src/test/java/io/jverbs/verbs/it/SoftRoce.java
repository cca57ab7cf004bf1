package io.jverbs.verbs.it;

import io.jverbs.verbs.ConnectOptions;

/** The device the Soft-RoCE VM provides, from the variables native-test/softroce-vm.sh sets. */
public final class SoftRoce {
    private SoftRoce() {}

    public static String device() {
        return require("JVERBS_RDMA_DEV");
    }

    public static int gidIndex() {
        return Integer.parseInt(require("JVERBS_GID_INDEX"));
    }

    public static String ipv4() {
        return require("JVERBS_IPV4");
    }

    /** Options for QPs on the VM's device: port 1, its RoCE v2 GID. */
    public static ConnectOptions options() {
        return new ConnectOptions().port(1).gidIndex(gidIndex());
    }

    private static String require(String name) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException(name + " is not set: softroce-tagged tests run inside the Soft-RoCE VM"
                    + " (mvn -Psoftroce verify, or native-test/softroce-vm.sh -- <command>)");
        }
        return v;
    }
}
