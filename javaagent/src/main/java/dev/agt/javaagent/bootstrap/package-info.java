/**
 * What JDK code calls: the {@code Dispatcher}, the {@code Handler} it asks, and the denial
 * exceptions each hooked call site already declares. Design notes for the next reader:
 *
 * <ul>
 * <li><b>Bootstrap loader.</b> Hooked JDK classes (java.io, sun.nio.ch, sun.nio.fs...) are
 *     loaded by the boot loader and can only link against classes it can see. These classes are
 *     defined there at start-up (see {@code BootstrapInjector}) and sealed in a named module of
 *     the boot layer ({@code dev.agt.bootstrap}) that the hooked modules read, so application
 *     code cannot define classes into the package or read its internals. Everything else (the
 *     request building, the engine client, JSON) stays in the agent's own loader behind
 *     {@code Handler}; the boot side must not grow dependencies.</li>
 * <li><b>No lambdas, no invokedynamic</b> in this package (the module compiles string
 *     concatenation inline, {@code -XDstringConcat=inline}, for the same reason): the first call
 *     may come from inside {@code java.lang.invoke} or from the class initialization of the JDK
 *     classes those features need (class circularity: a hook that needs the class it hooks).
 *     Plain anonymous classes only.</li>
 * <li><b>Reentrancy.</b> The agent's own work (talking to the engine, resolving a path,
 *     reading a key file) runs hooked JDK code. A per-thread depth counter lets those nested
 *     calls through; only the holder of the key handed out once at premain can raise it, so
 *     application code can neither switch the checks off for its thread nor install a handler.</li>
 * <li><b>Fail closed.</b> Before premain arms the dispatcher, calls pass (premain's own
 *     thread only); once armed, a missing handler or an exception inside it is a denial.</li>
 * <li><b>Exceptions the caller expects.</b> A denial surfaces as a subclass of what the call
 *     site declares ({@code FileNotFoundException} for an open, {@code ConnectException} for a
 *     connect...), so applications handle it the way they handle the real failure, and the
 *     {@code Denied} marker says it was agt.</li>
 * <li><b>JDK drift.</b> Hook signatures differ across releases; the dispatcher's entry points
 *     take the widest types (Object, Path) so one bootstrap build serves JDK 17 to 25.</li>
 * </ul>
 */
package dev.agt.javaagent.bootstrap;
