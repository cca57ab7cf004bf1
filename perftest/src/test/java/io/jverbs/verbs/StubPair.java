package io.jverbs.verbs;

/**
 * The verbs test-jar's stub provider (native-test/stub) for perftest's host tests: a QP and a CQ
 * whose provider functions record and complete what is posted, through the public adopt API.
 * Lives in this package because {@link StubProvider} is package-private.
 */
public final class StubPair implements AutoCloseable {
    private final StubProvider stub;
    private final QueuePair qp;
    private final CompletionQueue cq;

    public StubPair(int qpn) {
        stub = new StubProvider(qpn);
        qp = QueuePair.adopt(Context.adopt(stub.context()), stub.qp());
        cq = CompletionQueue.adopt(Context.adopt(stub.context()), stub.cq());
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
