package dev.agt.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.tests.labels.HeldLaunches;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A person in the loop, end to end: a JVM with the agent launches processes that a rule holds for
 * approval. The operator lists them with {@code agt approvals list} and approves one: exactly that
 * launch runs (its file appears); the next one, with another argument, is held again and denied;
 * a third is left to time out. The agent's thread waited the whole time.
 */
class ApprovalsIT {
    @TempDir
    Path root;

    @Test
    void aHeldLaunchRunsOnlyOnceAPersonApprovesItThroughTheCli() throws Exception {
        root = root.toRealPath();
        Files.writeString(root.resolve("policy.yaml"), """
                version: 1
                include: [jvm-runtime]
                rules:
                  - {id: class-path, effect: allow, family: file, actions: [read, stat, list, attr]}
                  - {id: natives, effect: allow, family: native}
                  - {id: touching, effect: ask, family: process, executables: [/usr/bin/touch], timeout: 8s, reason: files are created by a person's leave}
                """);
        String sock = root.resolve("e.sock").toString();
        Path out = root.resolve("out.txt");
        try (Agt.EngineProcess e = new Agt.EngineProcess(root, "--policy", "policy.yaml", "--socket", sock, "--audit-dir", root.resolve("audit").toString())) {
            e.awaitReady();
            Process agent = new ProcessBuilder(Agt.java(), "-javaagent:" + JavaagentIT.AGENT + "=engine=" + sock + ",name=builder",
                    "-cp", System.getProperty("java.class.path"), HeldLaunches.class.getName(),
                    root.resolve("approved").toString(), root.resolve("denied").toString(), root.resolve("late").toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            String first = heldId(sock);
            Agt.Result show = Agt.run(root, "approvals", "show", first, "--socket", sock);
            assertTrue(show.out().contains("approved") && show.out().contains("\"digest\""), "the operator sees the exact call: " + show);
            assertFalse(Files.exists(root.resolve("approved")), "nothing ran while it was held");
            Agt.Result approve = Agt.run(root, "approvals", "approve", first, "--reason", "ticket 42", "--socket", sock);
            assertEquals(0, approve.exit(), approve.toString());
            String second = heldId(sock);
            assertFalse(second.equals(first), "another argument is another call, held again");
            Agt.Result deny = Agt.run(root, "approvals", "deny", second, "--reason", "not this one", "--socket", sock);
            assertEquals(0, deny.exit(), deny.toString());
            assertEquals(1, Agt.run(root, "approvals", "approve", second, "--socket", sock).exit(), "a decided approval cannot be decided again");
            // the third is left alone: the rule's 8 s timeout denies it
            assertTrue(agent.waitFor(90, TimeUnit.SECONDS), Files.readString(out));
            e.terminate();
            e.awaitExit();
        }
        String all = Files.readString(out);
        assertTrue(all.contains("RESULT touch:approved OK exit 0"), all);
        assertTrue(Files.exists(root.resolve("approved")), "the approved launch ran");
        assertTrue(all.lines().anyMatch(l -> l.startsWith("RESULT touch:denied DENIED") && l.contains("not this one")), all);
        assertFalse(Files.exists(root.resolve("denied")));
        assertTrue(all.lines().anyMatch(l -> l.startsWith("RESULT touch:late DENIED") && l.contains("no one decided within 8 s")), all);
        assertFalse(Files.exists(root.resolve("late")));
        Agt.Result log = Agt.run(root, "audit", "show", "audit", "--json");
        assertTrue(log.out().lines().anyMatch(l -> l.contains("\"event\":\"approval-decided\"") && l.contains("\"result\":\"approved\"")
                && l.contains("ticket 42")), log.out());
        assertEquals(0, Agt.run(root, "audit", "verify", "audit").exit());
    }

    /** Waits for a call to be held and returns its approval id (the first one listed). */
    String heldId(String sock) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Agt.Result list = Agt.run(root, "approvals", "list", "--socket", sock);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(ap-[0-9a-f]{16})").matcher(list.out());
            if (m.find()) {
                return m.group(1);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no call was held");
    }
}
