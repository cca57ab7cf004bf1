package io.jverbs.core;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrnoTest {
    private static final Pattern DEFINE = Pattern.compile("^#define\\s+(E[A-Z0-9]+)\\s+(\\d+)\\b", Pattern.MULTILINE);

    /** Every numeric errno in the kernel's uapi headers has the same name in our table. */
    @Test
    void namesMatchKernelHeaders() throws IOException {
        int checked = 0;
        for (String header : new String[] {"/usr/include/asm-generic/errno-base.h", "/usr/include/asm-generic/errno.h"}) {
            Matcher m = DEFINE.matcher(Files.readString(Path.of(header)));
            while (m.find()) {
                assertEquals(m.group(1), Errno.name(Integer.parseInt(m.group(2))), "errno " + m.group(2));
                checked++;
            }
        }
        assertEquals(Errno.namedCount(), checked, "the table has exactly the kernel's numeric errnos");
    }

    @Test
    void unknownValuesAreNamedByNumber() {
        assertEquals("errno 4242", Errno.name(4242));
        assertEquals("errno 0", Errno.name(0));
    }

    @Test
    void descriptionComesFromLibc() {
        assertEquals("Cannot allocate memory", Errno.describe(Errno.ENOMEM));
        assertTrue(Errno.describe(Errno.ENOSYS).startsWith("Function not implemented"));
    }

    @Test
    void exceptionMessageNamesCallErrnoAndHint() {
        NativeException e = new NativeException(SystemCall.MMAP, Errno.ENOMEM, "Raise the memlock limit");
        assertEquals("mmap failed: ENOMEM (errno 12, Cannot allocate memory). Raise the memlock limit", e.getMessage());
        assertEquals("ENOMEM", e.errnoName());
        assertEquals(12, e.errno());
        assertSame(SystemCall.MMAP, e.call());
    }

    @Test
    void hintComesFromTheTypedCall() {
        NativeException e = new NativeException(SystemCall.MMAP_HUGETLB, Errno.ENOMEM);
        assertEquals(SystemCall.MMAP_HUGETLB.hint(Errno.ENOMEM), e.hint());
        assertTrue(e.getMessage().startsWith("mmap(MAP_HUGETLB) failed: ENOMEM"), e.getMessage());
        assertNull(new NativeException(SystemCall.MUNMAP, Errno.EINVAL).hint());
    }

    @Test
    void everyFailureHasOneRoot() {
        assertInstanceOf(JverbsException.class, new NativeException(SystemCall.POLL, Errno.EINTR));
        assertInstanceOf(JverbsException.class, new NotSupportedException("device memory", "rxe0", null, null, 0));
        assertInstanceOf(JverbsException.class, new NativeLibraryException("libx.so.1 cannot be loaded"));
    }

    @Test
    void notSupportedNamesFeatureDeviceAndCall() {
        NotSupportedException e = new NotSupportedException("RAW_PACKET QPs", "rxe0", "they need an mlx5 device",
                SystemCall.MMAP, Errno.EOPNOTSUPP);
        assertEquals("RAW_PACKET QPs are not supported by rxe0 (mmap: EOPNOTSUPP): they need an mlx5 device", e.getMessage());
        assertEquals("RAW_PACKET QPs", e.feature());
        assertEquals("rxe0", e.device());
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertEquals("device memory is not supported by mlx5_0",
                new NotSupportedException("device memory", "mlx5_0", null, null, 0).getMessage());
        assertTrue(NotSupportedException.isNotSupported(Errno.EOPNOTSUPP));
        assertTrue(NotSupportedException.isNotSupported(Errno.EPROTONOSUPPORT));
        assertFalse(NotSupportedException.isNotSupported(Errno.EINVAL));
    }
}
