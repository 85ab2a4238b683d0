/**
 * MCP tool lists: scanning tool descriptions and schemas for poisoning
 * ({@link dev.agt.engine.mcp.ToolScanner}), pinning each tool's fingerprint on first sight
 * ({@link dev.agt.engine.mcp.ToolPins}), and turning both into the facts rules test with
 * {@code when:} ({@link dev.agt.engine.mcp.McpFacts}).
 *
 * <p>Design notes. A tool's description and schema are text the model reads as instructions, and
 * the server can change them at any time after the user approved it (a "rug pull"). So the engine
 * remembers what each server's tools looked like the first time it saw them, and reports a tool
 * whose fingerprint later differs as changed; it never re-pins by itself, because a silent re-pin
 * would make the second change look like the first sight. Pins outlive the engine in a small JSON
 * file written atomically (temp file, fsync, rename); a file that cannot be read makes every mcp
 * request deny ({@code state-unavailable}) until an operator repairs or removes it, instead of
 * starting again from nothing.
 *
 * <p>The scanner is a set of fixed, deterministic heuristics with no model and no network: it looks
 * for text a person reviewing the tool would not see (invisible and bidirectional characters,
 * comments, long base64) and for phrasing aimed at the model rather than at the person (overriding
 * instructions, sending secrets somewhere, keeping things from the user). It is tuned to stay
 * quiet on ordinary tool descriptions; its findings are evidence for a rule, not a verdict.
 */
package dev.agt.engine.mcp;
