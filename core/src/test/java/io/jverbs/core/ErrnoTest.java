package io.jverbs.core;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        NativeException e = new NativeException("ibv_reg_mr", Errno.ENOMEM, "Raise the memlock limit");
        assertEquals("ibv_reg_mr failed: ENOMEM (errno 12, Cannot allocate memory). Raise the memlock limit", e.getMessage());
        assertEquals("ENOMEM", e.errnoName());
        assertEquals(12, e.errno());
        assertEquals("ibv_reg_mr", e.call());
    }
}
