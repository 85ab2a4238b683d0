package dev.agt.engine.spend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.engine.state.StateFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The saved spending ledger: a round trip, and every crafted amount refused rather than read as something smaller. */
class SpendFileTest {
    @TempDir
    Path dir;

    @Test
    void aSavedLedgerReadsBackAsItWasWritten() throws Exception {
        SpendFile f = new SpendFile(dir);
        assertEquals(Map.of(), f.state(), "no file yet: nothing spent");
        f.store().save(Map.of("daily\0research", new Ledger.Saved(List.of(new long[] {1_764_806_400_000L, 492_000L}), 164_000L),
                "idle\0bob", new Ledger.Saved(List.of(), 0)));
        Map<String, Ledger.Saved> back = new SpendFile(dir).state();
        assertEquals(List.of("daily\0research"), List.copyOf(back.keySet()), "an account with nothing in its window is not kept");
        assertArrayEquals(new long[] {1_764_806_400_000L, 492_000L}, back.get("daily\0research").spent().get(0));
        assertEquals(164_000L, back.get("daily\0research").held());
    }

    /** Each would, read leniently, shrink what was spent (NaN, negatives, fractions, overflow) or hide a field. */
    @ParameterizedTest
    @ValueSource(strings = {
        "[[0, -1]]", "[[0, 1.5]]", "[[0, 1e309]]", "[[0, NaN]]", "[[0, \"100\"]]", "[[0, 99999999999999999999999]]",
        "[[0, 1000000000000000001]]", "[[-5, 1]]", "[[0]]", "[0, 1]", "\"0\"", "[[0, Infinity]]", "[[0, -Infinity]]", "[[0, 1e3]]"})
    void craftedAmountsAreRefusedAndTheFileIsNeverOverwritten(String spent) throws Exception {
        String text = "{\"version\": 1, \"accounts\": [{\"budget\": \"daily\", \"subject\": \"bob\", \"spent\": " + spent + ", \"held\": 0}]}";
        Files.writeString(dir.resolve("spend.json"), text);
        SpendFile f = new SpendFile(dir);
        StateFile.Unavailable e = assertThrows(StateFile.Unavailable.class, f::state, spent);
        assertTrue(e.getMessage().contains("spend.json") && e.getMessage().contains("model calls under budgets are denied"), e.getMessage());
        assertNotNull(f.problem());
        assertThrows(java.io.IOException.class, () -> f.store().save(Map.of()), "a broken file is never replaced");
        assertEquals(text, Files.readString(dir.resolve("spend.json")));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"version\": 2, \"accounts\": []}",
        "{\"version\": 1, \"accounts\": [], \"extra\": 1}",
        "{\"version\": 1, \"accounts\": [{\"budget\": \"d\", \"subject\": \"b\", \"spent\": [], \"held\": -1}]}",
        "{\"version\": 1, \"accounts\": [{\"budget\": \"d\", \"subject\": \"b\", \"spent\": []}]}",
        "{\"version\": 1, \"accounts\": [{\"budget\": \"\", \"subject\": \"b\", \"spent\": [], \"held\": 0}]}",
        "{\"version\": 1, \"accounts\": [{\"budget\": \"d\", \"subject\": \"b\", \"spent\": [], \"held\": 0},"
                + " {\"budget\": \"d\", \"subject\": \"b\", \"spent\": [], \"held\": 0}]}",
        "{\"version\": 1, \"version\": 1, \"accounts\": []}",
        "not json", "[]"})
    void malformedFilesAreRefused(String text) throws Exception {
        Files.writeString(dir.resolve("spend.json"), text);
        assertThrows(StateFile.Unavailable.class, new SpendFile(dir)::state, text);
    }
}
