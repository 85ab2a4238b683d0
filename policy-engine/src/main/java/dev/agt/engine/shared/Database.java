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

    private Database(String jdbcUrl, String display, String user, String password, boolean loopback) {
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
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("ApplicationName", "agt");
        if (!loopback && !jdbcUrl.matches("(?i).*[?&]ssl(mode)?=.*")) {
            // the database says who is killed and how many calls are left: off this host, only one whose certificate checks out
            props.setProperty("sslmode", "verify-full");
        }
    }

    private Database(Database base, Properties extra) {
        this.jdbcUrl = base.jdbcUrl;
        this.display = base.display;
        this.props.putAll(base.props);
        this.props.putAll(extra);
    }

    /**
     * The same database for an engine's own connections: a statement that does not answer within
     * 5 s fails, a row lock is waited on for at most 2 s, and a transaction left idle (an engine
     * paused mid-change) is ended by the server after 10 s, so no engine holds the fleet's kill
     * switch hostage. Commands run by people ({@code agt audit verify --store}) keep no such limits.
     */
    public Database forEngine() {
        Properties extra = new Properties();
        extra.setProperty("socketTimeout", "5");
        extra.setProperty("options", "-c lock_timeout=2000 -c idle_in_transaction_session_timeout=10000");
        return new Database(this, extra);
    }

    /** Parses {@code url}; throws {@link BadUrl} for anything that is not a PostgreSQL URL. */
    public static Database of(String url) {
        if (url == null || url.isBlank()) {
            throw new BadUrl("a PostgreSQL URL is needed, such as postgresql://agt@db.internal:5432/agt");
        }
        if (url.startsWith("jdbc:postgresql://")) {
            return new Database(url, redact(url.substring("jdbc:".length())), null, null, false);
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
        int firstAt = rest.indexOf('@');
        if (firstAt > slash && slash >= 0 && rest.substring(0, firstAt).contains(":") && !rest.substring(0, firstAt).contains("?")) {
            // user:pa/ss@host: the password holds a character that ends the host part; never echo it
            throw new BadUrl("the password in the --state URL must be percent-encoded ('/', '?', '#' and '@' in it as %2F, %3F, %23, %40),"
                    + " or given in PGPASSWORD");
        }
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
        if (path.matches("(?i).*[?&](options|socketTimeout|connectTimeout|loginTimeout)=.*")) {
            // pgjdbc lets the URL override them: an engine's lock and idle-transaction limits would silently go
            throw new BadUrl("options, socketTimeout, connectTimeout and loginTimeout are set by agt; leave them out of the URL");
        }
        String display = "postgresql://" + (user != null ? user + "@" : "") + authority + path.replaceAll("(?i)password=[^&]*", "password=***");
        String host = authority.replaceFirst(":[0-9]*$", "");
        boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
        return new Database("jdbc:postgresql://" + authority + path, display, user, password, loopback);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** For messages about a URL that may hold a password: everything before the last '@' of the authority goes. */
    private static String redact(String url) {
        return url.replaceAll("//.*@", "//***@").replaceAll("(?i)password=[^&]*", "password=***");
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
