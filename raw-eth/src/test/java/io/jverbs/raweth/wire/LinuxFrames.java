package io.jverbs.raweth.wire;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** The frames capture_frames.py recorded from the kernel (linux-frames.txt). */
final class LinuxFrames {
    record Frame(String label, byte[] bytes) {
        @Override
        public String toString() {
            return label + " (" + bytes.length + " bytes)";
        }
    }

    private LinuxFrames() {}

    static List<Frame> all() {
        try (InputStream in = LinuxFrames.class.getResourceAsStream("linux-frames.txt")) {
            if (in == null) {
                throw new AssertionError("linux-frames.txt is missing from the test resources");
            }
            List<Frame> frames = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.trim().split(" ");
                frames.add(new Frame(parts[0], HexFormat.of().parseHex(parts[1])));
            }
            return frames;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The only frame with that label; fails if there is none or more than one. */
    static byte[] one(String label) {
        List<Frame> hits = all().stream().filter(f -> f.label().equals(label)).toList();
        if (hits.size() != 1) {
            throw new AssertionError(hits.size() + " frames labelled " + label);
        }
        return hits.getFirst().bytes();
    }

    /** The frames labelled {@code label}, in capture order. */
    static List<byte[]> labelled(String label) {
        return all().stream().filter(f -> f.label().equals(label)).map(Frame::bytes).toList();
    }
}
