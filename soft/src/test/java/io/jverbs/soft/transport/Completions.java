package io.jverbs.soft.transport;

import io.jverbs.verbs.WcOpcode;
import io.jverbs.verbs.WcStatus;

import java.util.ArrayList;
import java.util.List;

/** A completion queue for tests: records every completion in preallocated arrays (recording allocates nothing). */
final class Completions implements CompletionSink {
    /** One completion, made when a test reads it. */
    record Wc(int qpNum, long wrId, WcStatus status, WcOpcode opcode, int byteLen, int imm, int srcQp, int flags) {
    }

    private final int[] qp;
    private final long[] wrId;
    private final WcStatus[] status;
    private final WcOpcode[] opcode;
    private final int[] byteLen;
    private final int[] imm;
    private final int[] srcQp;
    private final int[] flags;
    private int count;
    private int read;

    Completions(int capacity) {
        qp = new int[capacity];
        wrId = new long[capacity];
        status = new WcStatus[capacity];
        opcode = new WcOpcode[capacity];
        byteLen = new int[capacity];
        imm = new int[capacity];
        srcQp = new int[capacity];
        flags = new int[capacity];
    }

    Completions() {
        this(1024);
    }

    @Override
    public void complete(int qpNum, long id, WcStatus s, WcOpcode op, int len, int immediate, int src, int f) {
        int i = count++ % qp.length;
        qp[i] = qpNum;
        wrId[i] = id;
        status[i] = s;
        opcode[i] = op;
        byteLen[i] = len;
        imm[i] = immediate;
        srcQp[i] = src;
        flags[i] = f;
    }

    /** Completions ever recorded. */
    int count() {
        return count;
    }

    /** Completions not yet taken. */
    int pending() {
        return count - read;
    }

    /** The completions not yet taken, oldest first. */
    List<Wc> take() {
        List<Wc> l = new ArrayList<>();
        while (read < count) {
            int i = read++ % qp.length;
            l.add(new Wc(qp[i], wrId[i], status[i], opcode[i], byteLen[i], imm[i], srcQp[i], flags[i]));
        }
        return l;
    }

    /** Takes the completions up to now without looking at them (allocates nothing). */
    void skip() {
        read = count;
    }

    /** The status of the newest completion. */
    WcStatus lastStatus() {
        return status[(count - 1) % qp.length];
    }
}
