package dev.agt.engine.mcp;

import dev.agt.engine.state.StateFile;
import java.util.Map;
import java.util.function.Function;

/**
 * Where the tool pins are kept: a file on this host ({@link ToolPins}) or the fleet's shared
 * state in PostgreSQL, where a tool pinned by any engine is pinned for all, so a server that
 * changes a tool's description shows as a rug pull on every host. Either way a store that
 * cannot be used makes MCP requests fail ({@link StateFile.Unavailable}), never unpinned.
 */
public interface PinStore {
    /** The tool's record, or null when no engine sharing the store saw it listed by that server. */
    ToolPins.Pin get(String server, String tool) throws StateFile.Unavailable;

    /**
     * Changes the store: {@code change} gets a mutable copy and returns a result; when the copy
     * then differs from the store, it is written before it is taken.
     */
    <T> T change(Function<Map<ToolPins.Key, ToolPins.Pin>, T> change) throws StateFile.Unavailable;

    /** Why the store cannot be used right now, or null. */
    String problem();

    /** Where the pins are kept, as messages name it. */
    String where();
}
