package dev.agt.engine.shared;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/**
 * A PostgreSQL database given as a libpq-style URI ({@code postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?k=v&...]})
 * or a JDBC URL ({@code jdbc:postgresql://...}). A password may also come from {@code PGPASSWORD}
 * so that it need not appear on a command line. Messages name the database by {@link #display()},
 * which never carries the password.
 *
 * <p>Connections fail fast: a database that does not answer within a few seconds is treated as
 * gone (the callers fail closed), never waited on for the TCP defaults of minutes.
 */
public final class Database {
    /** The URL cannot be used: says why, in words an operator can act on. */
    public static final class BadUrl extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadUrl(String message) {
            super(message);
        }
    }

    private static final org.postgresql.Driver DRIVER = new org.postgresql.Driver();
    private final String jdbcUrl;
    private final String display;
    private final Properties props = new Properties();

    private Database(String jdbcUrl, String display, String user, String password) {
        this.jdbcUrl = jdbcUrl;
        this.display = display;
        if (user != null) {
            props.setProperty("user", user);
        }
        String pw = password != null ? password : System.getenv("PGPASSWORD");
        if (pw != null) {
            props.setProperty("password", pw);
        }
        props.setProperty("connectTimeout", "3");
        props.setProperty("loginTimeout", "3");
        props.setProperty("socketTimeout", "5");
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("ApplicationName", "agt");
    }

    /** Parses {@code url}; throws {@link BadUrl} for anything that is not a PostgreSQL URL. */
    public static Database of(String url) {
        if (url == null || url.isBlank()) {
            throw new BadUrl("a PostgreSQL URL is needed, such as postgresql://agt@db.internal:5432/agt");
        }
        if (url.startsWith("jdbc:postgresql://")) {
            return new Database(url, redact(url.substring("jdbc:".length())), null, null);
        }
        String rest;
        if (url.startsWith("postgresql://")) {
            rest = url.substring("postgresql://".length());
        } else if (url.startsWith("postgres://")) {
            rest = url.substring("postgres://".length());
        } else {
            throw new BadUrl("'" + redact(url) + "' is not a PostgreSQL URL: write postgresql://USER@HOST:PORT/DATABASE");
        }
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash);
        String user = null;
        String password = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String info = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? null : decode(info.substring(colon + 1));
        }
        if (authority.isEmpty()) {
            throw new BadUrl("'" + redact(url) + "' names no host: write postgresql://USER@HOST:PORT/DATABASE");
        }
        if (path.length() <= 1 || path.startsWith("/?")) {
            throw new BadUrl("'" + redact(url) + "' names no database: write postgresql://USER@HOST:PORT/DATABASE");
        }
        String display = "postgresql://" + (user != null ? user + "@" : "") + authority + path.replaceAll("(?i)password=[^&]*", "password=***");
        return new Database("jdbc:postgresql://" + authority + path, display, user, password);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String redact(String url) {
        return url.replaceAll("//([^:/@]*):[^@/]*@", "//$1:***@").replaceAll("(?i)password=[^&]*", "password=***");
    }

    /** The database as messages name it: without a password. */
    public String display() {
        return display;
    }

    /** A new connection in autocommit mode. */
    public Connection connect() throws SQLException {
        // the driver directly, not DriverManager: a shaded jar need not carry its service file
        Connection c = DRIVER.connect(jdbcUrl, props);
        if (c == null) {
            throw new SQLException("the PostgreSQL driver does not accept " + display);
        }
        c.setAutoCommit(true);
        return c;
    }

    /** A one-line account of {@code e} and its causes, as PostgreSQL or the driver gave them. */
    public static String describe(SQLException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().strip();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
