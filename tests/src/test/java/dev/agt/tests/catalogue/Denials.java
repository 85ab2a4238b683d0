package dev.agt.tests.catalogue;

/** Finds the agent's denial behind whatever a library made of it. */
public final class Denials {
    private Denials() {
    }

    /** The denial in a cause chain: any throwable implementing the agent's Denied interface. */
    public static Throwable find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            for (Class<?> k = c.getClass(); k != null; k = k.getSuperclass()) {
                for (Class<?> i : k.getInterfaces()) {
                    if (i.getName().equals("dev.agt.javaagent.bootstrap.Denied")) {
                        return c;
                    }
                }
            }
            for (Throwable s : c.getSuppressed()) {
                Throwable d = find(s);
                if (d != null) {
                    return d;
                }
            }
            if (c instanceof java.lang.reflect.InvocationTargetException ite && ite.getTargetException() != null && c.getCause() == null) {
                return find(ite.getTargetException());
            }
        }
        return null;
    }

    /**
     * True when a library rethrew the denial as its own exception, keeping only the message
     * (Apache HttpClient's HttpHostConnectException does): the agent's wording is unmistakable.
     */
    public static boolean byMessage(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null && m.contains("blocked by policy rule ") && m.contains("(audit #")) {
                return true;
            }
        }
        return false;
    }
}
