package io.jverbs.verbs;

/**
 * Path and reliability settings for moving a QP through INIT, RTR and RTS, with perftest's
 * defaults: port 1, path MTU = the port's active MTU, timeout 14 (4.096 µs × 2^14 ≈ 67 ms),
 * retry 7, RNR retry 7 (infinite), min RNR timer 12 (0.64 ms), one outstanding RDMA read or atomic
 * each way, hop limit 255, UD qkey 0x11111111. A GID index of -1 means no GRH, which only works on
 * InfiniBand; on RoCE use the port's RoCE v2 GID ({@link Context#bestGid}).
 *
 * <p>Mutable and fluent: {@code new PathSettings().gidIndex(1).mtu(Mtu.MTU_1024)}. The name keeps
 * it apart from rdma_cm's {@code io.jverbs.rdmacm.ConnectionParameters}, which rdma_cm turns into
 * these attributes itself.
 */
public final class PathSettings {
    int port = 1;
    int gidIndex = -1;
    Mtu mtu;
    int serviceLevel;
    int trafficClass;
    int hopLimit = 255;
    int flowLabel;
    int timeout = 14;
    int retryCount = 7;
    int rnrRetry = 7;
    int minRnrTimer = 12;
    int maxReadAtomic = 1;
    int maxDestReadAtomic = 1;
    int access = Access.ALL_REMOTE;
    int qkey = 0x11111111;

    public PathSettings port(int port) {
        this.port = port;
        return this;
    }

    public PathSettings gidIndex(int gidIndex) {
        this.gidIndex = gidIndex;
        return this;
    }

    /** Path MTU; null (the default) takes the port's active MTU. */
    public PathSettings mtu(Mtu mtu) {
        this.mtu = mtu;
        return this;
    }

    public PathSettings serviceLevel(int sl) {
        this.serviceLevel = sl;
        return this;
    }

    public PathSettings trafficClass(int tc) {
        this.trafficClass = tc;
        return this;
    }

    public PathSettings hopLimit(int hopLimit) {
        this.hopLimit = hopLimit;
        return this;
    }

    public PathSettings flowLabel(int flowLabel) {
        this.flowLabel = flowLabel;
        return this;
    }

    /** Local ACK timeout exponent: 4.096 µs × 2^timeout; 0 waits forever. */
    public PathSettings timeout(int timeout) {
        this.timeout = timeout;
        return this;
    }

    public PathSettings retryCount(int retryCount) {
        this.retryCount = retryCount;
        return this;
    }

    /** RNR retries; 7 means retry forever. */
    public PathSettings rnrRetry(int rnrRetry) {
        this.rnrRetry = rnrRetry;
        return this;
    }

    public PathSettings minRnrTimer(int minRnrTimer) {
        this.minRnrTimer = minRnrTimer;
        return this;
    }

    /** Outstanding RDMA reads/atomics this QP initiates (max_rd_atomic). */
    public PathSettings maxReadAtomic(int n) {
        this.maxReadAtomic = n;
        return this;
    }

    /** Outstanding RDMA reads/atomics this QP serves (max_dest_rd_atomic). */
    public PathSettings maxDestReadAtomic(int n) {
        this.maxDestReadAtomic = n;
        return this;
    }

    /** Remote access allowed through the QP ({@link Access} flags). */
    public PathSettings access(int access) {
        this.access = access;
        return this;
    }

    public PathSettings qkey(int qkey) {
        this.qkey = qkey;
        return this;
    }

    public int port() {
        return port;
    }

    public int gidIndex() {
        return gidIndex;
    }

    public int qkey() {
        return qkey;
    }
}
