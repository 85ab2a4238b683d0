import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Compares two runs of one test suite from their Surefire XML reports: which tests passed in
 * the first (plain) run and did not in the second (with the agent), and the reverse.
 * Run as a source file: java SurefireDiff.java PLAIN_DIR AGENT_DIR (each a tree of TEST-*.xml).
 * Exit 0 when nothing broke, 1 when some test did, 2 on bad input.
 */
public final class SurefireDiff {
    private static final Pattern CASE = Pattern.compile("<testcase\\s([^>]*?)(/>|>(.*?)</testcase>)", Pattern.DOTALL);
    private static final Pattern ATTR = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java SurefireDiff.java PLAIN_DIR AGENT_DIR");
            System.exit(2);
        }
        Map<String, String> plain = read(Path.of(args[0]));
        Map<String, String> agent = read(Path.of(args[1]));
        if (plain.isEmpty()) {
            System.err.println("no test results under " + args[0]);
            System.exit(2);
        }
        List<String> broken = new ArrayList<>();
        List<String> fixed = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        plain.forEach((test, status) -> {
            String other = agent.get(test);
            if (other == null) {
                missing.add(test + " (" + status + " plainly)");
            } else if (status.equals("passed") && !other.equals("passed")) {
                broken.add(test + ": " + other);
            } else if (!status.equals("passed") && other.equals("passed")) {
                fixed.add(test + ": " + status + " plainly");
            }
        });
        System.out.printf("plain: %s%nagent: %s%n", summary(plain), summary(agent));
        print("passed plainly, not with the agent (broken by the agent)", broken);
        print("did not pass plainly, passed with the agent", fixed);
        print("ran plainly, not with the agent", missing);
        System.out.println("broken by the agent: " + broken.size() + (missing.isEmpty() ? "" : " (and " + missing.size() + " did not run)"));
        System.exit(broken.isEmpty() && missing.isEmpty() ? 0 : 1);
    }

    private static void print(String title, List<String> tests) {
        if (!tests.isEmpty()) {
            System.out.println(title + " (" + tests.size() + "):");
            tests.forEach(t -> System.out.println("  " + t));
        }
    }

    private static String summary(Map<String, String> results) {
        Map<String, Integer> counts = new TreeMap<>();
        results.values().forEach(s -> counts.merge(s, 1, Integer::sum));
        return results.size() + " tests " + counts;
    }

    /** Test id (class#name) to passed, failed, error or skipped. */
    static Map<String, String> read(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).sorted().toList();
        }
        for (Path f : files) {
            Matcher m = CASE.matcher(Files.readString(f));
            while (m.find()) {
                Map<String, String> a = new TreeMap<>();
                Matcher am = ATTR.matcher(m.group(1));
                while (am.find()) {
                    a.put(am.group(1), am.group(2));
                }
                String body = m.group(3) == null ? "" : m.group(3);
                String status = body.contains("<failure") ? "failed" : body.contains("<error") ? "error"
                        : body.contains("<skipped") ? "skipped" : "passed";
                String id = a.getOrDefault("classname", "?") + "#" + a.getOrDefault("name", "?");
                // a parameterized or repeated test appears once per run: the worst status counts
                out.merge(id, status, (x, y) -> x.equals("passed") ? y : x);
            }
        }
        return out;
    }
}
