package io.jverbs.verbs;

/**
 * The stub provider (native-test/stub) as jverbs objects: a QP and a CQ whose provider functions
 * record and complete what is posted, adopted through the public adopt API. For verbs' host tests
 * and benchmarks and, through the test-jar, perftest's.
 */
public final class StubPair implements AutoCloseable {
    private final StubProvider stub;
    private final QueuePair qp;
    private final CompletionQueue cq;

    public StubPair(int qpn) {
        stub = new StubProvider(qpn);
        Context context = Context.adopt(stub.context());
        qp = QueuePair.adopt(context, stub.qp());
        cq = CompletionQueue.adopt(context, stub.cq());
    }

    /** The native stub itself: its records of what the provider saw. */
    StubProvider provider() {
        return stub;
    }

    public QueuePair qp() {
        return qp;
    }

    /** The stub's one CQ: sends and receives complete on it in posting order. */
    public CompletionQueue cq() {
        return cq;
    }

    /** Requests the provider has seen. */
    public long wrsPosted() {
        return stub.wrsPosted();
    }

    @Override
    public void close() {
        qp.close();
        cq.close();
        stub.close();
    }
}
