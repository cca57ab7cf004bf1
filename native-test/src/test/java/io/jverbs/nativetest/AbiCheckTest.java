package io.jverbs.nativetest;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks every generated layout in {@code io.jverbs.verbs.ffi} (libibverbs),
 * {@code io.jverbs.rdmacm.ffi} (librdmacm), {@code io.jverbs.verbs.mlx5.ffi} (libmlx5), {@code io.jverbs.dpdk.ffi} (DPDK, compiled with
 * {@code pkg-config --cflags libdpdk}) and {@code io.jverbs.raweth.linux.ffi} (AF_PACKET rings,
 * TUN/TAP and netdevice ioctls from glibc and the kernel's UAPI headers) against the headers installed on this host: a
 * C probe (target/abi/abi_check.c, kept for debugging) prints sizeof, alignof, offsetof and member
 * sizeof as gcc sees them, and every value must equal the Java one; each type must also sit in
 * the package of its library.
 * Runs in the normal build; without gcc or the headers it fails, it never skips.
 */
class AbiCheckTest {
    private static Path work;

    @BeforeAll
    static void toolchain() {
        work = AbiCheck.repoRoot().resolve("native-test/target/abi");
        AbiCheck.requireToolchain(work);
    }

    @Test
    void generatedLayoutsMatchTheInstalledHeaders() {
        List<GroupLayout> layouts = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (AbiCheck.FfiPackage ffi : AbiCheck.FFI_PACKAGES) {
            List<AbiCheck.TypeLayout> found = AbiCheck.scan(AbiCheckTest.class.getClassLoader(), ffi);
            if (found.size() < ffi.minTypes()) {
                problems.add("only " + found.size() + " layouts found in " + ffi.name() + " (expected >= "
                        + ffi.minTypes() + "): are jverbs-verbs, jverbs-dpdk and jverbs-raw-eth on the test class path? found "
                        + found.stream().map(AbiCheck.TypeLayout::javaClass).toList());
            }
            // One package per native library: an rdma_* struct in io.jverbs.verbs.ffi is misplaced.
            for (AbiCheck.TypeLayout t : found) {
                if (!ffi.owns(t.ctype())) {
                    problems.add(t.ctype() + " is generated into " + ffi.name() + ", which holds only "
                            + ffi.cPrefixes() + "* types: fix its package line in " + ffi.spec());
                }
                layouts.add(t.layout());
            }
        }
        if (!problems.isEmpty()) fail(String.join("\n", problems));
        AbiCheck.Result r = AbiCheck.check(work, layouts);
        if (!r.mismatches().isEmpty()) {
            fail(AbiCheck.report(r) + "\n(probe source: " + work.resolve("abi_check.c") + ")");
        }
        assertEquals(layouts.size(), r.types());
        assertTrue(r.fields() >= 600, "only " + r.fields() + " fields checked (expected >= 600)");
        System.out.printf("ABI check: %d types, %d fields match the rdma-core, DPDK and Linux headers%n", r.types(), r.fields());
    }

    /** The same comparison must catch a wrong layout: ibv_sge with lkey and length swapped. */
    @Test
    void aWrongLayoutIsReported() {
        GroupLayout wrongSge = MemoryLayout.structLayout(
                JAVA_LONG.withName("addr"),
                JAVA_INT.withName("lkey"),
                JAVA_INT.withName("length")).withName("struct ibv_sge");
        GroupLayout shortGid = MemoryLayout.unionLayout(
                MemoryLayout.sequenceLayout(15, JAVA_BYTE).withName("raw"),
                MemoryLayout.structLayout(
                        JAVA_LONG.withName("subnet_prefix"),
                        JAVA_LONG.withName("interface_id")).withName("global")).withName("union ibv_gid");
        AbiCheck.Result r = AbiCheck.check(work.resolve("negative"), List.of(wrongSge, shortGid));
        String report = AbiCheck.report(r);
        System.out.println("Negative ABI check (expected mismatches):\n" + report);
        assertEquals(2, r.types());
        assertEquals(3 + 4, r.fields()); // addr length lkey; raw global global.subnet_prefix global.interface_id
        assertEquals(3, r.mismatches().size(), report);
        assertTrue(has(r, "struct ibv_sge", "lkey", "offsetof", 8, 12), report);
        assertTrue(has(r, "struct ibv_sge", "length", "offsetof", 12, 8), report);
        assertTrue(has(r, "union ibv_gid", "raw", "sizeof", 15, 16), report);
        assertTrue(report.startsWith("3 ABI mismatch(es)"), report);
    }

    private static boolean has(AbiCheck.Result r, String type, String path, String what, long java, long c) {
        return r.mismatches().stream().anyMatch(m -> m.startsWith(type + " ")
                && m.matches(".*\\s" + java_escape(path) + "\\s+" + what + "\\s+java\\s+" + java + "\\s+C\\s+" + c));
    }

    private static String java_escape(String s) {
        return s.replace(".", "\\.");
    }
}
