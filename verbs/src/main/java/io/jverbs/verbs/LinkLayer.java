package io.jverbs.verbs;

/** {@code IBV_LINK_LAYER_*}: InfiniBand or Ethernet (RoCE). */
public enum LinkLayer {
    UNSPECIFIED, INFINIBAND, ETHERNET;

    static LinkLayer of(int code) {
        return code == 1 ? INFINIBAND : code == 2 ? ETHERNET : UNSPECIFIED;
    }
}
