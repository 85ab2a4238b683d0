package dev.agt.tests.catalogue;

/**
 * A child JVM started by catalogue actions with JVM options smuggled through its environment:
 * prints one line saying whether it runs governed (the agent's bootstrap classes are there),
 * whether java.io is open to it, and which of the smuggled settings took effect.
 */
public final class ChildProbe {
    public static void main(String[] args) {
        boolean governed;
        try {
            Class.forName("dev.agt.javaagent.bootstrap.Dispatcher", false, null);
            governed = true;
        } catch (ClassNotFoundException e) {
            governed = false;
        }
        StringBuilder out = new StringBuilder(governed ? "governed" : "UNGOVERNED");
        if (Object.class.getModule().isOpen("java.io", ChildProbe.class.getModule())) {
            out.append(" java.io-OPEN");
        }
        if (System.getProperty("jdk.boot.class.path.append") != null) {
            out.append(" BOOTCLASSPATH");
        }
        if (System.getProperty("jdk.net.usePlainSocketImpl") != null) {
            out.append(" PLAIN-SOCKETS");
        }
        System.out.println("PROBE " + out);
    }
}
