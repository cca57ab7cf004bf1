package io.jverbs.verbs;

/**
 * One row of a port's GID table.
 *
 * @param index       the GID index, what {@code sgid_index} and perftest's {@code -x} take
 * @param port        port number
 * @param gid         the GID
 * @param type        IB, RoCE v1 or RoCE v2
 * @param netdevIndex ifindex of the netdev the GID belongs to (RoCE), 0 on IB
 */
public record GidEntry(int index, int port, Gid gid, GidType type, int netdevIndex) {
}
