package dev.agt.protocol;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Where the engine listens: a Unix domain socket path ({@code /run/agt.sock} or
 * {@code unix:/run/agt.sock}) or, for containers and sidecars, TCP ({@code tcp:127.0.0.1:7301}).
 */
public record EngineAddress(SocketAddress address) {

    public static EngineAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("engine address is empty");
        }
        if (text.startsWith("tcp:")) {
            String rest = text.substring(4);
            int colon = rest.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("tcp address must be tcp:HOST:PORT, got " + text);
            }
            String host = rest.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(rest.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad port in " + text);
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range in " + text);
            }
            return new EngineAddress(new InetSocketAddress(host, port));
        }
        String path = text.startsWith("unix:") ? text.substring(5) : text;
        return new EngineAddress(UnixDomainSocketAddress.of(Path.of(path)));
    }

    public boolean isUnix() {
        return address instanceof UnixDomainSocketAddress;
    }

    public SocketChannel connect() throws IOException {
        SocketChannel ch = isUnix() ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        try {
            ch.connect(address);
            if (!isUnix()) {
                ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
            }
            return ch;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return address instanceof UnixDomainSocketAddress u ? u.getPath().toString()
                : "tcp:" + ((InetSocketAddress) address).getHostString() + ":" + ((InetSocketAddress) address).getPort();
    }
}
