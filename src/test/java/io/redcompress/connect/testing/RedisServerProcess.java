package io.redcompress.connect.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.JarURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real {@code redis-server} process for tests: ephemeral port on 127.0.0.1, its own temporary
 * directory (config, log, AOF/RDB files), deleted on {@link #close()}.
 *
 * <p>The binary is {@code redis-server} from the {@code PATH} when it runs, else the Linux/macOS binary
 * bundled in the {@code com.github.codemonstur:embedded-redis} jar (extracted once per JVM). Force a
 * choice with {@link Builder#binary(BinarySource)} or the system property {@value #BINARY_PROPERTY}
 * ({@code auto}, {@code system}, {@code bundled}, or a path to an executable).
 *
 * <pre>{@code
 * try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly().start();
 *      RespClient client = redis.client()) {
 *     client.set("k", "v");
 *     redis.kill();
 *     redis.restart();          // same port, same dir: the AOF brings "k" back
 * }
 * }</pre>
 *
 * <p>{@link Builder#tls(TestCertificates, boolean)} makes a TLS-only server ({@code rediss://localhost:port});
 * guard such tests with {@code assumeTrue(RedisServerProcess.tlsSupported())}. Debian's Redis 7 and the
 * bundled linux-amd64 binary support TLS; the latter links OpenSSL 3 ({@code libssl.so.3}) dynamically and
 * does not start at all on a machine without it. Directives that repeat (sentinel, rename-command) go in
 * with {@link Builder#configLine(String)}.
 *
 * <p>Every instance not closed yet is killed, and its directory deleted, by a JVM shutdown hook. A JVM
 * that is itself killed with SIGKILL cannot run the hook: its redis-server processes are then orphaned.
 */
public final class RedisServerProcess implements AutoCloseable {

    /** System property choosing the binary: {@code auto} (default), {@code system}, {@code bundled}, or a path. */
    public static final String BINARY_PROPERTY = "redis.server.binary";

    private static final Logger log = LoggerFactory.getLogger(RedisServerProcess.class);

    private static final String HOST = "127.0.0.1";
    private static final int SHARED_INSTANCE_PORT = 6379;
    private static final int START_ATTEMPTS = 5;
    private static final int LOG_TAIL_LINES = 40;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern VERSION = Pattern.compile("v=(\\d+\\.\\d+\\.\\d+)");

    private static final Set<RedisServerProcess> UNCLOSED = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(RedisServerProcess::cleanUpAtExit, "redis-server-process-cleanup"));
    }

    /** Where the {@code redis-server} binary comes from. */
    public enum BinarySource {
        /** {@code redis-server} on the PATH when it runs, else {@link #BUNDLED}. */
        AUTO,
        /** {@code redis-server} on the PATH; fail when there is none. */
        SYSTEM,
        /** The binary bundled in the embedded-redis jar (Redis 6.2). */
        BUNDLED,
        /** An executable named explicitly, by {@link Builder#binaryPath(Path)} or the system property. */
        PATH
    }

    /** A resolved binary: where it is, where it came from, which version it reports. */
    public record Binary(Path path, BinarySource source, String version) {

        /** The major version, e.g. 7 for "7.0.15". */
        public int majorVersion() {
            return Integer.parseInt(version.substring(0, version.indexOf('.')));
        }
    }

    private final Binary binary;
    private final Map<String, String> config;
    private final List<String> configLines;
    private final TestCertificates tlsCertificates;
    private final TestCertificates.Identity tlsIdentity;
    private final boolean tlsAuthClients;
    private final List<String> args;
    private final String password;
    private final Duration startupTimeout;
    private final Path dir;

    private int port;
    private volatile Process process;
    private boolean started;
    private boolean suspended;
    private boolean closed;

    private RedisServerProcess(Builder builder, Binary binary) {
        this.binary = binary;
        this.config = Collections.unmodifiableMap(new LinkedHashMap<>(builder.config));
        this.configLines = List.copyOf(builder.configLines);
        this.tlsCertificates = builder.tlsCertificates;
        this.tlsIdentity = builder.tlsIdentity;
        this.tlsAuthClients = builder.tlsAuthClients;
        this.args = List.copyOf(builder.args);
        this.password = builder.effectivePassword();
        this.startupTimeout = builder.startupTimeout;
        this.port = builder.port;
        try {
            this.dir = Files.createTempDirectory("redis-test-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for redis-server", e);
        }
        UNCLOSED.add(this);
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---- lifecycle -----------------------------------------------------------------------------

    /**
     * Starts the process and waits until it answers PING. The first start picks a free port (retrying
     * with another one when the port got taken in between); later starts reuse that port.
     *
     * @throws IllegalStateException when redis-server does not come up; the message holds its log tail
     */
    public synchronized RedisServerProcess start() {
        if (closed) {
            throw new IllegalStateException("closed: " + this);
        }
        if (isRunning()) {
            throw new IllegalStateException("already running: " + this);
        }
        boolean portChosen = port != 0;
        // a port fixed by the builder fails fast; our own port (restart) may still be held for a moment
        int attempts = portChosen && !started ? 1 : START_ATTEMPTS;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            int candidate = portChosen ? port : freePort();
            try {
                launch(candidate);
                port = candidate;
                awaitReady();
                started = true;
                log.info("redis-server {} ({}) started on {}:{}, pid {}, dir {}",
                        binary.version(), binary.source(), HOST, port, process.pid(), dir);
                return this;
            } catch (StartupFailure e) {
                destroyProcess();
                if (!e.portInUse || attempt == attempts) {
                    throw e.toException(this);
                }
                if (portChosen) {
                    // our own previous process may still be releasing the port: wait a little
                    sleep(200L * attempt);
                } else {
                    port = 0;
                }
                log.debug("port {} in use, retrying ({}/{})", candidate, attempt, attempts);
            }
        }
        throw new AssertionError("unreachable");
    }

    /**
     * Waits, bounded by the startup timeout, until the server on {@link #port()} is this process and
     * answers PING (so not while it is still loading its AOF/RDB).
     *
     * @throws IllegalStateException when the process dies or does not answer in time
     */
    public synchronized void waitUntilReady() {
        if (process == null) {
            throw new IllegalStateException("not started: " + this);
        }
        try {
            awaitReady();
        } catch (StartupFailure e) {
            throw e.toException(this);
        }
    }

    /** Graceful stop: {@code SHUTDOWN NOSAVE} (the AOF, if on, is flushed), then SIGTERM, then SIGKILL. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        if (process.isAlive()) {
            if (suspended) {
                signal("CONT");
                suspended = false;
            }
            try (RespClient client = connect(port, Duration.ofSeconds(2))) {
                client.command("SHUTDOWN", "NOSAVE");
            } catch (UncheckedIOException expected) {
                // the server closes the connection when it shuts down
            } catch (RedisErrorReply e) {
                // e.g. a test changed the password or ACLs: SIGTERM is a graceful shutdown too
                log.warn("SHUTDOWN NOSAVE refused by redis-server on port {} ({}), sending SIGTERM", port, e.reply());
                process.destroy();
            }
            if (!waitForExit(STOP_TIMEOUT)) {
                log.warn("redis-server on port {} did not shut down in {}, terminating it", port, STOP_TIMEOUT);
                process.destroy();
                if (!waitForExit(Duration.ofSeconds(2))) {
                    process.destroyForcibly();
                    waitForExit(STOP_TIMEOUT);
                }
            }
        }
        log.info("redis-server on port {} stopped", port);
        process = null;
    }

    /** SIGKILL: no shutdown, no final fsync. With {@code appendfsync always} every acknowledged write survives. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        if (!waitForExit(STOP_TIMEOUT)) {
            throw new IllegalStateException("redis-server pid " + process.pid() + " survived SIGKILL");
        }
        log.info("redis-server on port {} killed", port);
        process = null;
        suspended = false;
    }

    /** Stops the process if it is running (gracefully), then starts it again on the same port, in the same dir. */
    public synchronized RedisServerProcess restart() {
        stop();
        return start();
    }

    /** Freezes the process with SIGSTOP: connections stay open but nothing is answered (POSIX only). */
    public synchronized void suspend() {
        signal("STOP");
        suspended = true;
    }

    /** Resumes a process frozen by {@link #suspend()} with SIGCONT. */
    public synchronized void resume() {
        signal("CONT");
        suspended = false;
    }

    /** Kills the process if needed and deletes the temporary directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stop();
        } catch (RuntimeException e) {
            log.warn("graceful stop of redis-server on port {} failed, killing it", port, e);
            destroyProcess();
        } finally {
            deleteRecursively(dir);
            UNCLOSED.remove(this);
        }
    }

    // ---- accessors -----------------------------------------------------------------------------

    public String host() {
        return HOST;
    }

    /** The port; 0 before the first {@link #start()}. */
    public synchronized int port() {
        return port;
    }

    /**
     * {@code redis://127.0.0.1:port}, without credentials (see {@link #password()}); with
     * {@link Builder#tls TLS}, {@code rediss://localhost:port} (the name in the test server certificate).
     */
    public String uri() {
        return isTls() ? "rediss://localhost:" + port() : "redis://" + HOST + ":" + port();
    }

    /** Whether the server speaks TLS only ({@link Builder#tls}); {@link #port()} is then the TLS port. */
    public boolean isTls() {
        return tlsCertificates != null;
    }

    /** The certificates of a {@link #isTls() TLS} server; empty otherwise. */
    public Optional<TestCertificates> tlsCertificates() {
        return Optional.ofNullable(tlsCertificates);
    }

    /** The {@code requirepass} password, or null. */
    public String password() {
        return password;
    }

    /** The version the binary reports, e.g. {@code 7.0.15}. */
    public String versionString() {
        return binary.version();
    }

    public Binary binary() {
        return binary;
    }

    /** The working directory: config, logs, AOF/RDB files. */
    public Path dir() {
        return dir;
    }

    public Path logFile() {
        return dir.resolve("redis.log");
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException("not running: " + this);
        }
        return process.pid();
    }

    /**
     * A new client to this server, authenticated when a password is set, over TLS (trusting the test CA,
     * presenting the test client certificate) for a {@link #isTls() TLS} server; the caller closes it.
     */
    public RespClient client() {
        return connect(port(), Duration.ofSeconds(10));
    }

    private RespClient connect(int toPort, Duration timeout) {
        return isTls()
                ? RespClient.connectTls(HOST, toPort, tlsCertificates.clientSocketFactory(), password, timeout)
                : RespClient.connect(HOST, toPort, password, timeout);
    }

    /** The last lines of the redis log and of the process's stdout/stderr, for failure messages. */
    public String logTail() {
        StringBuilder tail = new StringBuilder();
        appendTail(tail, logFile());
        appendTail(tail, dir.resolve("stdout.log"));
        return tail.toString();
    }

    @Override
    public String toString() {
        return "RedisServerProcess[" + HOST + ":" + port + (isTls() ? " (tls)" : "") + ", redis " + binary.version()
                + " (" + binary.source() + "), dir " + dir + (closed ? ", closed" : "") + "]";
    }

    // ---- process handling ----------------------------------------------------------------------

    private void launch(int candidatePort) {
        Path conf = dir.resolve("redis.conf");
        try {
            Files.writeString(conf, configText(candidatePort), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + conf, e);
        }
        List<String> command = new ArrayList<>();
        command.add(binary.path().toString());
        command.add(conf.toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()));
        process = startProcess(pb);
    }

    private String configText(int candidatePort) {
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put("port", Integer.toString(candidatePort));
        if (isTls()) {
            lines.put("port", "0");
            lines.put("tls-port", Integer.toString(candidatePort));
            lines.put("tls-cert-file", quote(tlsIdentity.certPem().toString()));
            lines.put("tls-key-file", quote(tlsIdentity.keyPem().toString()));
            lines.put("tls-ca-cert-file", quote(tlsCertificates.caCertPem().toString()));
            lines.put("tls-auth-clients", tlsAuthClients ? "yes" : "no");
        }
        lines.put("bind", HOST);
        lines.put("protected-mode", "no");
        lines.put("daemonize", "no");
        lines.put("dir", quote(dir.toString()));
        lines.put("logfile", quote(logFile().toString()));
        lines.put("loglevel", "notice");
        lines.put("save", "\"\"");
        lines.put("appendonly", "no");
        if (binary.majorVersion() >= 7) {
            // DEBUG SLEEP / DEBUG RELOAD for fault tests; refused by default since Redis 7
            lines.put("enable-debug-command", "yes");
        }
        if (password != null) {
            lines.put("requirepass", quote(password));
        }
        config.forEach((name, value) -> lines.put(name, value.isEmpty() ? "\"\"" : value));
        StringBuilder text = new StringBuilder("# written by RedisServerProcess\n");
        lines.forEach((name, value) -> text.append(name).append(' ').append(value).append('\n'));
        configLines.forEach(line -> text.append(line).append('\n'));
        return text.toString();
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        String lastProblem = "no answer yet";
        while (true) {
            if (!process.isAlive()) {
                throw new StartupFailure("redis-server exited with code " + process.exitValue(), portInUseInLogs());
            }
            try (RespClient client = connect(port, Duration.ofMillis(500))) {
                client.ping(); // -LOADING while the AOF/RDB is read
                String pid = client.infoMap("server").get("process_id");
                if (Long.toString(process.pid()).equals(pid)) {
                    return;
                }
                lastProblem = "another redis-server (pid " + pid + ") answers on port " + port;
            } catch (UncheckedIOException | RedisErrorReply e) {
                lastProblem = e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                throw new StartupFailure("redis-server not ready after " + startupTimeout + ": " + lastProblem, false);
            }
            sleep(25);
        }
    }

    private boolean portInUseInLogs() {
        String tail = logTail();
        return tail.contains("Address already in use") || tail.contains("Could not create server TCP listening socket");
    }

    private void destroyProcess() {
        if (process != null) {
            process.destroyForcibly();
            waitForExit(STOP_TIMEOUT);
            process = null;
            suspended = false;
        }
    }

    private boolean waitForExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for redis-server to exit", e);
        }
    }

    private void signal(String signal) {
        if (!isRunning()) {
            throw new IllegalStateException("not running: " + this);
        }
        List<String> output = new ArrayList<>();
        int exit = run(List.of("kill", "-" + signal, Long.toString(process.pid())), output);
        if (exit != 0) {
            throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed: " + output);
        }
    }

    private static Process startProcess(ProcessBuilder pb) {
        for (int attempt = 1; ; attempt++) {
            try {
                return pb.start();
            } catch (IOException e) {
                // a just-extracted binary can be briefly "busy" while another thread forks (ETXTBSY)
                if (attempt < 5 && String.valueOf(e.getMessage()).contains("error=26")) {
                    sleep(50);
                    continue;
                }
                throw new UncheckedIOException("cannot start " + pb.command(), e);
            }
        }
    }

    private static int freePort() {
        while (true) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(HOST, 0));
                int port = socket.getLocalPort();
                if (port != SHARED_INSTANCE_PORT) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free port", e);
            }
        }
    }

    private static void cleanUpAtExit() {
        for (RedisServerProcess redis : UNCLOSED) {
            Process p = redis.process;
            if (p != null) {
                p.destroyForcibly();
            }
        }
        for (RedisServerProcess redis : UNCLOSED) {
            Process p = redis.process;
            if (p != null) {
                try {
                    p.waitFor(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            deleteRecursively(redis.dir);
        }
    }

    /** A startup failure; converted to an {@link IllegalStateException} carrying the log tail. */
    private static final class StartupFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final boolean portInUse;

        StartupFailure(String message, boolean portInUse) {
            super(message);
            this.portInUse = portInUse;
        }

        IllegalStateException toException(RedisServerProcess redis) {
            return new IllegalStateException(getMessage() + " [" + redis + "]\n" + redis.logTail(), this);
        }
    }

    // ---- TLS support ---------------------------------------------------------------------------

    private static final Map<Path, Boolean> TLS_SUPPORT = new ConcurrentHashMap<>();

    /**
     * Whether the binary a default builder picks (see {@value #BINARY_PROPERTY}) was built with TLS, for
     * {@code Assumptions.assumeTrue(RedisServerProcess.tlsSupported())}. Probed once per binary.
     */
    public static boolean tlsSupported() {
        return tlsSupported(resolveBinary(null, null));
    }

    /**
     * Whether {@code binary} was built with TLS: started with a {@code tls-port} and certificate files that
     * do not exist, a TLS build fails to load the certificate, a build without TLS rejects the directive.
     */
    public static boolean tlsSupported(Binary binary) {
        return TLS_SUPPORT.computeIfAbsent(binary.path(), path -> probeTls(binary));
    }

    private static boolean probeTls(Binary binary) {
        String missing = "/nonexistent-redis-test-tls-probe/";
        List<String> output = new ArrayList<>();
        int exit;
        try {
            exit = run(List.of(binary.path().toString(), "--port", "0", "--tls-port", Integer.toString(freePort()),
                    "--tls-cert-file", missing + "cert.pem", "--tls-key-file", missing + "key.pem",
                    "--tls-ca-cert-file", missing + "ca.pem", "--save", "", "--appendonly", "no",
                    "--logfile", ""), output);
        } catch (RuntimeException e) {
            log.warn("TLS probe of {} failed; assuming no TLS support", binary.path(), e);
            return false;
        }
        String text = String.join("\n", output);
        boolean supported = text.contains("Failed to load certificate") || text.contains("Failed to configure TLS");
        log.info("redis-server {} ({}) {} TLS (probe exit code {})", binary.version(), binary.source(),
                supported ? "supports" : "does not support", exit);
        if (!supported) {
            log.debug("TLS probe output of {}:\n{}", binary.path(), text);
        }
        return supported;
    }

    // ---- binary resolution ---------------------------------------------------------------------

    private static volatile Optional<Binary> systemBinary;
    private static Binary bundledBinary;

    static Binary resolveBinary(BinarySource requested, Path explicitPath) {
        BinarySource source = requested;
        Path path = explicitPath;
        if (source == null && path == null) {
            String property = System.getProperty(BINARY_PROPERTY, "auto").trim();
            switch (property.toLowerCase(Locale.ROOT)) {
                case "", "auto" -> source = BinarySource.AUTO;
                case "system" -> source = BinarySource.SYSTEM;
                case "bundled" -> source = BinarySource.BUNDLED;
                default -> path = Paths.get(property);
            }
        }
        if (path != null) {
            Path executable = path.toAbsolutePath();
            return new Binary(executable, BinarySource.PATH, versionOf(executable)
                    .orElseThrow(() -> new IllegalStateException("not a runnable redis-server: " + executable)));
        }
        return switch (source) {
            case SYSTEM -> systemBinary().orElseThrow(() -> new IllegalStateException(
                    "no runnable redis-server on the PATH; install it or use -D" + BINARY_PROPERTY + "=bundled"));
            case BUNDLED -> bundledBinary();
            case AUTO -> systemBinary().orElseGet(RedisServerProcess::bundledBinary);
            case PATH -> throw new IllegalArgumentException("use binaryPath(Path) for " + source);
        };
    }

    private static Optional<Binary> systemBinary() {
        Optional<Binary> found = systemBinary;
        if (found == null) {
            found = findOnPath("redis-server")
                    .flatMap(p -> versionOf(p).map(v -> new Binary(p, BinarySource.SYSTEM, v)));
            systemBinary = found;
        }
        return found;
    }

    private static Optional<Path> findOnPath(String name) {
        String pathVar = System.getenv("PATH");
        if (pathVar == null) {
            return Optional.empty();
        }
        for (String entry : pathVar.split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty()) {
                Path candidate = Paths.get(entry, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }

    /** Runs {@code binary --version}; empty when it does not run or prints no version. */
    private static Optional<String> versionOf(Path binary) {
        List<String> output = new ArrayList<>();
        try {
            if (run(List.of(binary.toString(), "--version"), output) != 0) {
                return Optional.empty();
            }
        } catch (RuntimeException e) {
            log.debug("{} --version failed", binary, e);
            return Optional.empty();
        }
        Matcher m = VERSION.matcher(String.join("\n", output));
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static synchronized Binary bundledBinary() {
        if (bundledBinary != null) {
            return bundledBinary;
        }
        String resource = bundledResourceName();
        try (InputStream in = RedisServerProcess.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " not found");
            }
            Path file = Files.createTempFile("redis-server-bundled-", "");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
            String version = versionOf(file).orElseThrow(() -> new IllegalStateException(
                    "the bundled " + resource + " does not run on this machine (" + osTag() + ")"));
            bundledBinary = new Binary(file, BinarySource.BUNDLED, version);
            log.info("extracted bundled {} (reports {}) to {}", resource, version, file);
            return bundledBinary;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the bundled redis-server", e);
        }
    }

    /**
     * The embedded-redis jar ships {@code redis-server-<version>-<os>-<arch>} at its root, e.g.
     * {@code redis-server-6.2.6-v5-linux-amd64}. List the jar to find the one for this machine, so a
     * new embedded-redis version (with new file names) needs no change here.
     */
    private static String bundledResourceName() {
        String suffix = "-" + osTag();
        URL marker = RedisServerProcess.class.getClassLoader().getResource("redis/embedded/RedisServer.class");
        if (marker == null) {
            throw new IllegalStateException("com.github.codemonstur:embedded-redis is not on the classpath");
        }
        try {
            URLConnection connection = marker.openConnection();
            if (!(connection instanceof JarURLConnection)) {
                throw new IllegalStateException("embedded-redis is not loaded from a jar: " + marker);
            }
            JarURLConnection jarConnection = (JarURLConnection) connection;
            jarConnection.setUseCaches(false);
            try (JarFile jar = jarConnection.getJarFile(); Stream<JarEntry> entries = jar.stream()) {
                return entries.map(JarEntry::getName)
                        .filter(name -> name.startsWith("redis-server-") && name.endsWith(suffix))
                        .max(Comparator.naturalOrder())
                        .orElseThrow(() -> new IllegalStateException(
                                "embedded-redis ships no redis-server for " + osTag()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + marker, e);
        }
    }

    private static String osTag() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        String osPart = os.contains("linux") ? "linux" : os.contains("mac") ? "darwin" : os;
        String archPart = switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i686" -> "386";
            default -> arch;
        };
        return osPart + "-" + archPart;
    }

    // ---- small utilities -----------------------------------------------------------------------

    /** Runs a short command, collecting its merged output; returns the exit code. */
    private static int run(List<String> command, List<String> output) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] bytes;
            try (InputStream in = p.getInputStream()) {
                bytes = in.readAllBytes();
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            output.addAll(new String(bytes, StandardCharsets.UTF_8).lines().toList());
            return p.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    private static String quote(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static void appendTail(StringBuilder out, Path file) {
        if (!Files.exists(file)) {
            return;
        }
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                return;
            }
            out.append("--- last lines of ").append(file.getFileName()).append(" ---\n");
            lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size())
                    .forEach(line -> out.append(line).append('\n'));
        } catch (IOException e) {
            out.append("(cannot read ").append(file).append(": ").append(e).append(")\n");
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    log.warn("cannot delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", root, e.toString());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    // ---- builder -------------------------------------------------------------------------------

    /** Options for a {@link RedisServerProcess}; {@link #build()} creates it stopped, {@link #start()} starts it. */
    public static final class Builder {
        private BinarySource binarySource;
        private Path binaryPath;
        private final Map<String, String> config = new LinkedHashMap<>();
        private final List<String> configLines = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private TestCertificates tlsCertificates;
        private TestCertificates.Identity tlsIdentity;
        private boolean tlsAuthClients;
        private String password;
        private Duration startupTimeout = Duration.ofSeconds(15);
        private int port;

        private Builder() {
        }

        /** Where the binary comes from; default: the system property {@value #BINARY_PROPERTY}, else AUTO. */
        public Builder binary(BinarySource source) {
            if (source == BinarySource.PATH) {
                throw new IllegalArgumentException("use binaryPath(Path)");
            }
            this.binarySource = source;
            return this;
        }

        /** An explicit redis-server executable. */
        public Builder binaryPath(Path path) {
            this.binaryPath = path;
            return this;
        }

        /**
         * A {@code redis.conf} directive, written as {@code name value} (value verbatim, so
         * {@code config("save", "60 1000")} works; an empty value is written as {@code ""}). Overrides the defaults.
         */
        public Builder config(String name, String value) {
            config.put(name, value);
            return this;
        }

        /**
         * A raw {@code redis.conf} line, written verbatim after all {@link #config} directives, in the order
         * given. For directives that may repeat ({@code sentinel monitor ...}, {@code rename-command ...}),
         * which {@link #config(String, String)} cannot express.
         */
        public Builder configLine(String line) {
            if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("one line only: " + line);
            }
            configLines.add(line);
            return this;
        }

        /**
         * TLS only: {@code port 0}, {@code tls-port} on the chosen port, the {@link TestCertificates#server()}
         * certificate, the test CA for client certificates, and {@code tls-auth-clients yes} when
         * {@code requireClientCert}. Readiness checks and {@link RedisServerProcess#client()} then connect over
         * TLS; {@link RedisServerProcess#uri()} is {@code rediss://localhost:port}. Check
         * {@link RedisServerProcess#tlsSupported()} first: not every redis-server is built with TLS.
         */
        public Builder tls(TestCertificates certificates, boolean requireClientCert) {
            return tls(certificates, certificates.server(), requireClientCert);
        }

        /**
         * {@link #tls(TestCertificates, boolean)} serving another certificate of the set, e.g.
         * {@link TestCertificates#wrongHostServer()}.
         */
        public Builder tls(TestCertificates certificates, TestCertificates.Identity serverIdentity,
                           boolean requireClientCert) {
            this.tlsCertificates = certificates;
            this.tlsIdentity = serverIdentity;
            this.tlsAuthClients = requireClientCert;
            return this;
        }

        /** Raw command-line arguments after the config file, one token each: {@code args("--maxmemory", "10mb")}. */
        public Builder args(String... tokens) {
            args.addAll(List.of(tokens));
            return this;
        }

        /** AOF on, fsync on every write: acknowledged writes survive {@link RedisServerProcess#kill()}. */
        public Builder appendOnly() {
            config.put("appendonly", "yes");
            config.put("appendfsync", "always");
            return this;
        }

        /** {@code maxmemory} (e.g. "2mb") with an eviction policy (e.g. "noeviction" to get OOM errors). */
        public Builder maxMemory(String size, String policy) {
            config.put("maxmemory", size);
            config.put("maxmemory-policy", policy);
            return this;
        }

        /** {@code requirepass}: clients must AUTH; {@link RedisServerProcess#client()} does. */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** A fixed port instead of an ephemeral one (no retry on another port then). */
        public Builder port(int port) {
            if (port == SHARED_INSTANCE_PORT) {
                throw new IllegalArgumentException("port 6379 belongs to the shared instance");
            }
            this.port = port;
            return this;
        }

        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = timeout;
            return this;
        }

        /** Resolves the binary and creates the (stopped) process with its temporary directory. */
        public RedisServerProcess build() {
            Binary binary = resolveBinary(binarySource, binaryPath);
            if (tlsCertificates != null && !tlsSupported(binary)) {
                throw new IllegalStateException("redis-server " + binary.version() + " at " + binary.path()
                        + " is built without TLS; guard TLS tests with assumeTrue(RedisServerProcess.tlsSupported())");
            }
            return new RedisServerProcess(this, binary);
        }

        /** {@link #build()} then {@link RedisServerProcess#start()}; the directory is deleted if the start fails. */
        public RedisServerProcess start() {
            RedisServerProcess redis = build();
            try {
                return redis.start();
            } catch (RuntimeException e) {
                redis.close();
                throw e;
            }
        }

        /** The password, from {@link #password(String)}, a {@code requirepass} config or a {@code --requirepass} arg. */
        private String effectivePassword() {
            String found = password;
            if (config.containsKey("requirepass")) {
                found = unquote(config.get("requirepass"));
            }
            for (int i = 0; i + 1 < args.size(); i++) {
                if (args.get(i).equals("--requirepass")) {
                    found = args.get(i + 1);
                }
            }
            return found == null || found.isEmpty() ? null : found;
        }

        private static String unquote(String value) {
            return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                    ? value.substring(1, value.length() - 1) : value;
        }
    }
}
