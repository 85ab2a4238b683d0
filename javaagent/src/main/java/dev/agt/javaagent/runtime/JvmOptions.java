package dev.agt.javaagent.runtime;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a governed JVM may hand a child JVM. The environment variables every HotSpot JVM reads
 * ({@code JAVA_TOOL_OPTIONS}, {@code JDK_JAVA_OPTIONS}, {@code _JAVA_OPTIONS}) keep only tokens on
 * a short safe list (heap and stack sizes, collectors, container settings, ordinary system
 * properties); everything else the caller put there is removed before the launch is decided.
 * A child's command line is checked for the options that run native code, reach JDK internals
 * or load another agent before this one can govern: such a launch is refused.
 */
final class JvmOptions {
    private JvmOptions() {
    }

    static final List<String> VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

    private static final Pattern SAFE = Pattern.compile(String.join("|",
            "-Xm[sxn]\\d+[kKmMgGtT]?", "-Xss\\d+[kKmMgG]?",
            "-XX:[+-](UseG1GC|UseParallelGC|UseSerialGC|UseZGC|ZGenerational|UseShenandoahGC|UseContainerSupport|UseCompressedOops"
                    + "|ExitOnOutOfMemoryError|CrashOnOutOfMemoryError|TieredCompilation|UseStringDeduplication|AlwaysPreTouch)",
            "-XX:(MaxRAMPercentage|InitialRAMPercentage|MinRAMPercentage|MaxRAM|ActiveProcessorCount|MaxMetaspaceSize|MetaspaceSize"
                    + "|ReservedCodeCacheSize|MaxDirectMemorySize|TieredStopAtLevel|MaxGCPauseMillis|ParallelGCThreads|ConcGCThreads"
                    + "|SoftRefLRUPolicyMSPerMB|MaxHeapFreeRatio|MinHeapFreeRatio)=[0-9.]+[kKmMgG]?",
            "-Xshare:(auto|off)", "-ea", "-da", "-esa", "-dsa", "-enableassertions", "-disableassertions", "-verbose:(gc|class|module|jni)",
            "-Dfile\\.encoding=[\\w.-]+", "-D(stdout|stderr|native|sun\\.jnu)\\.encoding=[\\w.-]+",
            "-Duser\\.(language|country|region|variant|timezone)=[\\w/+.-]*", "-Djava\\.awt\\.headless=(true|false)",
            "-Djava\\.io\\.tmpdir=[^\\s'\"]+",
            // an application's own properties: any name outside the JDK's and agt's namespaces
            "-D(?!(jdk|sun|java|javax|com\\.sun|jdk\\.internal|agt)\\.)[A-Za-z_][\\w.-]*(=[^\\s'\"]*)?"));

    /** Whether a token from one of {@link #VARIABLES} may reach the child. */
    static boolean safe(String token) {
        return SAFE.matcher(token).matches();
    }

    /** Command-line options of a child JVM that are refused: native agents, boot class path, JDK internals, option files. */
    private static final List<String> UNSAFE_PREFIXES = List.of("-agentpath", "-agentlib", "-Xbootclasspath", "--patch-module",
            "--add-opens", "--add-exports", "-XX:OnError", "-XX:OnOutOfMemoryError", "-XX:+EnableDynamicAgentLoading", "-XX:Flags",
            "-XX:VMOptionsFile", "-Djdk.attach.allowAttachSelf", "-Xverify:none", "-XX:-BytecodeVerification", "@");

    private static final Set<String> WITH_ARGUMENT = Set.of("--patch-module", "--add-opens", "--add-exports");

    /** The first refused option on a java command line (before the main class or -jar), or null. */
    static String unsafe(List<String> argv, java.util.function.Predicate<String> ownAgent) {
        for (int i = 1; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("-jar") || a.equals("-m") || a.equals("--module") || !a.startsWith("-") && !a.startsWith("@")) {
                return null; // the application's own arguments follow
            }
            if (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path") || a.equals("-p") || a.equals("--module-path")
                    || a.equals("--add-modules") || a.equals("--enable-native-access")) {
                i++;
                continue;
            }
            if (a.startsWith("-javaagent:") && !ownAgent.test(a)) {
                return a;
            }
            for (String p : UNSAFE_PREFIXES) {
                if (a.startsWith(p)) {
                    return WITH_ARGUMENT.contains(a) && i + 1 < argv.size() ? a + " " + argv.get(i + 1) : a;
                }
            }
        }
        return null;
    }
}
