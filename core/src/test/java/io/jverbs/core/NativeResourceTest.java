package io.jverbs.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeResourceTest {
    static final class Node extends NativeResource {
        final String name;
        final List<String> log;
        RuntimeException failOnDestroy;

        Node(Node parent, String name, List<String> log, Node... uses) {
            super(parent, uses);
            this.name = name;
            this.log = log;
            attach();
        }

        void use() {
            checkOpen();
        }

        @Override
        protected void destroy() {
            log.add(name);
            if (failOnDestroy != null) throw failOnDestroy;
        }

        @Override
        protected String describe() {
            return "Node " + name;
        }
    }

    @Test
    void parentClosesChildrenNewestFirstThenItself() {
        List<String> log = new ArrayList<>();
        Node root = new Node(null, "root", log);
        Node a = new Node(root, "a", log);
        Node a1 = new Node(a, "a1", log);
        Node b = new Node(root, "b", log);
        assertEquals(2, root.liveChildren());
        root.close();
        assertEquals(List.of("b", "a1", "a", "root"), log);
        assertTrue(a1.isClosed() && a.isClosed() && b.isClosed());
    }

    /** A QP created under a PD but using an older CQ must go before the CQ, whatever the order. */
    @Test
    void aResourceClosesBeforeEverythingItUses() {
        List<String> log = new ArrayList<>();
        Node ctx = new Node(null, "ctx", log);
        Node pd = new Node(ctx, "pd", log);
        Node cq = new Node(ctx, "cq", log);
        Node qp = new Node(pd, "qp", log, cq);
        assertEquals(1, cq.liveChildren());
        ctx.close();
        assertEquals(List.of("qp", "cq", "pd", "ctx"), log);
        assertEquals(0, pd.liveChildren());
        assertTrue(qp.isClosed());
    }

    @Test
    void closingAUserLeavesAllOwners() {
        List<String> log = new ArrayList<>();
        Node pd = new Node(null, "pd", log);
        Node cq = new Node(null, "cq", log);
        Node qp = new Node(pd, "qp", log, cq);
        qp.close();
        assertEquals(0, pd.liveChildren());
        assertEquals(0, cq.liveChildren());
        cq.close();
        assertThrows(IllegalStateException.class, () -> new Node(pd, "qp2", log, cq));
        assertEquals(0, pd.liveChildren(), "a refused child does not stay registered with the owners it reached");
        assertEquals(List.of("qp", "cq", "qp2"), log);
    }

    @Test
    void closedChildLeavesItsParent() {
        List<String> log = new ArrayList<>();
        Node root = new Node(null, "root", log);
        Node a = new Node(root, "a", log);
        a.close();
        a.close();
        assertEquals(0, root.liveChildren());
        root.close();
        assertEquals(List.of("a", "root"), log);
    }

    @Test
    void useAfterCloseThrows() {
        Node n = new Node(null, "n", new ArrayList<>());
        n.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, n::use);
        assertEquals("Node n is closed", e.getMessage());
    }

    @Test
    void closedParentRefusesChildrenAndReleasesThem() {
        List<String> log = new ArrayList<>();
        Node root = new Node(null, "root", log);
        root.close();
        assertThrows(IllegalStateException.class, () -> new Node(root, "late", log));
        assertEquals(List.of("root", "late"), log, "the late child's native object is released");
    }

    @Test
    void aFailingChildDoesNotStopTheOthers() {
        List<String> log = new ArrayList<>();
        Node root = new Node(null, "root", log);
        Node a = new Node(root, "a", log);
        Node b = new Node(root, "b", log);
        b.failOnDestroy = new IllegalStateException("boom");
        RuntimeException e = assertThrows(IllegalStateException.class, root::close);
        assertEquals("boom", e.getMessage());
        assertEquals(List.of("b", "a", "root"), log);
        assertTrue(a.isClosed() && root.isClosed());
    }
}
