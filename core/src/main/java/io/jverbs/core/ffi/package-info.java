/**
 * FFM plumbing for the bindings of every jverbs library: {@link NativeLibrary} loads a shared
 * library by soname, {@link Native} holds the linker, errno capture ({@link Native#lastErrno()})
 * and the handles that call through provider function pointers, {@link LibC} the few libc calls
 * jverbs makes. Wrappers use these; applications rarely need them.
 */
package io.jverbs.core.ffi;
