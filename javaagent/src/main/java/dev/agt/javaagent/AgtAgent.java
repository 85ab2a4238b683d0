package dev.agt.javaagent;

import dev.agt.javaagent.runtime.Options;
import java.lang.instrument.Instrumentation;

/**
 * {@code -javaagent:agt-javaagent.jar=engine=/run/agt.sock,name=my-agent}: governs every
 * outbound connection, file access, process launch and native-library load of this JVM.
 *
 * <p>Start-up order matters: bootstrap classes first (the hooks call them), then the
 * transformer and retransformation of the JDK classes already loaded, then the self-check (a
 * family whose hook did not take is never left silently unguarded: the JVM stops), then the
 * engine connection, then arming.
 */
/**
 * The {@code Premain-Class}. It must not mention any bootstrap type (dispatcher, handler,
 * denials): linking this class would then load them through the application class loader,
 * before they are placed in the bootstrap loader. It reads the options, places the bootstrap
 * classes and hands over to {@link AgentMain}.
 */
public final class AgtAgent {
    private AgtAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        Options options;
        try {
            options = Options.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            fatal("bad agent options: " + e.getMessage(), 2);
            return;
        }
        String placement;
        try {
            placement = BootstrapInjector.inject(inst);
        } catch (Throwable t) {
            fatal("could not place its bootstrap classes: " + t, 3);
            return;
        }
        AgentMain.start(options, inst, placement);
    }

    static void fatal(String message, int status) {
        System.err.println("agt: " + message);
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }
}
