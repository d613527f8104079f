package io.redcompress.connect.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Throw-away certificates for TLS tests, generated at test time with the running JDK's {@code keytool}
 * (nothing else: no openssl, no keytool on the PATH) into a temporary directory:
 *
 * <ul>
 *   <li>a CA ({@link #caCertPem()}, and as truststores {@link #truststoreP12()} / {@link #truststoreJks()});</li>
 *   <li>{@link #server()}: signed by the CA, SAN {@code DNS:localhost, IP:127.0.0.1}, for {@code redis-server};</li>
 *   <li>{@link #client()}: signed by the CA, for mutual TLS;</li>
 *   <li>{@link #wrongHostServer()}: signed by the CA but issued to {@value #WRONG_HOST} only, so a client
 *       that verifies host names (Lettuce {@code SslVerifyMode.FULL}) rejects it for localhost/127.0.0.1
 *       while one that only checks the chain ({@code SslVerifyMode.CA}) accepts it;</li>
 *   <li>a second, unrelated CA ({@link #wrongCaCertPem()}, {@link #wrongTruststoreP12()}, ...) and
 *       {@link #untrustedClient()} signed by it: trusting the wrong CA, or presenting a certificate the
 *       server does not trust, makes the handshake fail.</li>
 * </ul>
 *
 * <p>Every key is EC P-256 (RSA key generation is slow in a cold JVM). Each {@link Identity} comes as a
 * certificate PEM and a PKCS#8 key PEM (what Redis/OpenSSL reads) and as a PKCS#12 keystore holding the
 * key with its chain (what a JVM client reads).
 * Every store and key is protected by {@link #PASSWORD}. Generation runs fourteen keytool steps in
 * one child JVM (about a second, see {@link #runKeytool}); {@link #shared()} generates once per JVM.
 *
 * <pre>{@code
 * TestCertificates certs = TestCertificates.shared();
 * try (RedisServerProcess redis = RedisServerProcess.builder().tls(certs, false).start()) {
 *     RedisURI uri = RedisURI.create(redis.uri());             // rediss://localhost:<port>
 *     SslOptions ssl = SslOptions.builder().trustManager(certs.caCertPem().toFile()).build();
 * }
 * }</pre>
 */
public final class TestCertificates implements AutoCloseable {

    /** The password of every keystore, truststore and private key. */
    public static final String PASSWORD = "changeit";

    /** The only host name in {@link #wrongHostServer()}'s certificate. */
    public static final String WRONG_HOST = "wrong-host.invalid";

    private static final Logger log = LoggerFactory.getLogger(TestCertificates.class);

    /** EC P-256: a key pair costs milliseconds, where an RSA 2048 one costs up to a second in a cold JVM. */
    private static final String KEY_ALGORITHM = "EC";
    private static final String CURVE = "secp256r1";
    private static final String VALIDITY_DAYS = "30";
    /** Certificates start a day in the past, so a slightly skewed clock does not make them "not yet valid". */
    private static final String START_DATE = "-1d";
    private static final Duration KEYTOOL_TIMEOUT = Duration.ofSeconds(60);

    private static TestCertificates shared;

    /**
     * A certificate with its private key: {@link #certPem()} and {@link #keyPem()} (unencrypted PKCS#8)
     * for OpenSSL, {@link #keystoreP12()} (key + chain up to the CA, alias {@link #alias()}) for the JVM.
     */
    public record Identity(String alias, Path certPem, Path keyPem, Path keystoreP12, X509Certificate certificate) {
    }

    private final Path dir;
    private final boolean deleteOnClose;
    private final Path caCertPem;
    private final Path truststoreP12;
    private final Path truststoreJks;
    private final Path wrongCaCertPem;
    private final Path wrongTruststoreP12;
    private final Path wrongTruststoreJks;
    private final Identity server;
    private final Identity client;
    private final Identity wrongHostServer;
    private final Identity untrustedClient;
    private final X509Certificate caCertificate;
    private volatile SSLContext clientSslContext;

    private TestCertificates(Path dir, boolean deleteOnClose) {
        this.dir = dir;
        this.deleteOnClose = deleteOnClose;
        long startNanos = System.nanoTime();

        List<List<String>> plan = new ArrayList<>();
        planCa(plan, "ca", "CN=redcompress test CA");
        planCa(plan, "wrong-ca", "CN=redcompress wrong CA");
        planLeaf(plan, "ca", "server", "CN=localhost", "san=dns:localhost,ip:127.0.0.1", "eku=serverAuth,clientAuth");
        planLeaf(plan, "ca", "client", "CN=redcompress test client", null, "eku=clientAuth");
        planLeaf(plan, "ca", "wrong-host-server", "CN=" + WRONG_HOST, "san=dns:" + WRONG_HOST,
                "eku=serverAuth,clientAuth");
        planLeaf(plan, "wrong-ca", "untrusted-client", "CN=redcompress untrusted client", null, "eku=clientAuth");
        String how = runKeytool(plan);

        this.caCertificate = certificateOf(dir.resolve("ca.p12"), "ca");
        this.caCertPem = writePem(dir.resolve("ca.pem"), caCertificate);
        this.truststoreP12 = writeTruststore(dir.resolve("truststore.p12"), "PKCS12", caCertificate);
        this.truststoreJks = writeTruststore(dir.resolve("truststore.jks"), "JKS", caCertificate);
        X509Certificate wrongCaCertificate = certificateOf(dir.resolve("wrong-ca.p12"), "wrong-ca");
        this.wrongCaCertPem = writePem(dir.resolve("wrong-ca.pem"), wrongCaCertificate);
        this.wrongTruststoreP12 = writeTruststore(dir.resolve("wrong-truststore.p12"), "PKCS12", wrongCaCertificate);
        this.wrongTruststoreJks = writeTruststore(dir.resolve("wrong-truststore.jks"), "JKS", wrongCaCertificate);
        this.server = identity("server", caCertificate);
        this.client = identity("client", caCertificate);
        this.wrongHostServer = identity("wrong-host-server", caCertificate);
        this.untrustedClient = identity("untrusted-client", wrongCaCertificate);
        log.info("generated test certificates in {} ms ({}) into {}",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), how, dir);
    }

    /** Generates a fresh set into a new temporary directory, deleted by {@link #close()}. */
    public static TestCertificates generate() {
        try {
            return new TestCertificates(Files.createTempDirectory("redis-test-certs-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for certificates", e);
        }
    }

    /** Generates a fresh set into {@code dir} (created if needed); {@link #close()} leaves the files there. */
    public static TestCertificates generate(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        return new TestCertificates(dir, false);
    }

    /**
     * One set per JVM, generated on first use and deleted when the JVM exits; {@link #close()} on it does
     * nothing, so tests may share it freely.
     */
    public static synchronized TestCertificates shared() {
        if (shared == null) {
            TestCertificates generated = generate();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteRecursively(generated.dir),
                    "test-certificates-cleanup"));
            shared = generated;
        }
        return shared;
    }

    // ---- accessors -----------------------------------------------------------------------------

    public Path dir() {
        return dir;
    }

    /**
     * The CA certificate as PEM: Redis's {@code tls-ca-cert-file}, Lettuce's
     * {@code SslOptions.Builder.trustManager(File)}.
     */
    public Path caCertPem() {
        return caCertPem;
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    /** A PKCS#12 truststore holding the CA (alias {@code ca}), password {@link #PASSWORD}. */
    public Path truststoreP12() {
        return truststoreP12;
    }

    /** A JKS truststore holding the CA (alias {@code ca}), password {@link #PASSWORD}. */
    public Path truststoreJks() {
        return truststoreJks;
    }

    /** Signed by the CA; SAN {@code DNS:localhost, IP:127.0.0.1}; usable as TLS server and client. */
    public Identity server() {
        return server;
    }

    /** Signed by the CA; a TLS client certificate for mutual TLS. */
    public Identity client() {
        return client;
    }

    /** Signed by the CA, but for {@value #WRONG_HOST} only (CN and SAN): fails host name verification. */
    public Identity wrongHostServer() {
        return wrongHostServer;
    }

    /** Signed by the wrong CA: a server that trusts only {@link #caCertPem()} rejects it. */
    public Identity untrustedClient() {
        return untrustedClient;
    }

    /** An unrelated CA, which signed neither server certificate. */
    public Path wrongCaCertPem() {
        return wrongCaCertPem;
    }

    /** A PKCS#12 truststore holding only the wrong CA. */
    public Path wrongTruststoreP12() {
        return wrongTruststoreP12;
    }

    /** A JKS truststore holding only the wrong CA. */
    public Path wrongTruststoreJks() {
        return wrongTruststoreJks;
    }

    public char[] password() {
        return PASSWORD.toCharArray();
    }

    // ---- JVM-side TLS --------------------------------------------------------------------------

    /** A client context that trusts the CA and presents {@link #client()} when the server asks for a certificate. */
    public SSLContext clientSslContext() {
        SSLContext context = clientSslContext;
        if (context == null) {
            context = sslContext(truststoreP12, client);
            clientSslContext = context;
        }
        return context;
    }

    /** {@link #clientSslContext()}'s socket factory, e.g. for {@link RespClient#connectTls}. */
    public SSLSocketFactory clientSocketFactory() {
        return clientSslContext().getSocketFactory();
    }

    /**
     * A TLS context trusting the certificates in {@code truststore} (PKCS#12 or JKS, password
     * {@link #PASSWORD}) and presenting {@code identity} when asked, or no certificate when it is null.
     */
    public static SSLContext sslContext(Path truststore, Identity identity) {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(load(truststore));
            KeyManagerFactory keys = null;
            if (identity != null) {
                keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(load(identity.keystoreP12()), PASSWORD.toCharArray());
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a TLS context from " + truststore, e);
        }
    }

    /** Loads a PKCS#12 or JKS store (the type is detected) protected by {@link #PASSWORD}. */
    public static KeyStore load(Path store) {
        try {
            return KeyStore.getInstance(store.toFile(), PASSWORD.toCharArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + store, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load keystore " + store, e);
        }
    }

    /** Deletes the directory, unless it was given to {@link #generate(Path)} or this is the {@link #shared()} set. */
    @Override
    public void close() {
        if (deleteOnClose && this != sharedOrNull()) {
            deleteRecursively(dir);
        }
    }

    @Override
    public String toString() {
        return "TestCertificates[" + dir + "]";
    }

    private static synchronized TestCertificates sharedOrNull() {
        return shared;
    }

    // ---- generation ----------------------------------------------------------------------------

    /** A self-signed CA in {@code <alias>.p12}. */
    private void planCa(List<List<String>> plan, String alias, String dname) {
        plan.add(List.of("-genkeypair", "-alias", alias, "-dname", dname,
                "-keyalg", KEY_ALGORITHM, "-groupname", CURVE, "-validity", VALIDITY_DAYS, "-startdate", START_DATE,
                "-ext", "bc:c=ca:true", "-ext", "ku:c=keyCertSign,cRLSign",
                "-keystore", dir.resolve(alias + ".p12").toString(), "-storetype", "PKCS12", "-storepass", PASSWORD));
    }

    /**
     * A key pair in {@code <alias>-pending.p12}, its CSR, and the certificate signed by the CA with the
     * given extensions in {@code <alias>.pem}; {@link #identity} turns them into the final files.
     */
    private void planLeaf(List<List<String>> plan, String caAlias, String alias, String dname, String san, String eku) {
        String pending = dir.resolve(alias + "-pending.p12").toString();
        String csr = dir.resolve(alias + ".csr").toString();
        plan.add(List.of("-genkeypair", "-alias", alias, "-dname", dname, "-keyalg", KEY_ALGORITHM, "-groupname", CURVE,
                "-keystore", pending, "-storetype", "PKCS12", "-storepass", PASSWORD));
        plan.add(List.of("-certreq", "-alias", alias, "-file", csr, "-keystore", pending, "-storepass", PASSWORD));
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-alias", caAlias,
                "-infile", csr, "-outfile", dir.resolve(alias + ".pem").toString(), "-rfc",
                "-validity", VALIDITY_DAYS, "-startdate", START_DATE,
                "-ext", "ku:c=digitalSignature", "-ext", eku,
                "-keystore", dir.resolve(caAlias + ".p12").toString(), "-storepass", PASSWORD));
        if (san != null) {
            gencert.add("-ext");
            gencert.add(san);
        }
        plan.add(gencert);
    }

    /** The signed certificate, the key as PKCS#8 PEM, and a PKCS#12 with key and chain. */
    private Identity identity(String alias, X509Certificate issuer) {
        Path pending = dir.resolve(alias + "-pending.p12");
        Path certPem = dir.resolve(alias + ".pem");
        X509Certificate certificate = readCertificate(certPem);
        PrivateKey key = privateKeyOf(pending, alias);
        Path keyPem = writePrivateKeyPem(dir.resolve(alias + "-key.pem"), key);
        Path keystore = dir.resolve(alias + ".p12");
        writeKeystore(keystore, alias, key, certificate, issuer);
        deleteQuietly(pending);
        deleteQuietly(dir.resolve(alias + ".csr"));
        return new Identity(alias, certPem, keyPem, keystore, certificate);
    }

    /**
     * Runs the keytool commands in order. A keytool process costs a JVM start (about half a second of
     * CPU) and the plan has a dozen steps, so they run in one JVM that calls keytool's entry point once
     * per step ({@link KeytoolBatch}); when that is not possible on this JDK, one keytool process per step.
     *
     * @return how they ran, for the log
     */
    private String runKeytool(List<List<String>> plan) {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        Path commands = dir.resolve("keytool-commands.txt");
        Path classes = dir.resolve("keytool-batch");
        try {
            Files.write(commands, plan.stream().map(step -> String.join("\t", step)).toList(), StandardCharsets.UTF_8);
            // the child needs only this one JDK-only class: copy it, whatever the test classpath looks like
            String classFile = KeytoolBatch.class.getName().replace('.', '/') + ".class";
            try (InputStream in = KeytoolBatch.class.getClassLoader().getResourceAsStream(classFile)) {
                if (in == null) {
                    throw new IOException(classFile + " not found on the classpath");
                }
                Path target = classes.resolve(classFile);
                Files.createDirectories(target.getParent());
                Files.copy(in, target);
            }
            List<String> command = List.of(java.toString(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "--add-exports", "java.base/" + KeytoolBatch.KEYTOOL_PACKAGE + "=ALL-UNNAMED",
                    "-cp", classes.toString(), KeytoolBatch.class.getName(), commands.toString());
            Result result = run(command);
            if (result.exitCode() == 0) {
                return "one keytool JVM";
            }
            if (result.exitCode() != KeytoolBatch.UNAVAILABLE) {
                throw new IllegalStateException("keytool failed (exit code " + result.exitCode() + ")\n" + result.output());
            }
            log.info("keytool cannot run in one JVM here, running one process per step: {}", result.output());
        } catch (IOException e) {
            log.info("keytool cannot run in one JVM here, running one process per step", e);
        } finally {
            deleteQuietly(commands);
            deleteRecursively(classes);
        }
        Path keytool = Paths.get(System.getProperty("java.home"), "bin", "keytool");
        for (List<String> step : plan) {
            List<String> command = new ArrayList<>();
            command.add(keytool.toString());
            command.add("-J-XX:TieredStopAtLevel=1");
            command.add("-J-XX:+UseSerialGC");
            command.addAll(step);
            command.add("-noprompt");
            Result result = run(command);
            if (result.exitCode() != 0) {
                throw new IllegalStateException("keytool exited with " + result.exitCode() + ": " + command
                        + "\n" + result.output());
            }
        }
        return plan.size() + " keytool processes";
    }

    private record Result(int exitCode, String output) {
    }

    private Result run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            byte[] output;
            try (InputStream in = process.getInputStream()) {
                output = in.readAllBytes();
            }
            if (!process.waitFor(KEYTOOL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out after " + KEYTOOL_TIMEOUT + ": " + command);
            }
            return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    /**
     * The child JVM's entry point: runs keytool once per line of the file named by its argument (the
     * arguments of one run, tab-separated). Uses nothing but the JDK. Exits with {@link #UNAVAILABLE} when
     * keytool's entry point cannot be called, with keytool's own exit code (1) when a step fails.
     */
    static final class KeytoolBatch {
        static final String KEYTOOL_PACKAGE = "sun.security.tools.keytool";
        static final int UNAVAILABLE = 86;

        private KeytoolBatch() {
        }

        public static void main(String[] args) throws Exception {
            java.lang.reflect.Method keytool;
            try {
                keytool = Class.forName(KEYTOOL_PACKAGE + ".Main").getMethod("main", String[].class);
            } catch (ReflectiveOperationException | LinkageError e) {
                System.out.println("keytool entry point unavailable: " + e);
                System.exit(UNAVAILABLE);
                return;
            }
            for (String line : Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8)) {
                List<String> step = new ArrayList<>(List.of(line.split("\t")));
                step.add("-noprompt");
                try {
                    keytool.invoke(null, (Object) step.toArray(new String[0]));
                } catch (IllegalAccessException e) {
                    System.out.println("keytool entry point not accessible: " + e);
                    System.exit(UNAVAILABLE);
                }
                // a failing step makes keytool call System.exit(1) itself
            }
        }
    }

    private static X509Certificate certificateOf(Path store, String alias) {
        try {
            return (X509Certificate) load(store).getCertificate(alias);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no certificate " + alias + " in " + store, e);
        }
    }

    private static PrivateKey privateKeyOf(Path store, String alias) {
        try {
            return (PrivateKey) load(store).getKey(alias, PASSWORD.toCharArray());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no private key " + alias + " in " + store, e);
        }
    }

    private static X509Certificate readCertificate(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pem, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("not a certificate: " + pem, e);
        }
    }

    private static Path writePem(Path file, X509Certificate certificate) {
        try {
            return writeText(file, pem("CERTIFICATE", certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode " + certificate.getSubjectX500Principal(), e);
        }
    }

    /** An unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), which OpenSSL reads for any key type. */
    private static Path writePrivateKeyPem(Path file, PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat())) {
            throw new IllegalStateException("expected a PKCS#8 encoded key, got " + key.getFormat());
        }
        return writeText(file, pem("PRIVATE KEY", key.getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        String base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
    }

    private static Path writeTruststore(Path file, String type, X509Certificate ca) {
        try {
            KeyStore store = KeyStore.getInstance(type);
            store.load(null, null);
            store.setCertificateEntry("ca", ca);
            return store(store, file);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot write truststore " + file, e);
        }
    }

    private static void writeKeystore(Path file, String alias, PrivateKey key, X509Certificate... chain) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(alias, key, PASSWORD.toCharArray(), (Certificate[]) chain);
            store(store, file);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot write keystore " + file, e);
        }
    }

    private static Path store(KeyStore store, Path file) throws GeneralSecurityException, IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD.toCharArray());
        }
        return file;
    }

    private static Path writeText(Path file, String text) {
        try {
            return Files.writeString(file, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.debug("cannot delete {}", file, e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(TestCertificates::deleteQuietly);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", root, e.toString());
        }
    }
}
