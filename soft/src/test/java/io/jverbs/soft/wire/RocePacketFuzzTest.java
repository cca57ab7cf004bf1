package io.jverbs.soft.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of {@link RocePacket} with Jazzer, from one captured rxe packet per
 * opcode as seeds (RocePacketFuzzTestInputs/parse, IPv4 packets). The soft pom runs it in fuzzing
 * mode for 30 s in every build, in a surefire execution of its own ({@code JAZZER_FUZZ=1};
 * {@code -Djverbs.fuzz=} runs the seeds only). A finding is any exception out of
 * {@link RoceProperties#check}; Jazzer writes the input beside the seeds, where it stays as a
 * regression case.
 */
class RocePacketFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void parse(byte[] ipv4Packet) {
        RoceProperties.check(ipv4Packet);
    }
}
