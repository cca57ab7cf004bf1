package io.jverbs.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The quick start is written four times: in QuickStart.java, which compiles and runs, and in
 * README.md, docs/verbs.md and the io.jverbs.verbs package doc, which nothing compiles. Each copy
 * must equal the region QuickStart.java marks with {@code // @start region="quickstart"} and
 * {@code // @end}, up to indentation and the javadoc " * " prefix.
 */
class DocsInSyncTest {
    private static final String QUICK_START = "examples/src/main/java/io/jverbs/examples/QuickStart.java";
    private static final String START = "// @start region=\"quickstart\"";
    private static final String END = "// @end";

    /** The repository root: jverbs.root from the pom, or the parent of the module directory surefire runs in. */
    private static final Path ROOT = Path.of(System.getProperty("jverbs.root", "..")).toAbsolutePath().normalize();

    @Test
    void readmeQuickStartIsTheExample() throws IOException {
        assertSameAsQuickStart("README.md", "its first ```java block", firstJavaBlock("README.md"));
    }

    @Test
    void verbsGuideQuickStartIsTheExample() throws IOException {
        assertSameAsQuickStart("docs/verbs.md", "its first ```java block", firstJavaBlock("docs/verbs.md"));
    }

    @Test
    void verbsPackageDocSnippetIsTheExample() throws IOException {
        String file = "verbs/src/main/java/io/jverbs/verbs/package-info.java";
        assertSameAsQuickStart(file, "its {@snippet :}", snippet(file));
    }

    private static void assertSameAsQuickStart(String file, String where, List<String> copy) throws IOException {
        List<String> region = normalise(region());
        List<String> have = normalise(copy);
        if (!have.equals(region)) {
            fail(file + " (" + where + ") differs from the quickstart region of " + QUICK_START
                    + ". Indentation and the javadoc ' * ' are ignored; '-' is QuickStart.java, '+' is " + file
                    + " (numbered from the block's first line).\nChange QuickStart.java first (it compiles), then"
                    + " copy its region into README.md, docs/verbs.md and the package doc.\n" + diff(region, have));
        }
    }

    private static List<String> region() throws IOException {
        List<String> lines = read(QUICK_START);
        int start = indexOf(lines, START, 0);
        int end = indexOf(lines, END, start + 1);
        if (start < 0 || end < 0) {
            fail(QUICK_START + " must mark the quick start with a line '" + START + "' and, after it, '" + END + "'");
        }
        return lines.subList(start + 1, end);
    }

    private static int indexOf(List<String> lines, String marker, int from) {
        for (int i = Math.max(from, 0); i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker)) {
                return i;
            }
        }
        return -1;
    }

    private static List<String> firstJavaBlock(String file) throws IOException {
        List<String> lines = read(file);
        int start = indexOf(lines, "```java", 0);
        int end = indexOf(lines, "```", start + 1);
        if (start < 0 || end < 0) {
            fail(file + " has no ```java block: the quick start is missing");
        }
        return lines.subList(start + 1, end);
    }

    /** The body of the first inline snippet, with the comment's " * " prefixes removed; braces balance as javadoc counts them. */
    private static List<String> snippet(String file) throws IOException {
        StringBuilder doc = new StringBuilder();
        for (String line : read(file)) {
            doc.append(line.replaceFirst("^\\s*\\* ?", "")).append('\n');
        }
        String tag = "{@snippet :";
        int open = doc.indexOf(tag);
        if (open < 0) {
            fail(file + " has no '" + tag + "': the quick start is missing");
        }
        int depth = 1;
        int i = open + tag.length();
        for (; i < doc.length() && depth > 0; i++) {
            char c = doc.charAt(i);
            depth += c == '{' ? 1 : c == '}' ? -1 : 0;
        }
        if (depth > 0) {
            fail(file + ": the " + tag + " never closes (unbalanced braces)");
        }
        // From the line after the tag to the line before the closing brace.
        String body = doc.substring(open + tag.length(), i - 1);
        List<String> lines = new ArrayList<>(List.of(body.split("\n", -1)));
        lines.removeFirst();
        lines.removeLast();
        return lines;
    }

    /** Strips trailing blanks, surrounding blank lines and the indentation all lines share. */
    private static List<String> normalise(List<String> lines) {
        List<String> out = new ArrayList<>(lines.stream().map(String::stripTrailing).toList());
        while (!out.isEmpty() && out.getFirst().isEmpty()) {
            out.removeFirst();
        }
        while (!out.isEmpty() && out.getLast().isEmpty()) {
            out.removeLast();
        }
        int indent = out.stream().filter(l -> !l.isEmpty())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        out.replaceAll(l -> l.isEmpty() ? l : l.substring(indent));
        return out;
    }

    /** A line diff (longest common subsequence): ' ' in both, '-' only in a, '+' only in b; numbers count b's lines. */
    private static String diff(List<String> a, List<String> b) {
        int n = a.size(), m = b.size();
        int[][] common = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                common[i][j] = a.get(i).equals(b.get(j)) ? common[i + 1][j + 1] + 1
                        : Math.max(common[i + 1][j], common[i][j + 1]);
            }
        }
        StringBuilder sb = new StringBuilder();
        int i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a.get(i).equals(b.get(j))) {
                sb.append(String.format("  %3d   %s%n", j + 1, b.get(j)));
                i++;
                j++;
            } else if (i < n && (j == m || common[i + 1][j] >= common[i][j + 1])) {
                sb.append(String.format("      - %s%n", a.get(i)));
                i++;
            } else {
                sb.append(String.format("  %3d + %s%n", j + 1, b.get(j)));
                j++;
            }
        }
        return sb.toString();
    }

    private static List<String> read(String file) throws IOException {
        Path p = ROOT.resolve(file);
        if (!Files.isRegularFile(p)) {
            fail(p + " not found: is " + ROOT + " the jverbs repository root? (system property jverbs.root)");
        }
        return Files.readAllLines(p);
    }
}
