package dev.agt.javaagent.runtime;

import java.net.InetAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Host names this JVM's resolver answered, by address. A connect reports a name only when it is
 * here for its IP: {@code InetAddress.getByAddress} can name any address anything, and a policy
 * on host names must not be steered by a name the application made up.
 */
final class EarnedNames {
    private static final int MAX = 16_384;
    private final Map<String, Set<String>> byAddress = Collections.synchronizedMap(new LinkedHashMap<String, Set<String>>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Set<String>> eldest) {
            return size() > MAX;
        }
    });

    void resolved(String host, InetAddress[] addresses) {
        String name = host.toLowerCase(Locale.ROOT);
        for (InetAddress a : addresses) {
            if (a != null) {
                byAddress.computeIfAbsent(a.getHostAddress(), k -> ConcurrentHashMap.newKeySet()).add(name);
            }
        }
    }

    boolean earned(String name, String ip) {
        Set<String> names = byAddress.get(ip);
        return names != null && names.contains(name.toLowerCase(Locale.ROOT));
    }
}
