package dev.agt.audit.entry;

import java.util.Map;

/**
 * An entry whose {@code type} this reader does not know. Readers skip it or show it as it is;
 * it is never a reason to fail, because a newer engine may write types an older reader has not
 * heard of, and the verifier hashes lines whatever they hold.
 *
 * @param seq    the entry's sequence number ({@code -1} when the line lacks one)
 * @param fields every stored member but {@code seq} and {@code prev}, as read (so the entry
 *               writes back to the same line)
 */
public record UnknownEntry(long seq, Map<String, Object> fields) implements LogEntry {

    public UnknownEntry {
        fields = Json.copy(fields);
    }

    @Override
    public String type() {
        return fields.get("type") instanceof String s ? s : "";
    }

    @Override
    public String time() {
        return fields.get("time") instanceof String s ? s : "";
    }
}
