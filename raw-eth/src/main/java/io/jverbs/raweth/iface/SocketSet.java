package io.jverbs.raweth.iface;

import java.util.Arrays;
import java.util.Objects;

/**
 * The sockets of one {@link Interface} (smoltcp's {@code SocketSet}): the interface offers each
 * received packet to the sockets of its protocol in the order they were added, and lets every
 * socket send at each poll. Adding and removing allocate; polling does not. Used by the thread
 * that polls the interface.
 */
public final class SocketSet {
    private Socket[] sockets = new Socket[8];
    private int size;

    SocketSet() {
    }

    /**
     * Adds {@code socket} and returns it.
     *
     * @throws IllegalStateException if it is already in a set
     */
    public <S extends Socket> S add(S socket) {
        Objects.requireNonNull(socket, "socket");
        if (socket.owner != null) {
            throw new IllegalStateException(socket + " is already in a socket set; remove it first");
        }
        if (size == sockets.length) {
            sockets = Arrays.copyOf(sockets, size * 2);
        }
        sockets[size++] = socket;
        socket.owner = this;
        return socket;
    }

    /** Removes {@code socket}; returns whether it was in this set. */
    public boolean remove(Socket socket) {
        for (int i = 0; i < size; i++) {
            if (sockets[i] == socket) {
                System.arraycopy(sockets, i + 1, sockets, i, size - i - 1);
                sockets[--size] = null;
                socket.owner = null;
                return true;
            }
        }
        return false;
    }

    /** How many sockets the set holds. */
    public int size() {
        return size;
    }

    /** Socket {@code i}, in the order added. */
    public Socket get(int i) {
        return sockets[Objects.checkIndex(i, size)];
    }
}
