package io.jverbs.core.ffi;

import io.jverbs.core.NativeLibraryException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * A shared library located by its soname and loaded on first use. A missing library or symbol
 * raises {@link NativeLibraryException} naming the Debian package to install; the failure is
 * remembered, so every later use reports the same clear message instead of a class-init error.
 */
public final class NativeLibrary {
    private final String soname;
    private final String debianPackage;
    private volatile SymbolLookup lookup;
    private volatile NativeLibraryException failure;

    private NativeLibrary(String soname, String debianPackage) {
        this.soname = soname;
        this.debianPackage = debianPackage;
    }

    /** Describes a library without loading it. */
    public static NativeLibrary of(String soname, String debianPackage) {
        return new NativeLibrary(soname, debianPackage);
    }

    public String soname() {
        return soname;
    }

    /** Loads the library (once) and returns its symbols; throws if it cannot be loaded. */
    public SymbolLookup lookup() {
        SymbolLookup l = lookup;
        if (l != null) {
            return l;
        }
        synchronized (this) {
            if (lookup == null && failure == null) {
                try {
                    lookup = SymbolLookup.libraryLookup(soname, Arena.global());
                } catch (IllegalArgumentException e) {
                    failure = new NativeLibraryException(soname + " cannot be loaded: install the Debian package "
                            + debianPackage + " (apt-get install " + debianPackage + ")", e);
                }
            }
            if (failure != null) {
                throw failure;
            }
            return lookup;
        }
    }

    /** True when the library can be loaded on this machine. */
    public boolean isAvailable() {
        try {
            lookup();
            return true;
        } catch (NativeLibraryException e) {
            return false;
        }
    }

    /** The address of an exported symbol (function or data). */
    public MemorySegment find(String symbol) {
        return lookup().find(symbol).orElseThrow(() -> new NativeLibraryException(
                soname + " does not export " + symbol + ": the installed " + debianPackage
                        + " is older than jverbs needs, or the symbol is an inline function in the header"));
    }

    /** True when the library loads and exports {@code symbol}. */
    public boolean has(String symbol) {
        return isAvailable() && lookup.find(symbol).isPresent();
    }

    /** A downcall handle bound to an exported function. */
    public MethodHandle downcall(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        return Native.LINKER.downcallHandle(find(symbol), descriptor, options);
    }
}
