package dev.agt.engine.policy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every case under {@code src/test/resources/conformance/}: each folder holds a
 * {@code policy.yaml} and a {@code tests.yaml} in the {@code agt policy test} format. Add a
 * folder to add a case; nothing here needs to change.
 */
class ConformanceTest {

    @TestFactory
    Stream<DynamicContainer> conformance() throws IOException, URISyntaxException {
        Path root = Path.of(ConformanceTest.class.getResource("/conformance").toURI());
        List<Path> dirs;
        try (Stream<Path> s = Files.list(root)) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        }
        assertFalse(dirs.isEmpty(), "no conformance cases found under " + root);
        return dirs.stream().map(dir -> {
            try {
                Policy p = PolicyLoader.load(dir.resolve("policy.yaml"), Map.of());
                List<PolicyTests.Result> results = PolicyTests.run(p, PolicyTests.read(dir.resolve("tests.yaml")));
                assertFalse(results.isEmpty(), dir + " has no cases");
                return DynamicContainer.dynamicContainer(dir.getFileName().toString(), results.stream()
                        .map(r -> DynamicTest.dynamicTest(r.testCase().name(), () -> assertTrue(r.passed(), r.describe()))));
            } catch (PolicyException e) {
                throw new AssertionError(dir + ": " + e.getMessage());
            }
        });
    }
}
