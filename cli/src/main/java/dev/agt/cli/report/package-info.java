/**
 * {@code agt report}: the blocked-call report a security reviewer reads.
 *
 * <p>One model, three renderings. {@link dev.agt.cli.report.ReportBuilder} reads the log into a
 * {@link dev.agt.cli.report.Report} (verification, totals, counts, timeline, blocked calls and
 * would-be blocks with their proofs, monitor-mode periods, policy versions, events, flagged MCP
 * tools); {@code HtmlReport}, {@code MarkdownReport} and {@code JsonReport} print that record
 * and compute nothing, which is how the three formats keep to the same facts
 * ({@code ReportTest} reads all three back and compares them).
 *
 * <p>Local outcomes (what an agent did on its own, after or without a decision) get a section of
 * their own and do not change the decision counts: the counts say what the engine decided, the
 * section where a call then went otherwise. An outcome without a request of its own is shown
 * (and filtered) by the call of the decision it follows, when that decision is among the last
 * {@code ReportBuilder.REMEMBERED} read. Every entry is read through the audit module's
 * {@code EntryCodec} into the records the engine writes ({@code DecisionEntry},
 * {@code OutcomeEntry}, the {@code EngineEvent} kinds).
 *
 * <p>The log is evidence only through the audit module: it is verified with {@code Verifier},
 * read through {@code LogScan} and proved with {@code ProofFiles.Prover} (the code behind
 * {@code agt audit prove}), never parsed by a second, report-only reader of the chain. A log
 * that does not verify still gets a report, because a reviewer needs to see what it claims, but
 * the report says TAMPERED at the top, marks every entry from the first bad one on and carries
 * no proofs; the command then exits 1.
 *
 * <p>Every string in the log may be attacker-chosen: an agent steered by injected text chose
 * the URLs, paths, arguments and MCP tool descriptions in it. The HTML escapes each value once,
 * into text or a double-quoted attribute, never into script, style or a URL, and its
 * Content-Security-Policy runs only the page's own script and style (by hash) and loads
 * nothing, so an escaping bug would still not execute. The Markdown neutralises table pipes,
 * emphasis, links, code spans and HTML.
 */
package dev.agt.cli.report;
