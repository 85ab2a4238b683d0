package dev.agt.javaagent.gates;

import java.util.Set;

/**
 * One gated JDK method: every call of {@code owner.name} (each descriptor the running JDK has)
 * made from a class of {@code callerPackage} is redirected to a static method of the same name
 * in that package's gate class, which asks the dispatcher first and then makes the original
 * call. This governs natives too, which have no body to hook: JDK 17 has no Java wrapper around
 * {@code fchmod} or java.io's {@code createFileExclusively}, but every call of them is a call
 * site in one package (package-private and private methods cannot be called from elsewhere
 * without an {@code --add-opens} the agent refuses to children).
 *
 * @param family     the call family, for the start-up report
 * @param owner      internal name of the callee's class as call sites name it
 * @param name       the callee's name; every overload of it is gated
 * @param virtual    an instance method (the gate takes the receiver first)
 * @param loads      indices of the callee's parameters to hand to the dispatcher, in order
 * @param target     the Dispatcher method; its descriptor is derived from the loaded types
 * @param zeroOnDeny the dispatcher returns a boolean (false = denied) and the gate returns the
 *                   zero of the callee's type instead of calling it: metadata probes answer "not
 *                   there" as the JDK's own java.io methods do on an I/O error
 * @param optional   absent on some supported JDK (e.g. {@code stat2} is JDK 21+)
 */
public record Gate(String family, String owner, String name, boolean virtual, int[] loads, String target, boolean zeroOnDeny,
                   boolean optional) {

    public String callerPackage() {
        return owner.substring(0, owner.lastIndexOf('/'));
    }

    /** The gate class for calls from {@code callerPackage}: a class of the same run-time package, defined by the boot loader. */
    public String gateClass() {
        return callerPackage() + "/AgtGate";
    }

    public String id() {
        return "gate:" + owner + "." + name;
    }

    /** Classes whose calls are never redirected: the callee's own class (it calls its natives) and the gate itself. */
    public boolean exempt(String className) {
        return className.equals(owner) || className.equals(gateClass()) || EXEMPT.contains(className);
    }

    /** java.io.UnixFileSystem implements FileSystem and calls its own natives through this. */
    static final Set<String> EXEMPT = Set.of("java/io/UnixFileSystem");
}
