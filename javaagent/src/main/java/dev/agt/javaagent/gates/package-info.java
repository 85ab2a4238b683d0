/**
 * Gates: for JDK natives that have no Java body to hook ({@code sun.nio.fs.UnixNativeDispatcher},
 * {@code java.io.FileSystem}'s implementation on JDK 17), every call site in the JDK's own package
 * is redirected to a generated gate class of the same package that asks the dispatcher and then
 * makes the original call. Design notes:
 *
 * <ul>
 * <li><b>Generated from the running JDK.</b> Gate methods are written at start-up from the
 *     descriptors reflection finds on the JDK in hand, so a release that changes a signature
 *     changes the gate, not breaks it; the table says which methods and which arguments.</li>
 * <li><b>Same package, boot loader.</b> A gate must call package-private natives, so it is
 *     defined into the JDK package itself by the boot loader; nothing else is added there.</li>
 * <li><b>Only the owner changes.</b> The call instruction keeps its name and descriptor and the
 *     stack is the same before and after, so the class is copied through with one constant
 *     changed; no frames are computed (see the hooks package for why).</li>
 * <li><b>Subclass spellings.</b> Calls written against a subclass ({@code LinuxNativeDispatcher})
 *     reach the same natives and are redirected too: an unredirected alias is a bypass.</li>
 * </ul>
 */
package dev.agt.javaagent.gates;
