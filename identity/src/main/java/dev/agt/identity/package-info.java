/**
 * Agent identities, on the JDK and jackson-core only (the javaagent carries this package into
 * other people's JVMs, so it brings no library that could clash with theirs: the agent relocates
 * jackson-core, which it carries anyway, and this package touches it only to read a registry or a
 * token payload, never on the agent's start-up path).
 *
 * <ul>
 *   <li>{@link dev.agt.identity.AgentKey}: an Ed25519 key pair with its {@code did:key}
 *       ({@link dev.agt.identity.DidKey}); {@link dev.agt.identity.KeyFile} stores it, mode 0600.</li>
 *   <li>{@link dev.agt.identity.Registry}: the engine's list of known agents (names, labels, revoked).</li>
 *   <li>{@link dev.agt.identity.DelegationToken}: a parent's signed grant to a child DID, limited by a
 *       {@link dev.agt.identity.Scope} and an expiry; {@link dev.agt.identity.Delegation#verify}
 *       checks a whole chain against the registry.</li>
 *   <li>{@link dev.agt.identity.Ed25519} and {@link dev.agt.identity.CanonicalJson}: the project's one
 *       signature implementation and one canonical JSON writer, here because this is the lowest
 *       module that signs; the audit log's checkpoints and entries use them too.</li>
 * </ul>
 *
 * <p>Design notes. Signatures are always verified and always with the key the DID itself carries:
 * there is no path where an unknown key makes a check optional. Every refusal carries a stable code
 * ({@link dev.agt.identity.IdentityException}) so the engine can send it and log it. Scope
 * narrowing is judged by a {@link dev.agt.identity.Scope.PatternCover} the caller supplies: this
 * package does not know the policy language's glob semantics (the engine does), and the plain
 * equality judgement it offers is always safe, only stricter. The engine enforces every link's
 * scope on every request anyway, so a misjudged narrowing could never grant more; refusing a
 * widening chain up front makes the mistake visible where it is made.
 */
package dev.agt.identity;
