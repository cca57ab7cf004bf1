import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The Java side of the downcall-cost probe (downcall.c is the C side): abs() through a critical
 * and a plain FFM downcall, and Math.abs for the cost of the loop itself, N calls each, 4 rounds
 * (the first is warm-up). Usage: java DowncallCost N
 */
public final class DowncallCost {
    public static void main(String[] args) throws Throwable {
        long n = Long.parseLong(args[0]);
        Linker linker = Linker.nativeLinker();
        MemorySegment abs = linker.defaultLookup().findOrThrow("abs");
        FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        MethodHandle critical = linker.downcallHandle(abs, fd, Linker.Option.critical(false));
        MethodHandle plain = linker.downcallHandle(abs, fd);
        long sum = 0;
        for (int round = 0; round < 4; round++) {
            long t0 = System.nanoTime();
            for (long i = 0; i < n; i++) sum += (int) critical.invokeExact((int) i);
            long t1 = System.nanoTime();
            for (long i = 0; i < n; i++) sum += (int) plain.invokeExact((int) i);
            long t2 = System.nanoTime();
            for (long i = 0; i < n; i++) sum += Math.abs((int) i);
            long t3 = System.nanoTime();
            System.out.printf("Java  abs() critical downcall %8.1f   plain downcall %8.1f   Math.abs loop %6.1f ns/call%s%n",
                    (t1 - t0) / (double) n, (t2 - t1) / (double) n, (t3 - t2) / (double) n, round == 0 ? "  (warm-up)" : "");
        }
        if (sum == 42) System.out.println();   // keeps the loops
    }
}
