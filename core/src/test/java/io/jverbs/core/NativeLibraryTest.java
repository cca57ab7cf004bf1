package io.jverbs.core;

import io.jverbs.core.ffi.NativeLibrary;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeLibraryTest {
    @Test
    void missingLibraryNamesTheDebianPackageEveryTime() {
        NativeLibrary lib = NativeLibrary.of("libjverbs-does-not-exist.so.9", "libjverbs-nothing9");
        assertFalse(lib.isAvailable());
        NativeLibraryException first = assertThrows(NativeLibraryException.class, lib::lookup);
        assertEquals("libjverbs-does-not-exist.so.9 cannot be loaded: install the Debian package libjverbs-nothing9"
                + " (apt-get install libjverbs-nothing9)", first.getMessage());
        assertSame(first, assertThrows(NativeLibraryException.class, () -> lib.find("x")));
    }

    @Test
    void missingSymbolIsExplained() {
        NativeLibrary libc = NativeLibrary.of("libc.so.6", "libc6");
        assertTrue(libc.has("getpid"));
        assertFalse(libc.has("jverbs_no_such_symbol"));
        NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> libc.find("jverbs_no_such_symbol"));
        assertTrue(e.getMessage().startsWith("libc.so.6 does not export jverbs_no_such_symbol"), e.getMessage());
    }
}
