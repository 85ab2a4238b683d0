package dev.agt.cli.report;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The report's filters: decisions from {@code since} (inclusive) to {@code until} (exclusive),
 * of one agent and one family; any may be null. Times are compared as instants, not as text:
 * the engine writes {@code Instant.toString()}, whose fraction varies in length, so
 * {@code 10:00:00Z} sorts after {@code 10:00:00.5Z} as a string.
 */
public record Window(Instant since, Instant until, String agent, String family) {
    public static final Window ALL = new Window(null, null, null, null);

    /** Reads {@code 2026-11-27T10:00:00Z}, {@code 2026-11-27T11:00:00+01:00} or {@code 2026-11-27} (midnight UTC). */
    public static Instant parseTime(String option, String text) {
        if (text == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException(option + " '" + text + "' is not a time: use ISO-8601, e.g. 2026-11-27T10:00:00Z or 2026-11-27");
            }
        }
    }

    /** Null when the entry's time cannot be read. */
    static Instant time(String iso) {
        try {
            return iso == null ? null : Instant.parse(iso);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(iso).toInstant();
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    /** Whether a time is inside; an unreadable time is inside only when no time bound is set. */
    boolean inTime(Instant t) {
        if (since == null && until == null) {
            return true;
        }
        return t != null && (since == null || !t.isBefore(since)) && (until == null || t.isBefore(until));
    }

    boolean keeps(Instant t, String agentName, String familyName) {
        return inTime(t) && (agent == null || agent.equals(agentName)) && (family == null || family.equals(familyName));
    }

    /** The filters as {@code name=value} words; empty when there are none. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        if (since != null) {
            out.add("since=" + since);
        }
        if (until != null) {
            out.add("until=" + until);
        }
        if (agent != null) {
            out.add("agent=" + agent);
        }
        if (family != null) {
            out.add("family=" + family);
        }
        return out;
    }
}
