package dev.agt.javaagent.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The top application frames of a call (JDK and agent frames skipped), recorded with its request
 * so that reviewers see which code made it.
 *
 * <p>A stack walk costs 5-10 us however few frames it keeps (the JDK fetches frames in batches),
 * which was the largest single cost of an allowed call in the agent. So by default
 * ({@code framesFor=first}) a request records its frames the first time this session asks for
 * exactly that request (family, action and target); an identical request later in the session
 * was made from code the log already names, and goes without. Whatever the agent itself denies
 * or reports (local denials, launch changes, monitor-mode passes) always carries its frames.
 * {@code framesFor=every} walks on every call.
 */
final class CallingFrames {
    /** Requests seen this session; cleared when full, so it never grows without bound. */
    private static final int MAX_SEEN = 16_384;
    /** A request seen this session (by value: the target map is the request's own, not changed after it is sent). */
    private record Seen(String family, String action, Map<String, Object> target) {
        // Written out: a record's generated equals/hashCode bootstrap through invokedynamic
        // (ObjectMethods), which spins method handles on first use, at start-up, in every JVM.
        @Override
        public boolean equals(Object o) {
            return o instanceof Seen s && family.equals(s.family) && action.equals(s.action) && target.equals(s.target);
        }

        @Override
        public int hashCode() {
            return (family.hashCode() * 31 + action.hashCode()) * 31 + target.hashCode();
        }
    }
    private static final StackWalker WALKER = StackWalker.getInstance(Set.of(), 16);

    private final int depth;
    private final boolean every;
    private final Set<Seen> seen = ConcurrentHashMap.newKeySet();

    CallingFrames(int depth, boolean every) {
        this.depth = depth;
        this.every = every;
    }

    /** The frames this request records: none for a repeat in this session unless every call is walked. */
    List<String> forRequest(String family, String action, Map<String, Object> target) {
        if (depth <= 0) {
            return List.of();
        }
        if (!every && flat(target)) {
            if (seen.size() >= MAX_SEEN) {
                seen.clear();
            }
            if (!seen.add(new Seen(family, action, target))) {
                return List.of();
            }
        }
        return walk();
    }

    /**
     * Strings, numbers and lists of strings only (file, net, process, native targets): cheap to
     * hash and small to keep. Tool arguments and tool lists are not remembered: always walked.
     */
    private static boolean flat(Map<String, Object> target) {
        for (Object v : target.values()) {
            if (v instanceof List<?> l) {
                for (Object x : l) {
                    if (!(x instanceof String)) {
                        return false;
                    }
                }
            } else if (!(v instanceof String || v instanceof Long)) {
                return false;
            }
        }
        return true;
    }

    /** A new session: its log has seen none of this agent's requests yet. */
    void newSession() {
        seen.clear();
    }

    /** The top {@code depth} application frames of the current thread. */
    List<String> walk() {
        int n = depth;
        if (n <= 0) {
            return List.of();
        }
        return WALKER.walk(s -> {
            List<String> out = new ArrayList<>(n);
            var it = s.iterator();
            while (it.hasNext() && out.size() < n) {
                StackWalker.StackFrame f = it.next();
                String c = f.getClassName();
                if (c.startsWith("java.") || c.startsWith("javax.") || c.startsWith("jdk.") || c.startsWith("sun.")
                        || c.startsWith("dev.agt.javaagent.")) {
                    continue;
                }
                out.add(c + "." + f.getMethodName() + "(" + f.getFileName() + ":" + f.getLineNumber() + ")");
            }
            return out;
        });
    }
}
