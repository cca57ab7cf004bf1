package io.jverbs.perftest.cli;

import io.jverbs.perftest.Measure;
import io.jverbs.perftest.TestKind;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * One test subcommand ({@code write_bw} ... {@code raw_ethernet_lat}): the option groups perftest
 * accepts for it, mixed into a picocli spec, and the typed values after parsing (null groups are
 * not valid for the test).
 */
final class TestCommand {
    final TestKind kind;
    final Measure measure;
    final Options.Common common = new Options.Common();
    final Options.Rdma rdma;
    final Options.Raw raw;
    final Options.Size size;
    final Options.Bw bw;
    final Options.Lat lat;
    final Options.Rx rx;
    final Options.Inline inline;
    final Options.Events events;
    final Options.Outs outs;
    final Options.Atomic atomic;
    final CommandSpec spec;

    /** An RDMA test: {@code ib_<kind>_<measure>}. */
    TestCommand(TestKind kind, Measure measure) {
        this(kind, measure, false);
    }

    /** A raw Ethernet test: perftest's {@code raw_ethernet_bw}/{@code _lat} (verb send, connection RawEth). */
    static TestCommand raw(Measure measure) {
        return new TestCommand(TestKind.SEND, measure, true);
    }

    private TestCommand(TestKind kind, Measure measure, boolean rawEthernet) {
        this.kind = kind;
        this.measure = measure;
        rdma = rawEthernet ? null : new Options.Rdma();
        raw = rawEthernet ? new Options.Raw() : null;
        size = kind != TestKind.ATOMIC ? new Options.Size() : null;
        bw = measure == Measure.BW ? new Options.Bw() : null;
        lat = measure == Measure.LAT ? new Options.Lat() : null;
        rx = kind == TestKind.SEND && !rawEthernet ? new Options.Rx() : null;
        inline = (kind == TestKind.WRITE || kind == TestKind.SEND) && !rawEthernet ? new Options.Inline() : null;
        events = kind != TestKind.WRITE && !rawEthernet ? new Options.Events() : null;
        outs = kind == TestKind.READ || kind == TestKind.ATOMIC ? new Options.Outs() : null;
        atomic = kind == TestKind.ATOMIC ? new Options.Atomic() : null;

        spec = CommandSpec.create().name(name()).mixinStandardHelpOptions(true);
        spec.usageMessage().description(description()).sortOptions(false);
        if (!rawEthernet) {
            spec.addPositional(PositionalParamSpec.builder().paramLabel("SERVER").arity("0..1").type(String.class)
                    .description("Server to connect to (client role); none: act as server").build());
        }
        for (Object group : new Object[] {raw, rdma, common, size, bw, lat, rx, inline, events, outs, atomic}) {
            if (group != null) {
                spec.addMixin(group.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT),
                        CommandSpec.forAnnotatedObject(group));
            }
        }
    }

    String name() {
        String m = measure.name().toLowerCase(java.util.Locale.ROOT);
        return raw != null ? "raw_ethernet_" + m : kind.name().toLowerCase(java.util.Locale.ROOT) + "_" + m;
    }

    /** The server name typed, or null (always null for raw Ethernet, whose roles are flags). */
    String server() {
        if (spec.positionalParameters().isEmpty()) {
            return null;
        }
        PositionalParamSpec p = spec.positionalParameters().getFirst();
        return p.getValue();
    }

    private String description() {
        if (raw != null) {
            return "Raw Ethernet " + (measure == Measure.BW ? "bandwidth (the client sends, the server receives)"
                    : "latency (a ping-pong the client starts)") + " test over a packet port, like perftest's "
                    + name() + ". Roles by --server/--client; no out-of-band exchange: start the server first.";
        }
        String what = switch (kind) {
            case WRITE -> "RDMA Write";
            case READ -> "RDMA Read";
            case SEND -> "Send/receive";
            case ATOMIC -> "Atomic";
        };
        return what + (measure == Measure.BW ? " bandwidth" : " latency") + " test, like perftest's ib_" + name()
                + ". Without SERVER it waits for a client.";
    }
}
