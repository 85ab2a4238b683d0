package dev.agt.javaagent.hooks;

/**
 * One hooked JDK method: at its entry, load the listed arguments and call a static
 * {@code Dispatcher} method, which returns normally (allow) or throws (deny).
 *
 * @param family   the call family this hook guards (for the start-up report)
 * @param owner    internal class name, e.g. {@code java/io/FileInputStream}
 * @param name     method name
 * @param desc     exact method descriptor; the self-check fails when the running JDK differs
 * @param loads    argument slots to pass, with their JVM type ('A' reference, 'I' int, 'Z' boolean)
 * @param target   the Dispatcher method
 * @param targetDesc its descriptor
 */
public record Hook(String family, String owner, String name, String desc, String loads, String target, String targetDesc) {

    public String className() {
        return owner.replace('/', '.');
    }

    public String id() {
        return className() + "." + name + desc;
    }
}
