package dev.agt.audit.verify;

import dev.agt.audit.log.LogFiles;
import dev.agt.audit.merkle.Hashes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The leaf hashes of the first lines of a log, taken as they stand, without checking the chain. */
public final class RawLeaves {
    private RawLeaves() {
    }

    public static List<byte[]> read(Path dir, long max) throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (Path seg : LogFiles.segments(dir)) {
            byte[] all;
            try (InputStream in = Files.newInputStream(seg)) {
                all = in.readAllBytes();
            }
            int start = 0;
            for (int i = 0; i < all.length && out.size() < max; i++) {
                if (all[i] == '\n') {
                    out.add(Hashes.leaf(Arrays.copyOfRange(all, start, i)));
                    start = i + 1;
                }
            }
            if (out.size() >= max) {
                break;
            }
        }
        return out;
    }
}
