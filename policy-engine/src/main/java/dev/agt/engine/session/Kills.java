package dev.agt.engine.session;

import dev.agt.engine.state.StateFile;
import java.util.Collection;
import java.util.function.UnaryOperator;

/**
 * Which agents are stopped: a file on this host ({@link KillSwitch}) or the fleet's shared state
 * in PostgreSQL ({@code dev.agt.engine.shared.SharedState}). Either way a change is stored before
 * it takes effect, and state that cannot be trusted fails closed.
 */
public interface Kills {
    /** The state in force, or {@link StateFile.Unavailable} when it cannot be trusted (every call is then denied). */
    KillSwitch.State state() throws StateFile.Unavailable;

    /** Applies {@code change}; when the result differs it is stored first and then takes effect. */
    KillSwitch.State change(UnaryOperator<KillSwitch.State> change, String by) throws StateFile.Unavailable;

    /** The one of {@code handles} revoked for the whole fleet, or null (a file on one host revokes through the registry). */
    default String revoked(Collection<String> handles) {
        return null;
    }

    /** Why the state cannot be used right now, or null. */
    String problem();

    /** Where the state is kept, as messages name it. */
    String where();
}
