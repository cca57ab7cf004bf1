package io.jverbs.perftest.cli;

import io.jverbs.perftest.Engine;
import io.jverbs.perftest.ExitCodes;
import io.jverbs.perftest.Measure;
import io.jverbs.perftest.TestKind;
import io.jverbs.perftest.TestParameters;
import io.jverbs.perftest.Version;
import io.jverbs.perftest.report.RunReport;
import io.jverbs.perftest.system.Doctor;
import io.jverbs.perftest.system.SysfsRdma;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Function;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * jperf's command line: {@code jperf TEST [options] [SERVER]} for the eight perftest RDMA tests and
 * the two raw Ethernet tests ({@code raw_ethernet_bw}, {@code raw_ethernet_lat}), plus
 * {@code devices}, {@code doctor} and {@code completion}. Exit codes: {@link ExitCodes}.
 */
public final class Jperf {
    private final PrintStream out;
    private final PrintStream err;
    private final Function<TestParameters, Optional<Engine>> engines;
    private final SysfsRdma sysfs;

    /**
     * A CLI printing to {@code out}/{@code err} that runs tests with the engine {@code engines}
     * returns, and reads device facts from {@code sysfs}.
     */
    public Jperf(PrintStream out, PrintStream err, Function<TestParameters, Optional<Engine>> engines, SysfsRdma sysfs) {
        this.out = out;
        this.err = err;
        this.engines = engines;
        this.sysfs = sysfs;
    }

    /** Runs jperf with the engines registered as {@code META-INF/services/io.jverbs.perftest.Engine}. */
    public static void main(String[] args) {
        System.exit(new Jperf(System.out, System.err, Jperf::serviceEngine, SysfsRdma.system()).execute(args));
    }

    static Optional<Engine> serviceEngine(TestParameters p) {
        return ServiceLoader.load(Engine.class).stream().map(ServiceLoader.Provider::get).filter(e -> e.supports(p))
                .findFirst();
    }

    /**
     * Parses the command line into the model (for engines' tests and tools).
     *
     * @param args the subcommand and its options, e.g. {@code "write_bw", "-s", "8", "host"}
     * @throws UsageException as jperf would report it
     */
    public static TestParameters parse(String... args) throws UsageException {
        if (args.length == 0) {
            throw new UsageException("no test given");
        }
        Map<String, TestCommand> tests = tests();
        TestCommand test = tests.get(args[0]);
        if (test == null) {
            throw new UsageException("unknown test '" + args[0] + "'");
        }
        try {
            new CommandLine(test.spec).parseArgs(java.util.Arrays.copyOfRange(args, 1, args.length));
        } catch (CommandLine.ParameterException e) {
            throw new UsageException(oneLine(e.getMessage()));
        }
        return Resolver.resolve(test);
    }

    /** Runs one command line and returns the exit code. */
    public int execute(String... args) {
        Map<String, TestCommand> tests = tests();
        CommandSpec top = CommandSpec.create().name("jperf").mixinStandardHelpOptions(true).version(Version.line());
        top.usageMessage().description("perftest in Java: RDMA bandwidth and latency tests, wire-compatible with"
                + " perftest's ib_*_bw/ib_*_lat. Exit codes: 0 ok, 1 failure, 2 usage error, 3 threshold missed.");
        CommandLine cli = new CommandLine(top);
        tests.values().forEach(t -> cli.addSubcommand(t.name(), new CommandLine(t.spec.version(Version.line()))));
        DevicesCommand devices = new DevicesCommand();
        cli.addSubcommand("devices", devices);
        cli.addSubcommand("doctor", new DoctorCommand());
        cli.addSubcommand("completion", new CompletionCommand());
        cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));

        CommandLine.ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            return usage(e.getCommandLine().getCommandName(), oneLine(e.getMessage()));
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            return ExitCodes.OK;
        }
        if (!parsed.hasSubcommand()) {
            return usage("jperf", "no test given (write_bw, write_lat, read_bw, read_lat, send_bw, send_lat, atomic_bw,"
                    + " atomic_lat, raw_ethernet_bw, raw_ethernet_lat, devices, doctor, completion)");
        }
        String name = parsed.subcommand().commandSpec().name();
        return switch (name) {
            case "devices" -> devices.run(out, err, sysfs, Jperf::softDevices);
            case "doctor" -> new Doctor(sysfs, Path.of("/proc"), Jperf::softDevices).run(out);
            case "completion" -> {
                out.print(AutoComplete.bash("jperf", cli));
                yield ExitCodes.OK;
            }
            default -> runTest(tests.get(name));
        };
    }

    private int runTest(TestCommand test) {
        TestParameters p;
        try {
            p = Resolver.resolve(test);
        } catch (UsageException e) {
            return usage(test.name(), e.getMessage());
        }
        Optional<Engine> engine = engines.apply(p);
        if (engine.isEmpty()) {
            err.println("jperf " + test.name() + ": no engine on the class path runs this test");
            return ExitCodes.FAILURE;
        }
        RunReport report = new RunReport(p, out, err);
        try {
            engine.get().run(p, report);
            return report.finish();
        } catch (Exception | OutOfMemoryError | java.util.ServiceConfigurationError e) {
            String message = e instanceof java.util.ServiceConfigurationError ? "a device provider failed to start: " + rootMessage(e)
                    : e.getMessage() == null ? e.getClass().getSimpleName() : oneLine(e.getMessage());
            err.println("jperf " + test.name() + ": " + message);
            if (p.reporting().debug()) {
                e.printStackTrace(err);
            }
            return ExitCodes.FAILURE;
        }
    }

    private int usage(String command, String message) {
        String where = command.equals("jperf") ? "jperf" : "jperf " + command;
        err.println(where + ": " + message + " (see '" + where + " --help')");
        return ExitCodes.USAGE;
    }

    /** The message of the innermost cause (a soft device's bad configuration inside ServiceLoader's wrapping). */
    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : oneLine(t.getMessage());
    }

    static String oneLine(String message) {
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    static Map<String, TestCommand> tests() {
        Map<String, TestCommand> tests = new LinkedHashMap<>();
        for (TestKind kind : List.of(TestKind.WRITE, TestKind.READ, TestKind.SEND, TestKind.ATOMIC)) {
            for (Measure measure : Measure.values()) {
                TestCommand t = new TestCommand(kind, measure);
                tests.put(t.name(), t);
            }
        }
        for (Measure measure : Measure.values()) {
            TestCommand t = TestCommand.raw(measure);
            tests.put(t.name(), t);
        }
        return tests;
    }

    /** The soft devices configured for this JVM, as {@code jsoft0 (127.0.0.1, MTU 1024)}; none opened. */
    static List<String> softDevices() {
        // A configuration that does not parse throws IllegalArgumentException naming it.
        return io.jverbs.soft.device.SoftProvider.configs().stream()
                .map(c -> c.name() + " (" + c.address().getHostAddress() + ", MTU " + c.mtu() + ")").toList();
    }

    @CommandLine.Command(name = "doctor", description = "Check for a device (kernel or soft), port state, GIDs, the memlock limit and"
            + " hugepages; print the fix of each problem")
    static final class DoctorCommand {
    }

    @CommandLine.Command(name = "completion", description = "Print a bash completion script: source <(./jperf completion)")
    static final class CompletionCommand {
    }
}
