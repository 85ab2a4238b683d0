package dev.agt.cli.report;

import static dev.agt.cli.report.ReportFixture.agt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.cli.report.ReportFixture.Row;
import dev.agt.cli.report.ReportFixture.Run;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTML report as a browser shows it: rendered by headless Chromium (Debian's {@code
 * chromium}, which {@code .ci/run} installs), its DOM dumped after the page's script ran. Skipped,
 * saying so, where no Chromium is installed.
 *
 * <p>Checks that the script initialised (it marks the page) without a single console message
 * (errors, and Content-Security-Policy refusals, are console messages), that the blocked-call
 * table holds the expected rows, that filters given in the address are applied on load, that
 * hostile text from the log stayed text, and that a tampered log shows the red banner. The
 * reports and screenshots stay in {@code target/chromium-report/} for people to look at.
 */
public class ReportChromiumIT {
    static final Path OUT = Path.of("target", "chromium-report").toAbsolutePath();
    static Path chromium;
    static ReportFixture log;
    static Path report;
    static Path tampered;
    static Path profile;

    @BeforeAll
    static void setUp() throws Exception {
        Optional<Path> bin = findChromium();
        Assumptions.assumeTrue(bin.isPresent(), "SKIPPED: no chromium or chromium-browser on the PATH; install Debian's 'chromium' "
                + "(apt-get install -y chromium, as .ci/run does) to render the HTML report in a real browser");
        chromium = bin.get();
        deleteTree(OUT);
        Files.createDirectories(OUT);
        profile = Files.createTempDirectory("agt-chromium-profile");
        log = new ReportFixture(Files.createDirectories(OUT.resolve("log"))).write();
        report = OUT.resolve("report.html");
        Run run = agt("report", log.audit.toString(), "--out", report.toString());
        assertEquals(0, run.exit(), run.out() + run.err());
        Path bad = log.tampered(OUT.resolve("tampered-log/audit"));
        Files.copy(log.pub, bad.resolveSibling("audit.pub"));
        tampered = OUT.resolve("tampered.html");
        run = agt("report", bad.toString(), "--out", tampered.toString());
        assertEquals(1, run.exit(), run.out() + run.err());
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (profile != null) {
            deleteTree(profile);
        }
    }

    public static Optional<Path> findChromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** The page's DOM once its script has run, and what the console said meanwhile. */
    record Page(String dom, List<String> console) {
        /** The rows of the blocked-call table: sequence number, and whether the filters hide it. */
        List<long[]> rows() {
            List<long[]> out = new ArrayList<>();
            Matcher m = Pattern.compile("<tr ([^>]*data-seq=\"(\\d+)\"[^>]*)>").matcher(dom);
            while (m.find()) {
                out.add(new long[] {Long.parseLong(m.group(2)), Pattern.compile("\\bhidden\\b").matcher(m.group(1)).find() ? 0 : 1});
            }
            return out;
        }

        List<Long> visible() {
            return rows().stream().filter(r -> r[1] == 1).map(r -> r[0]).toList();
        }
    }

    static Page load(Path html, String suffix) throws Exception {
        Path err = Files.createTempFile(OUT, "chromium", ".log");
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + profile, "--no-first-run", "--enable-logging=stderr", "--v=0", "--dump-dom", html.toUri() + suffix));
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish: " + cmd);
        }
        List<String> console = Files.readAllLines(err, StandardCharsets.UTF_8).stream().filter(l -> l.contains(":CONSOLE")).toList();
        Files.delete(err);
        assertEquals(0, p.exitValue(), "chromium failed: " + cmd);
        return new Page(dom, console);
    }

    static List<Long> expected(Predicate<Row> which) {
        return log.rows.stream().filter(which).map(Row::seq).toList();
    }

    @Test
    void theReportLoadsWithoutErrorsAndListsEveryBlockedCall() throws Exception {
        Page page = load(report, "");
        assertEquals(List.of(), page.console(), "the page logged to the console (a script error or a CSP refusal)");
        assertTrue(page.dom().contains("data-report-ready=\"yes\""), "the page's script did not initialise");
        assertTrue(page.dom().contains("Sorting and filters are on"), "the script did not replace the no-script note");
        assertTrue(page.dom().contains("data-status=\"verified\""));
        assertTrue(page.dom().contains("Verified up to checkpoint"));
        assertEquals(expected(r -> true), page.visible());
        assertTrue(page.dom().contains(log.rows.size() + " of " + log.rows.size() + " shown"));
        // hostile text from the log stayed text: nothing ran, no element was injected
        assertFalse(page.dom().contains("data-pwned=\"1\""), "an onerror handler from the log ran");
        assertFalse(page.dom().contains("<title>pwned"), "a script from the log ran");
        assertFalse(page.dom().contains("<img"), "an img element from the log was created");
        assertTrue(page.dom().contains("&lt;script&gt;document.title="));
    }

    @Test
    void filtersInTheAddressAreAppliedOnLoad() throws Exception {
        Page scout = load(report, "#agent=scout");
        assertEquals(List.of(), scout.console());
        assertEquals(expected(r -> r.agent().equals("scout")), scout.visible());
        assertEquals(log.rows.size(), scout.rows().size(), "filtered rows are hidden, not removed");

        Page net = load(report, "?family=net");
        assertEquals(expected(r -> r.family().equals("net")), net.visible());

        Page blockedFiles = load(report, "#family=file&outcome=blocked");
        assertEquals(expected(r -> r.family().equals("file") && r.outcome().equals("blocked")), blockedFiles.visible());

        Page text = load(report, "#q=id_rsa");
        assertEquals(1, text.visible().size());

        Page nobody = load(report, "#agent=nobody");
        assertEquals(List.of(), nobody.visible());
        assertTrue(nobody.dom().contains("<p id=\"no-rows\" class=\"empty\">No call matches the filters.</p>"), "the empty note is not shown");
    }

    @Test
    void aTamperedLogShowsTheRedBanner() throws Exception {
        Page page = load(tampered, "");
        assertEquals(List.of(), page.console());
        assertTrue(page.dom().contains("data-status=\"tampered\""));
        assertTrue(page.dom().contains("class=\"banner bad\" data-first-bad=\"" + log.firstBlocked() + "\""));
        assertTrue(page.dom().contains("✖ TAMPERED at #" + log.firstBlocked() + ": modified"), page.dom());
        assertTrue(page.dom().contains("after the break"));
    }

    @Test
    void screenshotsForPeopleToLookAt() throws Exception {
        for (Path html : List.of(report, tampered)) {
            Path png = OUT.resolve(html.getFileName().toString().replace(".html", ".png"));
            Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile,
                    "--no-first-run", "--hide-scrollbars", "--screenshot=" + png, "--window-size=1400,1000", html.toUri().toString())
                    .redirectErrorStream(true).redirectOutput(OUT.resolve("screenshot.log").toFile()).start();
            assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium did not finish");
            assertEquals(0, p.exitValue());
            assertTrue(Files.size(png) > 10_000, png + " is too small to be a rendered page");
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
