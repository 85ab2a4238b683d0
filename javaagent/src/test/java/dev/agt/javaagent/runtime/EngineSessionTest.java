package dev.agt.javaagent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agt.protocol.Decision;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameCodec;
import dev.agt.protocol.FrameType;
import dev.agt.protocol.Limits;
import dev.agt.protocol.OutcomeSpool;
import dev.agt.protocol.Reasons;
import dev.agt.protocol.Request;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nobody reads the engine connection between calls, so a restarted engine is found by the next
 * call. That call must be asked again on a new connection, not denied for an engine that is
 * there; an engine that is really gone is still a denial. A scripted engine on a real socket.
 */
class EngineSessionTest {
    @TempDir
    Path dir;
    ServerSocketChannel server;
    final List<SocketChannel> accepted = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger decided = new AtomicInteger();
    OutcomeSpool spool;

    void listen() throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("e.sock")));
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    SocketChannel ch = server.accept();
                    accepted.add(ch);
                    Thread c = new Thread(() -> serve(ch));
                    c.setDaemon(true);
                    c.start();
                }
            } catch (IOException closed) {
                // test over, or the engine "restarts"
            }
        });
        t.setDaemon(true);
        t.start();
    }

    void serve(SocketChannel ch) {
        try {
            for (Frame f; (f = FrameCodec.read(ch, Limits.DEFAULT)) != null; ) {
                Frame reply = f.type() == FrameType.HELLO
                        ? new Frame(FrameType.HELLO_OK, f.id(), Map.of("engine", "scripted", "policy", "p", "session", 1L))
                        : new Frame(FrameType.DECISION, f.id(), new Decision(Decision.Effect.ALLOW, "r", "allowed", "ok", "p",
                                decided.incrementAndGet()).toBody());
                ch.write(FrameCodec.encode(reply, Limits.DEFAULT));
            }
        } catch (IOException gone) {
            // cut by the test
        }
    }

    /** Closes every connection the way an engine that exits does; the socket keeps listening only if {@code stillThere}. */
    void restart(boolean stillThere) throws IOException {
        synchronized (accepted) {
            for (SocketChannel ch : accepted) {
                ch.close();
            }
            accepted.clear();
        }
        if (!stillThere) {
            server.close();
            Files.deleteIfExists(dir.resolve("e.sock"));
        }
    }

    EngineSession session() {
        Options o = Options.parse("engine=" + dir.resolve("e.sock") + ",name=t,timeoutMs=2000", Map.of());
        CallingFrames frames = new CallingFrames(0, false);
        spool = new OutcomeSpool(10, r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        return new EngineSession(new Settings() {
            @Override
            public Options options() {
                return o;
            }

            @Override
            public CallingFrames frames() {
                return frames;
            }
        }, spool);
    }

    @AfterEach
    void close() throws IOException {
        if (spool != null) {
            spool.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static final Request READ = Request.of("file", "read", Map.of("path", "/srv/a"));

    @Test
    void aCallThatFindsTheEngineRestartedIsAskedAgainOnANewConnection() throws Exception {
        listen();
        EngineSession s = session();
        assertNull(s.connect());
        assertTrue(s.decide(READ).allowed());
        Thread.sleep(1100); // past the once-a-second limit on reconnecting, as between an agent's calls
        restart(true);
        Decision d = s.decide(READ);
        assertTrue(d.allowed(), "the engine is there again: " + d.code() + " " + d.reason());
        assertEquals(2, decided.get(), "decided by the engine, on the new connection");
    }

    @Test
    void anEngineThatIsGoneIsStillADenial() throws Exception {
        listen();
        EngineSession s = session();
        assertNull(s.connect());
        assertTrue(s.decide(READ).allowed());
        Thread.sleep(1100);
        restart(false);
        Decision d = s.decide(READ);
        assertEquals(Reasons.ENGINE_UNREACHABLE, d.code(), d.reason());
        assertEquals(Decision.Effect.DENY, d.effect());
    }
}
