package dev.agt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agt.protocol.AdminRequest;
import dev.agt.protocol.EngineAddress;
import dev.agt.protocol.EngineClient;
import dev.agt.protocol.Frame;
import dev.agt.protocol.FrameType;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Admin calls to a running engine over its socket. */
final class Admin {
    static final ObjectMapper JSON = new ObjectMapper();

    private Admin() {
    }

    /** Sends one admin request; prints a clear error and returns null when that fails. */
    static Map<String, Object> call(String socket, AdminRequest request) {
        try (EngineClient c = EngineClient.connect(EngineAddress.parse(socket), "agt-cli", Map.of("admin", true), 5000)) {
            Frame reply = c.call(request.type(), request.toBody()).get(30, TimeUnit.SECONDS);
            if (reply.type() == FrameType.ERROR) {
                System.err.println("agt: engine refused: " + reply.body().get("message"));
                return null;
            }
            return reply.body();
        } catch (IOException e) {
            System.err.println("agt: cannot reach the engine at " + socket + ": " + e.getMessage());
            return null;
        } catch (Exception e) {
            System.err.println("agt: engine call failed: " + e);
            return null;
        }
    }

    static String duration(long ms) {
        long s = ms / 1000;
        return s >= 3600 ? (s / 3600) + "h" + (s % 3600 / 60) + "m" : s >= 60 ? (s / 60) + "m" + (s % 60) + "s" : s + "s";
    }
}
