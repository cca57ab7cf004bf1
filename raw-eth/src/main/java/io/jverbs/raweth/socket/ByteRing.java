package io.jverbs.raweth.socket;

import java.lang.foreign.MemorySegment;

/** A bounded ring of bytes: written at the tail, read or discarded at the head, peeked anywhere in between. */
final class ByteRing {
    private final MemorySegment memory;
    private final int capacity;
    private int head;
    private int length;

    ByteRing(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a TCP buffer needs at least 1 byte, not " + capacity);
        }
        this.capacity = capacity;
        memory = MemorySegment.ofArray(new byte[capacity]);
    }

    int capacity() {
        return capacity;
    }

    int length() {
        return length;
    }

    int free() {
        return capacity - length;
    }

    /** Appends up to {@code n} bytes from {@code from} at {@code offset}; returns how many fit. */
    int write(MemorySegment from, long offset, int n) {
        n = writeAt(0, from, offset, n);
        length += n;
        return n;
    }

    /**
     * Copies up to {@code n} bytes from {@code from} at {@code offset} into the free space,
     * {@code skip} bytes after the tail, without appending them (out-of-order data waiting for
     * {@link #commit}); returns how many fit.
     */
    int writeAt(int skip, MemorySegment from, long offset, int n) {
        n = Math.max(0, Math.min(n, free() - skip));
        int tail = (int) (((long) head + length + skip) % capacity);
        int first = Math.min(n, capacity - tail);
        MemorySegment.copy(from, offset, memory, tail, first);
        MemorySegment.copy(from, offset + first, memory, 0, n - first);
        return n;
    }

    /** Appends the {@code n} bytes already written at the tail by {@link #writeAt}. */
    void commit(int n) {
        length += n;
    }

    /** Copies {@code n} bytes starting {@code skip} bytes after the head into {@code to} at {@code offset}. */
    void peek(int skip, MemorySegment to, long offset, int n) {
        int at = (head + skip) % capacity;
        int first = Math.min(n, capacity - at);
        MemorySegment.copy(memory, at, to, offset, first);
        MemorySegment.copy(memory, 0, to, offset + first, n - first);
    }

    /** Drops {@code n} bytes at the head. */
    void discard(int n) {
        head = (head + n) % capacity;
        length -= n;
    }
}
