/**
 * What every jverbs library shares: {@link NativeResource}, the lifetime rules every wrapper of a
 * native object follows (closed with its parent and with everything it uses, children first; no
 * use after close); {@link NativeBuffer}, the off-heap memory that verbs registers and DPDK maps;
 * and {@link NativeException}, a failed native call with its errno and a hint on what to change.
 * A missing library raises {@link NativeLibraryException}, which names the Debian package to install.
 */
package io.jverbs.core;
