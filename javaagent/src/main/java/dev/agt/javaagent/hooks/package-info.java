/**
 * The table of JDK methods hooked at entry (or before each return) and the ASM transformer that
 * inserts one static call to the dispatcher. Design notes:
 *
 * <ul>
 * <li><b>Choke points, not APIs.</b> Each hook is the lowest method every route to an effect
 *     passes through ({@code sun.nio.ch.Net.connect}, not {@code Socket.connect}); a new public
 *     API that reaches the same native method is governed without a new hook. Where the JDK has
 *     no Java body to hook (natives of {@code UnixNativeDispatcher}), the {@code gates} package
 *     rewrites the call sites instead.</li>
 * <li><b>No frames recomputed.</b> The inserted code loads arguments and makes one call, and
 *     leaves the operand stack as it found it, so the rest of the method is copied through
 *     untouched: computing frames would load classes from inside the JDK's own class loading
 *     (class circularity) and costs start-up time.</li>
 * <li><b>Retransformation.</b> Most hooked classes are loaded before premain; they are
 *     retransformed, which may not add methods or fields: hence a call to a static method in
 *     another class, never new members. A hooked class that cannot be rewritten stops the JVM at
 *     start-up (nothing runs ungoverned), and later halts it.</li>
 * <li><b>JDK drift.</b> Descriptors differ between releases ({@code desc} lists alternatives);
 *     the start-up self-check refuses to run when a required hook is found on no descriptor of
 *     the running JDK, and {@code native-coverage.tsv} maps every JDK native to the hook or
 *     gate that governs it, checked on JDK 17 and 25 by a test.</li>
 * <li><b>Reentrancy</b> is the dispatcher's job (see the bootstrap package): a hook never checks
 *     whether the agent itself is calling.</li>
 * </ul>
 */
package dev.agt.javaagent.hooks;
