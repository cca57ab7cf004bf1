package io.jverbs.nativetest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.PaddingLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The machinery of {@link AbiCheckTest}: finds the generated layouts, turns them into a C probe that
 * gcc compiles against the installed rdma-core, DPDK and Linux headers, and compares what the probe prints with
 * what the Java layouts say. Kept apart from the test so the negative test runs the same code.
 */
final class AbiCheck {
    private AbiCheck() {}

    /**
     * One generated package per native library (the specs' {@code package} lines).
     *
     * @param spec     the spec that generates it, relative to the repository root
     * @param sourceRoot the source root it is generated into, relative to the repository root
     * @param name     the Java package
     * @param anchor   a class the package is known to contain, to find it when it has no resource of its own
     * @param cPrefixes the C type names that belong to this library; a type elsewhere is in the wrong package
     * @param minTypes fewer layouts than this means the package was not found or the spec lost types
     */
    record FfiPackage(String spec, String sourceRoot, String name, String anchor, List<String> cPrefixes, int minTypes) {
        String dir() { return name.replace('.', '/'); }

        boolean owns(String ctype) {
            String bare = ctype.substring(ctype.indexOf(' ') + 1);
            return cPrefixes.stream().anyMatch(bare::startsWith);
        }
    }

    static final List<FfiPackage> FFI_PACKAGES = List.of(
            new FfiPackage("native-test/abi/verbs.spec", "verbs/src/main/java", "io.jverbs.verbs.ffi", "ibv_sge",
                    List.of("ibv_", "verbs_"), 40),
            new FfiPackage("native-test/abi/verbs.spec", "verbs/src/main/java", "io.jverbs.rdmacm.ffi", "rdma_cm_id",
                    List.of("rdma_"), 7),
            new FfiPackage("native-test/abi/verbs.spec", "verbs/src/main/java", "io.jverbs.verbs.mlx5.ffi", "mlx5dv_qp_init_attr",
                    List.of("mlx5dv_"), 7),
            new FfiPackage("native-test/abi/dpdk.spec", "dpdk/src/main/java", "io.jverbs.dpdk.ffi", "rte_mbuf",
                    List.of("rte_"), 20),
            new FfiPackage("native-test/abi/linux.spec", "raw-eth/src/main/java", "io.jverbs.raweth.linux.ffi", "tpacket3_hdr",
                    List.of("sockaddr_ll", "packet_mreq", "tpacket", "ifreq", "pollfd", "virtio_net_hdr"), 10));
    /** The specs, each run once by GeneratedBindingsUpToDateTest. */
    static final List<String> SPECS = FFI_PACKAGES.stream().map(FfiPackage::spec).distinct().toList();
    static final List<String> HEADERS = List.of("infiniband/verbs.h", "rdma/rdma_cma.h", "infiniband/mlx5dv.h", "rte_eal.h", "rte_mempool.h",
            "rte_mbuf.h", "rte_ethdev.h", "rte_ether.h", "sys/socket.h", "net/if.h", "linux/if_packet.h", "linux/if_tun.h",
            "linux/virtio_net.h", "poll.h");
    /** pkg-config packages whose --cflags the probes compile with (DPDK's headers need them). */
    static final List<String> PKG_CONFIG = List.of("libdpdk");
    static final String DEBIAN_PACKAGES = "gcc, pkg-config, libibverbs-dev, librdmacm-dev, libdpdk-dev, libc6-dev, linux-libc-dev";

    /** A C type as Java sees it: the layout's name is the C type ("struct ibv_wc", "union ibv_gid"). */
    record TypeLayout(String javaClass, GroupLayout layout) {
        String ctype() { return layout.name().orElseThrow(); }
    }

    /** A named member: C path ("wr.rdma.rkey"), offset from the start of the type, size in bytes. */
    record Member(String path, long offset, long size) {}

    /** What the Java side claims for one type. */
    record JavaType(String ctype, long size, long align, List<Member> members) {}

    /** What gcc says: sizeof/alignof of a type (path "-") or offsetof/sizeof of a member. */
    record CFact(long a, long b) {}

    record Result(int types, int fields, List<String> mismatches) {}

    // ---------------------------------------------------------------------------------------------
    // Repository and tools

    /** Walks up from user.dir to the directory holding native-test/abi/verbs.spec. */
    static Path repoRoot() {
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("native-test/abi/verbs.spec"))) {
                return p;
            }
        }
        throw new AssertionError("no native-test/abi/verbs.spec in " + start + " or any parent directory");
    }

    record Run(int exit, String out, String err) {}

    /** Runs a command; an IOException (command not found) comes back to the caller. */
    static Run run(Path cwd, List<String> cmd) throws IOException {
        Files.createDirectories(cwd); // a missing working directory would look like a missing command
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        Path outFile = Files.createTempFile("jverbs-run", ".out");
        Path errFile = Files.createTempFile("jverbs-run", ".err");
        try {
            pb.redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
            Process p = pb.start();
            try {
                if (!p.waitFor(300, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("timed out after 300 s: " + String.join(" ", cmd));
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted: " + String.join(" ", cmd), e);
            }
            return new Run(p.exitValue(), Files.readString(outFile), Files.readString(errFile));
        } finally {
            Files.deleteIfExists(outFile);
            Files.deleteIfExists(errFile);
        }
    }

    private static List<String> cflags;

    /** {@code pkg-config --cflags} of {@link #PKG_CONFIG}, once; fails naming the packages. */
    static synchronized List<String> cflags(Path workDir) {
        if (cflags == null) {
            List<String> cmd = new ArrayList<>(List.of("pkg-config", "--cflags"));
            cmd.addAll(PKG_CONFIG);
            try {
                Run r = run(workDir, cmd);
                if (r.exit() != 0) {
                    throw new AssertionError(String.join(" ", cmd) + " failed (exit " + r.exit() + "): " + r.err()
                            + "\nThe ABI check needs the Debian packages " + DEBIAN_PACKAGES);
                }
                cflags = List.of(r.out().trim().split("\\s+"));
            } catch (IOException e) {
                throw new AssertionError("pkg-config not found on PATH (" + e.getMessage() + "); install the Debian packages "
                        + DEBIAN_PACKAGES, e);
            }
        }
        return cflags;
    }

    /** gcc with the DPDK flags, then {@code args}. */
    static List<String> gcc(Path workDir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("gcc"));
        cmd.addAll(cflags(workDir));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Fails, naming the Debian packages, unless gcc runs and every header preprocesses. Never skips:
     * a host that cannot check the ABI must not pass the ABI check.
     */
    static void requireToolchain(Path workDir) {
        String install = "install them with: sudo apt-get install " + DEBIAN_PACKAGES.replace(",", "");
        try {
            Run v = run(workDir, List.of("gcc", "--version"));
            if (v.exit() != 0) {
                throw new AssertionError("gcc --version failed (exit " + v.exit() + "): " + v.err()
                        + "\nThe ABI check needs the Debian packages " + DEBIAN_PACKAGES + "; " + install);
            }
        } catch (IOException e) {
            throw new AssertionError("gcc not found on PATH (" + e.getMessage() + "). The ABI check needs the"
                    + " Debian packages " + DEBIAN_PACKAGES + "; " + install, e);
        }
        List<String> missing = new ArrayList<>();
        try {
            Files.createDirectories(workDir);
            for (String h : HEADERS) {
                Path src = workDir.resolve("header_probe.c");
                Files.writeString(src, "#include <" + h + ">\nint main(void) { return 0; }\n");
                Run r = run(workDir, gcc(workDir, "-E", "-o", workDir.resolve("header_probe.i").toString(),
                        src.toString()));
                if (r.exit() != 0) {
                    missing.add("<" + h + "> (" + firstLine(r.err()) + ")");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!missing.isEmpty()) {
            throw new AssertionError("headers not found by gcc: " + String.join(", ", missing)
                    + ". <infiniband/verbs.h> and <infiniband/mlx5dv.h> are in the Debian package libibverbs-dev, <rdma/rdma_cma.h> in"
                    + " librdmacm-dev, <rte_*.h> in libdpdk-dev, <sys/socket.h> and <net/if.h> in libc6-dev, <linux/*.h> in linux-libc-dev; " + install);
        }
    }

    private static String firstLine(String s) {
        return s.lines().filter(l -> l.contains("error")).findFirst().orElse(s.strip());
    }

    // ---------------------------------------------------------------------------------------------
    // Finding the layouts

    /** Every class of the package with a static no-argument layout() returning a GroupLayout, by class name. */
    static List<TypeLayout> scan(ClassLoader loader, FfiPackage ffi) {
        TreeSet<String> names = new TreeSet<>();
        String pkg = ffi.name();
        String dir = ffi.dir();
        try {
            List<URL> urls = Collections.list(loader.getResources(dir));
            if (urls.isEmpty()) {
                // A jar built without directory entries has no resource for the package itself:
                // find it through one class it must contain.
                URL anchor = loader.getResource(dir + "/" + ffi.anchor() + ".class");
                if (anchor != null) {
                    String u = anchor.toString();
                    urls = List.of(java.net.URI.create(u.substring(0, u.lastIndexOf('/') + 1)).toURL());
                }
            }
            for (URL url : urls) {
                names.addAll(classNamesIn(url, dir));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<TypeLayout> out = new ArrayList<>();
        for (String simple : names) {
            String cn = pkg + "." + simple;
            Class<?> c;
            try {
                c = Class.forName(cn, false, loader); // the library classes are never initialised
            } catch (ClassNotFoundException | LinkageError e) {
                throw new AssertionError("cannot load " + cn, e);
            }
            Method m;
            try {
                m = c.getDeclaredMethod("layout");
            } catch (NoSuchMethodException e) {
                continue;
            }
            if (!Modifier.isStatic(m.getModifiers()) || !GroupLayout.class.isAssignableFrom(m.getReturnType())) {
                continue;
            }
            try {
                out.add(new TypeLayout(simple, (GroupLayout) m.invoke(null)));
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(cn + ".layout() failed", e);
            }
        }
        return out;
    }

    /** Top-level class names (without '$') in one classpath entry's copy of the package directory. */
    private static List<String> classNamesIn(URL url, String dir) throws IOException {
        List<String> out = new ArrayList<>();
        switch (url.getProtocol()) {
            case "file" -> {
                Path p;
                try {
                    p = Path.of(url.toURI());
                } catch (URISyntaxException e) {
                    throw new IOException(url.toString(), e);
                }
                try (Stream<Path> s = Files.list(p)) {
                    s.map(f -> f.getFileName().toString()).forEach(f -> addClass(out, f));
                }
            }
            case "jar" -> {
                // Open the jar file itself: connecting would need an entry for the directory.
                URL jarUrl = ((JarURLConnection) url.openConnection()).getJarFileURL();
                Path jarPath;
                try {
                    jarPath = Path.of(jarUrl.toURI());
                } catch (URISyntaxException | IllegalArgumentException e) {
                    throw new IOException("cannot open " + jarUrl, e);
                }
                try (JarFile jar = new JarFile(jarPath.toFile())) {
                    String prefix = dir + "/";
                    for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                        String n = e.nextElement().getName();
                        if (n.startsWith(prefix) && n.indexOf('/', prefix.length()) < 0) {
                            addClass(out, n.substring(prefix.length()));
                        }
                    }
                }
            }
            default -> throw new IOException("cannot list classes under " + url + " (protocol " + url.getProtocol() + ")");
        }
        return out;
    }

    private static void addClass(List<String> out, String file) {
        if (file.endsWith(".class") && !file.contains("$") && !file.equals("module-info.class")
                && !file.equals("package-info.class")) {
            out.add(file.substring(0, file.length() - ".class".length()));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Java side

    /**
     * The members of a layout with their C paths: a named group adds ".name", an unnamed group
     * (anonymous C union or struct) is transparent, padding is skipped, a sequence (array or blob)
     * is one member. Offsets come from {@link MemoryLayout#byteOffset(PathElement...)} on the
     * top-level layout, so they are what the FFM runtime will use.
     */
    static JavaType describe(GroupLayout root) {
        String ctype = root.name().orElseThrow(() -> new AssertionError("unnamed top-level layout " + root));
        List<Member> members = new ArrayList<>();
        walk(root, root, "", new ArrayList<>(), members);
        return new JavaType(ctype, root.byteSize(), root.byteAlignment(), members);
    }

    private static void walk(GroupLayout root, GroupLayout group, String prefix, List<PathElement> elements,
                             List<Member> out) {
        List<MemoryLayout> ms = group.memberLayouts();
        for (int i = 0; i < ms.size(); i++) {
            MemoryLayout m = ms.get(i);
            if (m instanceof PaddingLayout) {
                continue;
            }
            List<PathElement> here = new ArrayList<>(elements);
            String path;
            if (m.name().isPresent()) {
                String n = m.name().get();
                here.add(PathElement.groupElement(n));
                path = prefix.isEmpty() ? n : prefix + "." + n;
                out.add(new Member(path, root.byteOffset(here.toArray(PathElement[]::new)), m.byteSize()));
            } else {
                if (!(m instanceof GroupLayout)) {
                    throw new AssertionError(root.name().orElse("?") + ": unnamed member " + m + " at index " + i
                            + " of " + (prefix.isEmpty() ? "the top level" : prefix)
                            + " is neither padding nor a group, so it has no C name");
                }
                here.add(PathElement.groupElement(i));
                path = prefix;
            }
            if (m instanceof GroupLayout g) {
                walk(root, g, path, here, out);
            }
            // value layouts are leaves; sequence layouts (arrays, opaque blobs): offset and total size only
        }
    }

    // ---------------------------------------------------------------------------------------------
    // C side

    static String cProgram(List<JavaType> types) {
        StringBuilder sb = new StringBuilder();
        sb.append("/* Generated by io.jverbs.nativetest.AbiCheckTest from the generated ffi layouts. */\n");
        sb.append("#include <stdio.h>\n#include <stddef.h>\n#include <stdalign.h>\n");
        for (String h : HEADERS) {
            sb.append("#include <").append(h).append(">\n");
        }
        sb.append("\nint main(void) {\n");
        for (JavaType t : types) {
            String c = t.ctype();
            sb.append("    printf(\"%s|-|%zu|%zu\\n\", \"").append(c).append("\", sizeof(").append(c)
              .append("), alignof(").append(c).append("));\n");
            for (Member m : t.members()) {
                sb.append("    printf(\"%s|").append(m.path()).append("|%zu|%zu\\n\", \"").append(c)
                  .append("\", offsetof(").append(c).append(", ").append(m.path()).append("), sizeof(((")
                  .append(c).append(" *)0)->").append(m.path()).append("));\n");
            }
        }
        sb.append("    return 0;\n}\n");
        return sb.toString();
    }

    /** Writes dir/abi_check.c, compiles and runs it; keys are "ctype|path" ("ctype|-" for the type). */
    static Map<String, CFact> probe(Path dir, List<JavaType> types) {
        try {
            Files.createDirectories(dir);
            Path src = dir.resolve("abi_check.c");
            Path exe = dir.resolve("abi_check");
            Files.writeString(src, cProgram(types), StandardCharsets.UTF_8);
            Run cc = run(dir, gcc(dir, "-std=gnu11", "-Wall", "-o", exe.toString(), src.toString()));
            if (cc.exit() != 0) {
                throw new AssertionError("gcc could not compile the ABI probe " + src + " (exit " + cc.exit()
                        + "). Errors name Java member paths or type names that do not exist in the installed"
                        + " headers:\n" + errors(cc.err()));
            }
            Run r = run(dir, List.of(exe.toString()));
            if (r.exit() != 0) {
                throw new AssertionError(exe + " exited with " + r.exit() + ": " + r.err());
            }
            Map<String, CFact> facts = new HashMap<>();
            for (String line : r.out().lines().toList()) {
                String[] f = line.split("\\|");
                facts.put(f[0] + "|" + f[1], new CFact(Long.parseLong(f[2]), Long.parseLong(f[3])));
            }
            return facts;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String errors(String gccErr) {
        List<String> lines = gccErr.lines().filter(l -> l.contains("error")).toList();
        if (lines.isEmpty()) {
            lines = gccErr.lines().toList();
        }
        return String.join("\n", lines.subList(0, Math.min(lines.size(), 200)));
    }

    // ---------------------------------------------------------------------------------------------
    // Comparison

    /** Compares every type and member; returns all mismatches, one line each. */
    static Result compare(List<JavaType> types, Map<String, CFact> c) {
        List<String> bad = new ArrayList<>();
        int fields = 0;
        for (JavaType t : types) {
            CFact tf = c.get(t.ctype() + "|-");
            if (tf == null) {
                bad.add(t.ctype() + ": no C facts");
                continue;
            }
            check(bad, t.ctype(), "(type)", "sizeof", t.size(), tf.a());
            check(bad, t.ctype(), "(type)", "alignof", t.align(), tf.b());
            for (Member m : t.members()) {
                fields++;
                CFact mf = c.get(t.ctype() + "|" + m.path());
                if (mf == null) {
                    bad.add(t.ctype() + " " + m.path() + ": no C facts");
                    continue;
                }
                check(bad, t.ctype(), m.path(), "offsetof", m.offset(), mf.a());
                check(bad, t.ctype(), m.path(), "sizeof", m.size(), mf.b());
            }
        }
        return new Result(types.size(), fields, bad);
    }

    private static void check(List<String> bad, String type, String path, String what, long java, long c) {
        if (java != c) {
            bad.add(String.format("%-28s %-36s %-8s java %5d   C %5d", type, path, what, java, c));
        }
    }

    /** Runs the whole check for the given layouts; the C probe lands in dir. */
    static Result check(Path dir, List<GroupLayout> layouts) {
        List<JavaType> types = layouts.stream().map(AbiCheck::describe).toList();
        return compare(types, probe(dir, types));
    }

    static String report(Result r) {
        return r.mismatches().size() + " ABI mismatch(es) between the Java layouts in "
                + FFI_PACKAGES.stream().map(FfiPackage::name).toList()
                + " and the installed rdma-core, DPDK and Linux headers. If the committed bindings are stale, regenerate them"
                + " from the repository root with `python3 native-test/abi/gen_ffi.py native-test/abi/<spec>` for "
                + SPECS + ";"
                + " if they are up to date (GeneratedBindingsUpToDateTest passes), native-test/abi/gen_ffi.py"
                + " itself is wrong:\n"
                + String.format("%-28s %-36s %-8s %s%n", "TYPE", "PATH", "WHAT", "VALUES")
                + String.join("\n", r.mismatches());
    }
}
