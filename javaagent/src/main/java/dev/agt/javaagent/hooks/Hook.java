package dev.agt.javaagent.hooks;

/**
 * One hooked JDK method: at its entry, load the listed arguments and call a static
 * {@code Dispatcher} method, which returns normally (allow) or throws (deny).
 *
 * @param family   the call family this hook guards (for the start-up report)
 * @param owner    internal class name, e.g. {@code java/io/FileInputStream}
 * @param name     method name
 * @param desc     exact method descriptor, or several separated by '|' where JDK releases differ;
 *                 the self-check fails when none is found on the running JDK
 * @param loads    argument slots to pass, with their JVM type ('A' reference, 'I' int, 'Z' boolean)
 * @param target   the Dispatcher method
 * @param targetDesc its descriptor
 * @param optional   absent on some supported JDK (JDK 17's legacy sockets, JDK 22's FFM): the
 *                   self-check does not require it, the coverage map says where it applies
 * @param atReturn   called before each normal return instead of at entry, with the returned
 *                   reference first (only reference-returning methods)
 */
public record Hook(String family, String owner, String name, String desc, String loads, String target, String targetDesc, boolean optional,
                   boolean atReturn) {

    public Hook(String family, String owner, String name, String desc, String loads, String target, String targetDesc) {
        this(family, owner, name, desc, loads, target, targetDesc, false, false);
    }

    public static Hook optional(String family, String owner, String name, String desc, String loads, String target, String targetDesc) {
        return new Hook(family, owner, name, desc, loads, target, targetDesc, true, false);
    }

    public static Hook atReturn(String family, String owner, String name, String desc, String loads, String target, String targetDesc) {
        return new Hook(family, owner, name, desc, loads, target, targetDesc, false, true);
    }

    public static Hook atReturnOptional(String family, String owner, String name, String desc, String loads, String target, String targetDesc) {
        return new Hook(family, owner, name, desc, loads, target, targetDesc, true, true);
    }

    public String className() {
        return owner.replace('/', '.');
    }

    public boolean matches(String methodName, String methodDesc) {
        if (!name.equals(methodName)) {
            return false;
        }
        for (String d : desc.split("\\|")) {
            if (d.equals(methodDesc)) {
                return true;
            }
        }
        return false;
    }

    public String id() {
        return (atReturn ? "return:" : "entry:") + className() + "." + name + desc;
    }
}
