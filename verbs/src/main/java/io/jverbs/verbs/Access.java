package io.jverbs.verbs;

/**
 * {@code enum ibv_access_flags}, as an int bit set because that is how they combine on the wire
 * and in the man pages: {@code Access.LOCAL_WRITE | Access.REMOTE_READ}.
 */
public final class Access {
    public static final int LOCAL_WRITE = 1;
    public static final int REMOTE_WRITE = 1 << 1;
    public static final int REMOTE_READ = 1 << 2;
    public static final int REMOTE_ATOMIC = 1 << 3;
    public static final int MW_BIND = 1 << 4;
    public static final int ZERO_BASED = 1 << 5;
    public static final int ON_DEMAND = 1 << 6;
    public static final int HUGETLB = 1 << 7;
    public static final int RELAXED_ORDERING = 1 << 20;

    /** Everything a peer may do to a region that takes part in write, read and atomic tests. */
    public static final int ALL_REMOTE = LOCAL_WRITE | REMOTE_WRITE | REMOTE_READ | REMOTE_ATOMIC;

    private Access() {}
}
