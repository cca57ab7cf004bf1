#!/usr/bin/env python3
"""Generates jextract-shaped FFM bindings from a small spec and the installed C headers.

jextract cannot be installed here, so this does its layout work the safe way: every offset,
size and padding byte comes from gcc (a probe program prints offsetof/sizeof for each field of
the spec), never from a hand-kept table. The spec only says which fields Java needs and their
kinds. The output is committed; AbiCheckTest re-checks it against gcc on every test run.

  python3 native-test/abi/gen_ffi.py native-test/abi/verbs.spec [--out DIR]

Run it from the repository root: the spec path is written into every header comment, so the
committed files are reproduced byte for byte only with that exact relative path.

Spec syntax (indentation nests inline groups; '#' starts a comment):
  package io.jverbs.verbs.ffi            Java package of what follows (one per native library;
                                         an embedded type from another package is imported)
  output verbs/src/main/java             source root
  include <infiniband/verbs.h>           header for the probe
  pkgconfig libdpdk                      compile the probe with `pkg-config --cflags libdpdk`
  struct ibv_wc | union ibv_gid          a C type; the Java class gets its bare name
    wr_id u64                            leaf: u8 u16 u32 i32 u64 i64 ptr
    fw_ver u8[64]                        byte array (accessor returns a slice)
    mutex opaque                         bytes Java never reads (size from gcc)
    cap @ibv_qp_cap                      embedded struct declared elsewhere in the spec
    wr union / _ union                   inline named group / anonymous group, members below
  library IbVerbs libibverbs.so.1 libibverbs1   header class, soname, Debian package (the same
                                         line again later continues that class)
  fn ibv_open_device ptr ptr:device errno       return, args (type[:name]); 'errno' = capture,
                                         'critical' = Linker.Option.critical(false) (short, non-blocking),
                                         'varargs:N' = variadic from argument N (ioctl, open)
  data rte_eth_fp_ops                    exported data of the library above: its address (for a
                                         thread-local symbol, dlsym gives the calling thread's copy)
  const RTE_PKTMBUF_HEADROOM [EXPR]      a long constant of the library class, evaluated by gcc
                                         (EXPR defaults to NAME; the rest of the line, no '#')
"""
import os
import re
import subprocess
import sys
import tempfile

LEAF = {"u8": 1, "u16": 2, "u32": 4, "i32": 4, "u64": 8, "i64": 8, "ptr": 8}
JLAYOUT = {"u8": "JAVA_BYTE", "u16": "JAVA_SHORT", "u32": "JAVA_INT", "i32": "JAVA_INT",
           "u64": "JAVA_LONG", "i64": "JAVA_LONG", "ptr": "ADDRESS"}
JTYPE = {"u8": "byte", "u16": "short", "u32": "int", "i32": "int", "u64": "long", "i64": "long",
         "ptr": "MemorySegment", "void": "void"}


class Node:
    def __init__(self, name, kind, count=None, ref=None):
        self.name, self.kind, self.count, self.ref = name, kind, count, ref
        self.children = []
        self.offset = self.size = None  # absolute offset in the top-level type, size in bytes


class Type:
    def __init__(self, ctype, package, output):
        self.ctype, self.package, self.output = ctype, package, output
        self.jname = ctype.split()[1]
        self.root = Node(None, ctype.split()[0])


class Library:
    def __init__(self, jname, soname, debpkg, package, output):
        self.jname, self.soname, self.debpkg, self.package, self.output = jname, soname, debpkg, package, output
        self.fns = []
        self.data = []
        self.consts = []  # (name, C expression); values filled in by the probe


def parse(path):
    types, libs, includes, pkgconfig = [], [], [], []
    package = output = None
    stack = []  # (indent, node)
    lib = None
    for raw in open(path):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        words = line.split()
        if indent == 0:
            stack = []
            key = words[0]
            if key == "package":
                package = words[1]
            elif key == "output":
                output = words[1]
            elif key == "include":
                includes.append(words[1])
            elif key == "pkgconfig":
                pkgconfig.append(words[1])
            elif key in ("struct", "union"):
                t = Type(" ".join(words[:2]), package, output)
                types.append(t)
                stack = [(0, t.root)]
                lib = None
            elif key == "library":
                # Naming a library again continues it, so a feature's functions can sit in a block of their own.
                lib = next((l for l in libs if l.jname == words[1]), None)
                if lib is None:
                    lib = Library(words[1], words[2], words[3], package, output)
                    libs.append(lib)
                elif (lib.soname, lib.debpkg) != (words[2], words[3]):
                    sys.exit("library %s named again with another soname or package: %s" % (words[1], line))
            elif key == "fn":
                ret, name, args = words[2], words[1], []
                flags = set()
                while words[-1] in ("errno", "critical") or words[-1].startswith("varargs:"):
                    flags.add(words.pop())
                for i, a in enumerate(words[3:]):
                    ty, _, an = a.partition(":")
                    args.append((ty, an or "arg%d" % i))
                lib.fns.append((name, ret, args, flags))
            elif key == "data":
                lib.data.append(words[1])
            elif key == "const":
                lib.consts.append([words[1], " ".join(words[2:]) or words[1], None])
            else:
                sys.exit("unknown directive: " + line)
            continue
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        name, kind = words[0], words[1]
        m = re.fullmatch(r"u8\[(\d+)\]", kind)
        if m:
            node = Node(name, "array", count=int(m.group(1)))
        elif kind.startswith("@"):
            node = Node(name, "ref", ref=kind[1:])
        elif kind in ("struct", "union"):
            node = Node(name, kind)
            stack.append((indent, node))
        elif kind in LEAF or kind == "opaque":
            node = Node(name, kind)
        else:
            sys.exit("unknown field kind: " + line)
        parent.children.append(node)
    return types, libs, includes, pkgconfig


def walk(node, prefix):
    """Yields (cpath, node) for every named node; anonymous groups are transparent in C paths."""
    for c in node.children:
        path = prefix if c.name == "_" else (prefix + "." + c.name if prefix else c.name)
        if c.name != "_":
            yield path, c
        if c.kind in ("struct", "union"):
            yield from walk(c, path)


def probe(types, includes, libs=(), cflags=()):
    lines = ["#include <stdio.h>", "#include <stddef.h>", "#include <stdalign.h>"]
    lines += ["#include %s" % i for i in includes]
    lines.append("int main(void) {")
    for t in types:
        lines.append('printf("%%s|-|%%zu|%%zu\\n", "%s", sizeof(%s), alignof(%s));' % (t.ctype, t.ctype, t.ctype))
        for path, _ in walk(t.root, ""):
            lines.append('printf("%%s|%s|%%zu|%%zu\\n", "%s", offsetof(%s, %s), sizeof(((%s*)0)->%s));'
                         % (path, t.ctype, t.ctype, path, t.ctype, path))
    for lib in libs:
        for c in lib.consts:
            lines.append('printf("const|%s|%%lld|0\\n", (long long)(%s));' % (c[0], c[1]))
    lines.append("return 0; }")
    with tempfile.TemporaryDirectory() as d:
        src, exe = os.path.join(d, "probe.c"), os.path.join(d, "probe")
        open(src, "w").write("\n".join(lines) + "\n")
        subprocess.run(["gcc"] + list(cflags) + ["-o", exe, src], check=True)
        out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    facts = {}
    for line in out.splitlines():
        ctype, path, a, b = line.split("|")
        facts[(ctype, path)] = (int(a), int(b))
    return facts


def measure(t, facts, sizes):
    size, _ = facts[(t.ctype, "-")]
    t.root.offset, t.root.size = 0, size

    def visit(node, prefix):
        for c in node.children:
            path = prefix if c.name == "_" else (prefix + "." + c.name if prefix else c.name)
            if c.kind in ("struct", "union"):
                visit(c, path)
            if c.name == "_":
                c.offset = min(x.offset for x in c.children)
                c.size = max(x.offset + x.size for x in c.children) - c.offset
            else:
                c.offset, c.size = facts[(t.ctype, path)]
            want = {"array": (c.count or 0), "ref": sizes.get(c.ref)}.get(c.kind, LEAF.get(c.kind))
            if c.kind not in ("struct", "union", "opaque") and want != c.size:
                sys.exit("%s.%s: spec says %s bytes, gcc says %d" % (t.ctype, path, want, c.size))
            if c.kind in LEAF and c.offset % c.size:
                sys.exit("%s.%s: unaligned leaf at %d" % (t.ctype, path, c.offset))
    visit(t.root, "")


def natural_align(node, sizes_align):
    """The alignment Java derives for a node: leaves by size, blobs 1, groups the max of members."""
    if node.kind in LEAF:
        return LEAF[node.kind]
    if node.kind == "ref":
        return sizes_align[node.ref]
    if node.kind in ("struct", "union"):
        return max(natural_align(c, sizes_align) for c in node.children)
    return 1


def layout_expr(node, indent):
    pad = " " * indent
    if node.kind in LEAF:
        return "%s.withName(\"%s\")" % (JLAYOUT[node.kind], node.name)
    if node.kind == "array":
        return "MemoryLayout.sequenceLayout(%d, JAVA_BYTE).withName(\"%s\")" % (node.count, node.name)
    if node.kind == "opaque":
        return "MemoryLayout.sequenceLayout(%d, JAVA_BYTE).withName(\"%s\")" % (node.size, node.name)
    if node.kind == "ref":
        return "%s.layout().withName(\"%s\")" % (node.ref, node.name)
    parts = []
    if node.kind == "struct":
        cursor = node.offset
        for c in sorted(node.children, key=lambda x: x.offset):
            if c.offset > cursor:
                parts.append("MemoryLayout.paddingLayout(%d)" % (c.offset - cursor))
            parts.append(layout_expr(c, indent + 4))
            cursor = c.offset + c.size
        if node.offset + node.size > cursor:
            parts.append("MemoryLayout.paddingLayout(%d)" % (node.offset + node.size - cursor))
        fn = "structLayout"
    else:
        for c in node.children:
            parts.append(layout_expr(c, indent + 4))
        if max(c.size for c in node.children) < node.size:
            parts.append("MemoryLayout.paddingLayout(%d)" % node.size)
        fn = "unionLayout"
    inner = (",\n" + pad + "    ").join(parts)
    expr = "MemoryLayout.%s(\n%s    %s)" % (fn, pad, inner)
    return expr if node.name in (None, "_") else expr + ".withName(\"%s\")" % node.name


def accessors(t):
    out = []

    def visit(node, prefix):
        for c in node.children:
            jn = prefix if c.name == "_" else (prefix + "_" + c.name if prefix else c.name)
            if c.name != "_":
                out.append("    public static long %s$offset() { return %dL; }" % (jn, c.offset))
                if c.kind in LEAF:
                    jt, jl = JTYPE[c.kind], JLAYOUT[c.kind]
                    out.append("    public static %s %s(MemorySegment struct) { return struct.get(%s, %dL); }"
                               % (jt, jn, jl, c.offset))
                    out.append("    public static void %s(MemorySegment struct, %s value) { struct.set(%s, %dL, value); }"
                               % (jn, jt, jl, c.offset))
                elif c.kind in ("array", "ref", "opaque"):
                    out.append("    public static MemorySegment %s(MemorySegment struct) { return struct.asSlice(%dL, %dL); }"
                               % (jn, c.offset, c.size))
            if c.kind in ("struct", "union"):
                visit(c, jn)
    visit(t.root, "")
    return out


ALIGNS = {}
PACKAGES = {}  # Java class name of every spec type -> its package, for references across packages
HEADER = "// Generated by native-test/abi/gen_ffi.py from %s and the installed headers. Do not edit.\n"


def refs(node):
    """Java class names of the spec types that node embeds, at any depth."""
    for c in node.children:
        if c.kind == "ref":
            yield c.ref
        yield from refs(c)


def emit_type(t, spec):
    expr = layout_expr(t.root, 4)
    if t.align > natural_align(t.root, ALIGNS):  # opaque blobs hide C's alignment from Java
        expr += ".withByteAlignment(%d)" % t.align
    foreign = sorted({"%s.%s" % (PACKAGES[r], r) for r in refs(t.root) if PACKAGES[r] != t.package})
    body = [HEADER % spec, "package %s;\n" % t.package]
    if foreign:  # e.g. rdma_ud_param embeds io.jverbs.verbs.ffi.ibv_ah_attr
        body += ["import %s;" % f for f in foreign] + [""]
    body += ["import java.lang.foreign.GroupLayout;", "import java.lang.foreign.MemoryLayout;",
            "import java.lang.foreign.MemorySegment;\n",
            "import static java.lang.foreign.ValueLayout.*;\n",
            "/** Layout and accessors of {@code %s}; offsets are absolute, nested fields are joined with '_'. */" % t.ctype,
            "@SuppressWarnings(\"unused\")",
            "public final class %s {" % t.jname,
            "    private %s() {}\n" % t.jname,
            "    private static final GroupLayout LAYOUT = %s.withName(\"%s\");\n" % (expr, t.ctype),
            "    public static GroupLayout layout() { return LAYOUT; }",
            "    public static long sizeof() { return %dL; }\n" % t.root.size]
    body += accessors(t)
    body.append("}")
    write(t.output, t.package, t.jname, "\n".join(body) + "\n")


def emit_library(lib, spec):
    b = [HEADER % spec, "package %s;\n" % lib.package,
         "import io.jverbs.core.ffi.LibC;", "import io.jverbs.core.ffi.Native;",
         "import io.jverbs.core.ffi.NativeLibrary;\n",
         "import java.lang.foreign.FunctionDescriptor;", "import java.lang.foreign.MemorySegment;",
         "import java.lang.invoke.MethodHandle;\n",
         "import static java.lang.foreign.ValueLayout.*;\n",
         "/**",
         " * Exported functions of {@code %s} (Debian package {@code %s}), one handle each. Handles are" % (lib.soname, lib.debpkg),
         " * created on first use; a symbol the installed library lacks fails then, with its name. Functions",
         " * marked errno capture it: read it with {@link Native#lastErrno()} on the same thread.",
         " */",
         "@SuppressWarnings(\"unused\")",
         "public final class %s {" % lib.jname,
         "    private %s() {}\n" % lib.jname,
         "    public static final NativeLibrary LIBRARY = NativeLibrary.of(\"%s\", \"%s\");\n" % (lib.soname, lib.debpkg)]
    for c in lib.consts:
        b.append("    public static final long %s = %dL;" % (c[0], c[2]))
    if lib.consts:
        b.append("")
    for d in lib.data:
        b += ["    /** The address of the exported data {@code %s} (of the calling thread's copy if thread-local). */" % d,
              "    public static MemorySegment %s() { return LIBRARY.find(\"%s\"); }\n" % (d, d)]
    for name, ret, args, flags in lib.fns:
        capture = "errno" in flags
        desc_args = ", ".join(JLAYOUT[a] for a, _ in args)
        if ret == "void":
            desc = "FunctionDescriptor.ofVoid(%s)" % desc_args
        else:
            desc = "FunctionDescriptor.of(%s)" % ", ".join([JLAYOUT[ret]] + [JLAYOUT[a] for a, _ in args])
        opts = (", Native.CAPTURE_ERRNO" if capture else "") + (", Native.CRITICAL" if "critical" in flags else "")
        for f in sorted(x for x in flags if x.startswith("varargs:")):  # C '...' starts at this argument
            opts += ", java.lang.foreign.Linker.Option.firstVariadicArg(%d)" % int(f.split(":")[1])
        params = ", ".join("%s %s" % (JTYPE[a], n) for a, n in args)
        call_args = ", ".join((["Native.errnoState()"] if capture else []) + [n for _, n in args])
        cast = "" if ret == "void" else "(%s) " % JTYPE[ret]
        ret_kw = "" if ret == "void" else "return "
        b += ["    private static final class %s$ {" % name,
              "        static final FunctionDescriptor DESC = %s;" % desc,
              "        static final MethodHandle HANDLE = LIBRARY.has(\"%s\") ? LIBRARY.downcall(\"%s\", DESC%s) : null;" % (name, name, opts),
              "    }\n",
              "    public static FunctionDescriptor %s$descriptor() { return %s$.DESC; }" % (name, name),
              "    public static MemorySegment %s$address() { return LIBRARY.find(\"%s\"); }" % (name, name),
              "    public static MethodHandle %s$handle() {" % name,
              "        MethodHandle h = %s$.HANDLE;" % name,
              "        if (h == null) LIBRARY.find(\"%s\"); // throws, naming the symbol" % name,
              "        return h;",
              "    }\n",
              "    public static %s %s(%s) {" % (JTYPE[ret], name, params),
              "        MethodHandle h = %s$handle();" % name,
              "        try {",
              "            %s%sh.invokeExact(%s);" % (ret_kw, cast, call_args),
              "        } catch (Throwable t) {",
              "            throw LibC.rethrow(t);",
              "        }",
              "    }\n"]
    b.append("}")
    write(lib.output, lib.package, lib.jname, "\n".join(b) + "\n")


def write(output, package, jname, text):
    d = os.path.join(output, package.replace(".", "/"))
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, jname + ".java"), "w").write(text)


def main():
    args = sys.argv[1:]
    out = None
    if "--out" in args:  # write under DIR instead of the spec's output root (GeneratedBindingsUpToDateTest)
        i = args.index("--out")
        out = args[i + 1]
        del args[i:i + 2]
    spec = args[0]
    types, libs, includes, pkgconfig = parse(spec)
    for x in (types + libs) if out else ():
        x.output = out
    cflags = []
    for p in pkgconfig:
        cflags += subprocess.run(["pkg-config", "--cflags", p], check=True, capture_output=True, text=True).stdout.split()
    facts = probe(types, includes, libs, cflags)
    for lib in libs:
        for c in lib.consts:
            c[2] = facts[("const", c[0])][0]
    sizes = {t.jname: facts[(t.ctype, "-")][0] for t in types}
    for t in types:
        t.align = facts[(t.ctype, "-")][1]
        ALIGNS[t.jname] = t.align
        PACKAGES[t.jname] = t.package
    for t in types:
        measure(t, facts, sizes)
        emit_type(t, spec)
    for lib in libs:
        emit_library(lib, spec)
    print("generated %d types and %d libraries (%d functions)" % (len(types), len(libs), sum(len(l.fns) for l in libs)))


if __name__ == "__main__":
    main()
