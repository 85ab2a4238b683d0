/**
 * The policy language: reading ({@link dev.agt.config.YamlReader},
 * {@link dev.agt.engine.policy.PolicyLoader}), the compiled model ({@link dev.agt.engine.policy.Policy},
 * {@link dev.agt.engine.policy.Rule}, {@link dev.agt.engine.policy.Condition}) and deciding
 * ({@link dev.agt.engine.policy.Evaluator}).
 *
 * <p>Design notes. Semantics are Cedar's and IAM's: deny overrides, then allow, then default deny.
 * The deciding rule among several is the smallest id, never the first in the file, so
 * reordering or duplicating rules cannot change a decision; the loader refuses exact duplicates
 * anyway, because a rule that can never decide is a mistake worth telling its author about.
 * Nothing here does I/O at evaluation time: IP literals are parsed by hand (no resolver), regexes
 * run with a step budget, and {@code ${agent.id}} patterns are compiled per agent with the id
 * escaped, so an agent's name can never act as a wildcard.
 *
 * <p>URL arguments. {@code where: {host: ...}} decides on the host an MCP server's HTTP client
 * will connect to, so the engine must read a URL as that client does, not as
 * {@link java.net.URI} does: {@code https://good.example@evil.example}, {@code https:\\evil.example},
 * {@code %65vil.example} and {@code evil。example} are {@code evil.example} to such a client, and
 * {@code http://0x7f.1} is {@code 127.0.0.1}. {@link dev.agt.engine.policy.UrlParser} and
 * {@link dev.agt.engine.policy.HostParser} follow the WHATWG URL Standard (checked against the
 * web-platform-tests corpus); {@link dev.agt.engine.policy.UrlHost#readings} adds the readings of
 * clients that differ (RFC 3986 authorities, a missing scheme). A reading with no parseable host
 * fails closed, which needs the rule's effect: it meets a deny and fails an allow
 * ({@code Condition.Where}).
 */
package dev.agt.engine.policy;
