package io.jverbs.perftest.oob;

/**
 * What perftest's {@code check_sys_data} exchanges: the page size (perftest's
 * {@code cycle_buffer}, from {@code sysconf(_SC_PAGESIZE)}) and the cache-line size, each a
 * 4-byte big-endian int in its own exchange. Both sides then use the larger of each.
 */
public record SystemData(int pageSize, int cacheLineSize) {
    public SystemData {
        if (pageSize <= 0 || cacheLineSize <= 0) {
            throw new IllegalArgumentException("page and cache-line size must be positive: "
                    + pageSize + ", " + cacheLineSize);
        }
    }

    /** The values both sides agree on: the maximum of each. */
    public SystemData max(SystemData other) {
        return new SystemData(Math.max(pageSize, other.pageSize), Math.max(cacheLineSize, other.cacheLineSize));
    }
}
