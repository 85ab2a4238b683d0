package dev.agt.javaagent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameCodec;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Limits;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ResultTextTest {
    static final String PHRASE = "ignore all previous instructions";

    @Test
    void aLongResultIsSentInOverlappingPiecesThatAFrameCarriesAndThatKeepEveryPhraseWhole() throws Exception {
        Random r = new Random(7);
        StringBuilder b = new StringBuilder();
        while (b.length() < 200_000) {
            b.append(r.nextInt(10) == 0 ? "\uD83D\uDE00" : r.nextInt(3) == 0 ? "é" : "word ");
        }
        String text = b.toString();
        @SuppressWarnings("unchecked")
        List<String> pieces = (List<String>) ResultText.fit(text);
        assertTrue(pieces.size() > 10);
        // every phrase that fits in the overlap is whole in some piece, wherever it starts
        for (int at = 0; at + PHRASE.length() <= text.length(); at += 997) {
            String s = text.substring(0, at) + PHRASE + text.substring(at + PHRASE.length());
            @SuppressWarnings("unchecked")
            List<String> ps = (List<String>) ResultText.fit(s);
            assertTrue(ps.stream().anyMatch(p -> p.contains(PHRASE)), "a phrase at " + at + " was cut");
        }
        for (String p : pieces) {
            assertTrue(!Character.isLowSurrogate(p.charAt(0)) && !Character.isHighSurrogate(p.charAt(p.length() - 1)), "no surrogate pair is split");
        }
        // the pieces, overlaps removed, are the text
        StringBuilder again = new StringBuilder(pieces.get(0));
        for (int i = 1; i < pieces.size(); i++) {
            String p = pieces.get(i);
            int overlap = again.length() - text.indexOf(p, again.length() - ResultText.OVERLAP - 1);
            again.append(p.substring(overlap));
        }
        assertEquals(text, again.toString());
        // and a frame carries them (64 KiB per string, 1 MiB in all)
        FrameCodec.encode(new Frame(FrameType.DECIDE, 1, Map.of("target", Map.of("result", pieces))), Limits.DEFAULT, new dev.agt.protocol.ByteSink(1024));
    }

    @Test
    void nestedResultsArePiecedWhereverTheirLongStringsAreAndTooMuchTextIsRefusedWhole() {
        Object fitted = ResultText.fit(Map.of("content", List.of(Map.of("text", "x".repeat(40_000)), Map.of("text", "short"))));
        assertEquals(3, ((List<?>) ((Map<?, ?>) ((List<?>) ((Map<?, ?>) fitted).get("content")).get(0)).get("text")).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResultText.fit(List.of("y".repeat(200_000), "z".repeat(100_000))));
        assertTrue(e.getMessage().contains("withheld whole"), e.getMessage());
        // what the frame could not carry is refused here, never sent to be refused by the engine
        java.util.List<Object> many = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            many.add(java.util.List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L));
        }
        assertThrows(IllegalArgumentException.class, () -> ResultText.fit(Map.of("structured", many)), "10,000 values");
        assertThrows(IllegalArgumentException.class, () -> ResultText.fit(Map.of("k".repeat(70_000), "v")), "a key longer than a frame string");
        assertThrows(IllegalArgumentException.class, () -> ResultText.fit(java.util.List.of(Double.NaN)), "NaN");
        assertEquals(java.util.List.of(1L, 2.5), ResultText.fit(java.util.List.of(1L, 2.5)));
    }
}
