package io.jverbs.core;

/** The libc calls jverbs makes, with the usual fix for their failures. */
public enum SystemCall implements NativeCall {
    MMAP("mmap"),
    /** {@code mmap} with {@code MAP_HUGETLB}: fails when the 2 MiB page pool is too small. */
    MMAP_HUGETLB("mmap(MAP_HUGETLB)") {
        @Override
        public String hint(int errno) {
            return "Reserve 2 MiB huge pages first: echo <pages> > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
                    + " (as root), or use Backing.HUGEPAGES_PREFERRED";
        }
    },
    MUNMAP("munmap"),
    POLL("poll");

    private final String function;

    SystemCall(String function) {
        this.function = function;
    }

    @Override
    public String function() {
        return function;
    }
}
