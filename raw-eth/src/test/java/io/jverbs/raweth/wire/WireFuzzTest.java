package io.jverbs.raweth.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the whole wire package with Jazzer, from the Linux frames as seeds
 * (WireFuzzTestInputs/dissect). The raw-eth pom runs it in fuzzing mode for 30 s in every build
 * ({@code JAZZER_FUZZ=1}; {@code -Djverbs.fuzz=} runs the seeds only). A finding is any exception
 * out of {@link WireProperties#check}: an exception escaping a parser, a repr that does not survive
 * emit and parse, a checksum that does not verify after emit, or a wrong checksum sum; Jazzer
 * writes the input that found it beside the seeds, where it stays as a regression case.
 */
class WireFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void dissect(byte[] frame) {
        WireProperties.check(frame);
    }
}
