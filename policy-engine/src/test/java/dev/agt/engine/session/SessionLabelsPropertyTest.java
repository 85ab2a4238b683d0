package dev.agt.engine.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.agt.engine.policy.SessionTerms;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random sequences of label settings, operator clears, clock steps and engine restarts (the store
 * read again from its file) against a plain model: a label is in force exactly when the model
 * says so, so it never disappears except by its lifetime or an operator's clear, and a restart
 * loses nothing. Fixed seeds.
 */
class SessionLabelsPropertyTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void labelsGoOnlyByTheirLifetimeOrAnOperatorAndSurviveRestarts(long seed) throws Exception {
        Random r = new Random(seed);
        List<String> lineages = List.of(SessionLabels.newLineage(), SessionLabels.newLineage(), SessionLabels.newLineage());
        List<String> names = List.of("secret", "untrusted", "internal", "pii");
        Map<String, Map<String, Long>> model = new HashMap<>(); // lineage -> label -> expires (0 never)
        SessionLabels store = new SessionLabels(dir);
        long now = 1_764_806_400_000L;
        for (int step = 0; step < 400; step++) {
            String lineage = lineages.get(r.nextInt(lineages.size()));
            String name = names.get(r.nextInt(names.size()));
            switch (r.nextInt(5)) {
                case 0, 1 -> {
                    Optional<Duration> ttl = r.nextBoolean() ? Optional.empty() : Optional.of(Duration.ofSeconds(1 + r.nextInt(120)));
                    store.set(lineage, List.of(new SessionTerms.Setting("rule-" + step, new SessionTerms.LabelSet(name, ttl))), "agent", now);
                    long expires = ttl.isEmpty() ? 0L : now + ttl.get().toMillis();
                    Map<String, Long> mine = model.computeIfAbsent(lineage, k -> new HashMap<>());
                    Long before = mine.get(name);
                    boolean live = before != null && (before == 0 || before > now);
                    // a label set again keeps the longer lifetime (none is longest)
                    if (!live || before != 0 && (expires == 0 || expires > before)) {
                        mine.put(name, expires);
                    }
                }
                case 2 -> {
                    store.clear(lineage, name);
                    model.computeIfAbsent(lineage, k -> new HashMap<>()).remove(name);
                }
                case 3 -> now += r.nextInt(60_000);
                default -> store = new SessionLabels(dir); // the engine restarts: only the file carries the labels
            }
            for (String l : lineages) {
                long t = now;
                Map<String, Long> expected = new TreeMap<>();
                model.getOrDefault(l, Map.of()).forEach((k, v) -> {
                    if (v == 0 || v > t) {
                        expected.put(k, v);
                    }
                });
                Map<String, Long> actual = new TreeMap<>();
                store.of(l, now).forEach((k, v) -> actual.put(k, v.expiresMillis()));
                assertEquals(expected, actual, "seed " + seed + ", step " + step + ", lineage " + l);
            }
        }
    }
}
