package dev.agt.tests;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for integration tests, run from the binaries of the Debian {@code postgresql} package: no mock
 * and no container, so a test sees the wire protocol, the SQL and the crash recovery a deployment sees.
 *
 * <p>Everything lives in one fresh directory under {@code /tmp} (short enough for the Unix socket path, and not under a
 * root-only {@code target/}), which {@link #close()} removes. PostgreSQL refuses to run as root, so when the JVM is root
 * the server runs as {@code postgres} (or {@code nobody}) through {@code setpriv}, which execs: the child process is the
 * postmaster itself, so {@link #kill()} and {@link #stop()} signal the server and not a wrapper.
 */
final class Postgres implements AutoCloseable {
    private static final Path INSTALLS = Path.of("/usr/lib/postgresql");
    private static final String HOST = "127.0.0.1";
    private static final String SUPERUSER = "postgres";
    /** How long the server may take to accept connections, and to shut down before it is killed. */
    private static final long READY_SECONDS = 30;
    /** A bound on every client command, so a wedged server fails the test instead of hanging it. */
    private static final long COMMAND_SECONDS = 120;

    private final Path bin;
    private final Account account;
    private final Path dir;
    private final Path data;
    private final Path log;
    private final int port;
    private Process server;

    private Postgres(Path bin, Account account, Path dir, int port) {
        this.bin = bin;
        this.account = account;
        this.dir = dir;
        this.data = dir.resolve("data");
        this.log = dir.resolve("postgres.log");
        this.port = port;
    }

    /** The newest installed server, so a machine with several majors tests against the one it would deploy. */
    static Optional<Path> binDir() {
        try (Stream<Path> versions = Files.list(INSTALLS)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Stream.of("initdb", "postgres", "pg_ctl").allMatch(n -> Files.isExecutable(b.resolve(n))))
                    .max(Comparator.comparing(Postgres::version, Arrays::compare));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Whether {@link #start()} can work here, for tests to skip rather than fail where PostgreSQL is not installed. */
    static boolean available() {
        return binDir().isPresent() && Account.find().isPresent();
    }

    /** Initialises a new cluster with a trusted {@code postgres} superuser and starts it on a free loopback port. */
    static Postgres start() throws IOException, InterruptedException {
        Path bin = binDir().orElseThrow(() -> new IllegalStateException("no PostgreSQL server under " + INSTALLS));
        Account account = Account.find().orElseThrow(() -> new IllegalStateException("running as root, and no user to run PostgreSQL as"));
        int port = freePort();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "agt-pg");
        Postgres pg = new Postgres(bin, account, dir, port);
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createDirectory(pg.data);
            Files.setPosixFilePermissions(pg.data, PosixFilePermissions.fromString("rwx------"));
            account.own(pg.data);
            Result init = exec(account.command(bin.resolve("initdb").toString(), "-D", pg.data.toString(), "-A", "trust",
                    "-U", SUPERUSER, "--no-sync", "-E", "UTF8", "--locale=C"));
            if (init.exit() != 0) {
                throw new IOException("initdb failed: " + init);
            }
            pg.launch();
            return pg;
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                pg.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    int port() {
        return port;
    }

    /** A libpq connection URI, for clients that take one. */
    String url(String database) {
        return "postgresql://" + SUPERUSER + "@" + HOST + ":" + port + "/" + database;
    }

    String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database + "?user=" + SUPERUSER;
    }

    void createDatabase(String name) throws IOException, InterruptedException {
        sql("postgres", "CREATE DATABASE \"" + name.replace("\"", "\"\"") + "\"");
    }

    /** Runs {@code sql} through psql, stopping at the first error so a broken fixture fails where it breaks. */
    void sql(String database, String sql) throws IOException, InterruptedException {
        psql(database, sql);
    }

    /** The unaligned, tuples-only output of {@code sql}: one row a line, columns separated by {@code |}. */
    String query(String database, String sql) throws IOException, InterruptedException {
        return psql(database, sql, "-At").strip();
    }

    /**
     * Kills the server as a crash or an OOM kill would: no shutdown checkpoint, so {@link #restart()} runs crash recovery.
     * The backends are killed too, since a live one would keep the shared memory and stop the restart.
     */
    void kill() throws InterruptedException {
        if (server == null) {
            return;
        }
        List<ProcessHandle> children = destroyAll();
        server.waitFor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
        while (!children.stream().allMatch(Postgres::exited) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /** Starts the server again on the same port and data, after {@link #kill()} or {@link #stop()}. */
    void restart() throws IOException, InterruptedException {
        if (running()) {
            throw new IllegalStateException("PostgreSQL is still running on port " + port);
        }
        launch();
    }

    /** A fast shutdown (SIGINT, through pg_ctl): clients are disconnected and the server checkpoints; killed if it hangs. */
    void stop() throws IOException, InterruptedException {
        if (!running()) {
            return;
        }
        Result stop = exec(account.command(bin.resolve("pg_ctl").toString(), "stop", "-D", data.toString(), "-m", "fast", "-W"));
        if (stop.exit() != 0 || !server.waitFor(READY_SECONDS, TimeUnit.SECONDS)) {
            kill();
        }
    }

    /** Stops the server and deletes its directory; interrupted, it kills the server without waiting and still deletes. */
    @Override
    public void close() throws IOException {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping PostgreSQL on port " + port);
        } finally {
            if (running()) {
                destroyAll();
            }
            deleteRecursively(dir);
        }
    }

    /** Starts the server again if a test left it killed or stopped, so one failing test does not fail the rest. */
    void ensureRunning() throws IOException, InterruptedException {
        if (!running()) {
            restart();
        }
    }

    private boolean running() {
        return server != null && server.isAlive();
    }

    /**
     * SIGKILLs the postmaster and then the backends it had, in that order: a postmaster that saw its backends die first
     * would start crash recovery and fork new ones. Returns the backends it killed.
     */
    private List<ProcessHandle> destroyAll() {
        List<ProcessHandle> children = server.descendants().toList();
        server.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        return children;
    }

    private void launch() throws IOException, InterruptedException {
        server = new ProcessBuilder(account.command(bin.resolve("postgres").toString(), "-D", data.toString(), "-p", String.valueOf(port),
                "-c", "listen_addresses=" + HOST, "-c", "unix_socket_directories=" + data, "-c", "fsync=off",
                "-c", "max_connections=100",
                // dynamic shared memory as files in the data directory, not in /dev/shm, where a killed server would leave them
                "-c", "dynamic_shared_memory_type=mmap"))
                .directory(Path.of("/").toFile())
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(log.toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_SECONDS);
        while (!accepting()) {
            if (!server.isAlive()) {
                throw new IOException("PostgreSQL exited with " + server.exitValue() + "; its log ends:\n" + logTail());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("PostgreSQL did not accept connections on port " + port + " within " + READY_SECONDS
                        + " s; its log ends:\n" + logTail());
            }
            Thread.sleep(100);
        }
    }

    /**
     * Both a TCP connect and pg_isready: the port opens before crash recovery ends, and until then pg_isready says
     * "rejecting connections".
     */
    private boolean accepting() throws IOException, InterruptedException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 500);
        } catch (IOException e) {
            return false;
        }
        Path isReady = bin.resolve("pg_isready");
        return !Files.isExecutable(isReady)
                || exec(List.of(isReady.toString(), "-q", "-h", HOST, "-p", String.valueOf(port), "-U", SUPERUSER)).exit() == 0;
    }

    /**
     * Whether a process has exited, zombies included: a zombie holds no shared memory and no socket any more, and an orphaned
     * backend is reaped by init, which may take a second or, under an init that does not reap, never happen.
     */
    private static boolean exited(ProcessHandle process) {
        if (!process.isAlive()) {
            return true;
        }
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (IOException e) {
            return true;
        }
    }

    private String psql(String database, String sql, String... options) throws IOException, InterruptedException {
        Path local = bin.resolve("psql");
        List<String> cmd = new ArrayList<>(List.of(Files.isExecutable(local) ? local.toString() : "psql", "-X", "-v", "ON_ERROR_STOP=1",
                "-h", HOST, "-p", String.valueOf(port), "-U", SUPERUSER, "-d", database));
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("-c", sql));
        Result r = exec(cmd);
        if (r.exit() != 0) {
            throw new IOException("psql on " + database + " failed (exit " + r.exit() + ") for: " + sql + "\n" + r.err().strip());
        }
        return r.out();
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int[] version(Path bin) {
        try {
            return Arrays.stream(bin.getParent().getFileName().toString().split("\\.")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            return new int[0];
        }
    }

    /** Asks the kernel for an unused port; the small race with another process taking it first is accepted. */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(HOST, 0));
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a leftover directory under /tmp does no harm
        }
    }

    /** A finished command: its exit code and what it printed. */
    private record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** Runs a command from {@code /}, a directory any user may enter, with its output in files so it cannot block on a pipe. */
    private static Result exec(List<String> cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("pg-cmd", ".out");
        Path err = Files.createTempFile("pg-cmd", ".err");
        try {
            Process p = new ProcessBuilder(cmd).directory(Path.of("/").toFile())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            if (!p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
                throw new IOException(String.join(" ", cmd) + " did not finish within " + COMMAND_SECONDS + " s");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /**
     * Who the server's processes run as: the JVM's own user, or, when that is root, which PostgreSQL refuses, an unprivileged
     * one through {@code setpriv} ({@code name} is then that user).
     */
    private record Account(String name, List<String> prefix) {
        static Optional<Account> find() {
            if (new UnixSystem().getUid() != 0) {
                return Optional.of(new Account(null, List.of()));
            }
            for (String user : List.of("postgres", "nobody")) {
                try {
                    Result gid = exec(List.of("id", "-g", user));
                    if (gid.exit() == 0) {
                        List<String> prefix = List.of("setpriv", "--reuid=" + user, "--regid=" + gid.out().strip(), "--init-groups", "--");
                        Account account = new Account(user, prefix);
                        return exec(account.command("true")).exit() == 0 ? Optional.of(account) : Optional.empty();
                    }
                } catch (IOException e) {
                    return Optional.empty();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Optional.empty();
                }
            }
            return Optional.empty();
        }

        List<String> command(String... args) {
            List<String> cmd = new ArrayList<>(prefix);
            cmd.addAll(List.of(args));
            return cmd;
        }

        void own(Path path) throws IOException {
            if (name != null) {
                Files.setOwner(path, FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(name));
            }
        }
    }
}
