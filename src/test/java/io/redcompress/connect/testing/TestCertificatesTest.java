package io.redcompress.connect.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

/**
 * The generated certificates, and {@link RedisServerProcess} in TLS mode driven by Lettuce the way the
 * connector will drive it. The Redis tests are skipped (not failed) when redis-server is built without TLS.
 */
class TestCertificatesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private static TestCertificates certs;
    private static ClientResources resources;

    @BeforeAll
    static void generate() {
        certs = TestCertificates.shared();
        resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
    }

    @AfterAll
    static void shutdown() {
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    @Test
    void certificatesChainUpToTheirCaWithTheExpectedNames() throws Exception {
        X509Certificate ca = certs.caCertificate();
        X509Certificate server = certs.server().certificate();
        server.verify(ca.getPublicKey());
        server.checkValidity();
        assertThat(subjectAlternativeNames(server)).containsExactlyInAnyOrder("localhost", "127.0.0.1");
        assertThat(server.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1"); // serverAuth
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);

        certs.client().certificate().verify(ca.getPublicKey());
        assertThat(certs.client().certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        X509Certificate wrongHost = certs.wrongHostServer().certificate();
        wrongHost.verify(ca.getPublicKey());
        assertThat(subjectAlternativeNames(wrongHost)).containsExactly(TestCertificates.WRONG_HOST);

        X509Certificate wrongCa = (X509Certificate) TestCertificates.load(certs.wrongTruststoreJks()).getCertificate("ca");
        assertThat(wrongCa.getPublicKey()).isNotEqualTo(ca.getPublicKey());
        certs.untrustedClient().certificate().verify(wrongCa.getPublicKey());
        assertThatThrownBy(() -> certs.untrustedClient().certificate().verify(ca.getPublicKey()))
                .isInstanceOf(java.security.SignatureException.class);
    }

    @Test
    void pemFilesAndStoresHoldTheSameMaterial() throws Exception {
        assertThat(Files.readString(certs.caCertPem())).startsWith("-----BEGIN CERTIFICATE-----\n");
        assertThat(Files.readString(certs.server().certPem())).startsWith("-----BEGIN CERTIFICATE-----");
        String keyPem = Files.readString(certs.server().keyPem());
        assertThat(keyPem).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");

        KeyStore keystore = TestCertificates.load(certs.server().keystoreP12());
        PrivateKey stored = (PrivateKey) keystore.getKey("server", certs.password());
        String base64 = keyPem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey fromPem = KeyFactory.getInstance("EC")
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        assertThat(fromPem.getEncoded()).isEqualTo(stored.getEncoded());
        assertThat(keystore.getCertificateChain("server"))
                .containsExactly(certs.server().certificate(), certs.caCertificate());

        for (Path truststore : List.of(certs.truststoreP12(), certs.truststoreJks())) {
            assertThat(TestCertificates.load(truststore).getCertificate("ca")).isEqualTo(certs.caCertificate());
        }
        assertThat(KeyStore.getInstance(certs.truststoreJks().toFile(), certs.password()).getType())
                .isEqualToIgnoringCase("JKS");
        assertThat(KeyStore.getInstance(certs.truststoreP12().toFile(), certs.password()).getType())
                .isEqualToIgnoringCase("PKCS12");
    }

    @Test
    void lettuceConnectsOverTlsWithEachKindOfTruststore() {
        assumeTrue(RedisServerProcess.tlsSupported(), "redis-server is built without TLS");
        try (RedisServerProcess redis = RedisServerProcess.builder().tls(certs, false).password("s3cret").start();
             RespClient client = redis.client()) {
            assertThat(redis.uri()).isEqualTo("rediss://localhost:" + redis.port());
            assertThat(client.isTls()).isTrue();
            assertThat(client.ping()).isEqualTo("PONG");
            assertThat(client.configGet("tls-port")).isEqualTo(Integer.toString(redis.port()));
            assertThat(client.configGet("port")).isEqualTo("0");

            // the CA as PEM, as a PKCS#12 and as a JKS truststore; full verification (chain + host name)
            assertThat(ping(redis, SslOptions.builder().trustManager(certs.caCertPem().toFile()), SslVerifyMode.FULL))
                    .isEqualTo("PONG");
            assertThat(ping(redis, SslOptions.builder().truststore(certs.truststoreP12().toFile(), TestCertificates.PASSWORD),
                    SslVerifyMode.FULL)).isEqualTo("PONG");
            assertThat(ping(redis, SslOptions.builder().truststore(certs.truststoreJks().toFile(), TestCertificates.PASSWORD),
                    SslVerifyMode.FULL)).isEqualTo("PONG");
            // the certificate also names 127.0.0.1
            assertThat(ping(RedisURI.create("rediss://127.0.0.1:" + redis.port()), redis.password(),
                    SslOptions.builder().trustManager(certs.caCertPem().toFile()), SslVerifyMode.FULL)).isEqualTo("PONG");

            // there is no plain-text port
            assertThatThrownBy(() -> RespClient.connect(redis.host(), redis.port(), "s3cret", TIMEOUT))
                    .isInstanceOfAny(UncheckedIOException.class, RedisErrorReply.class);
        }
    }

    @Test
    void theWrongCaFailsTheHandshake() {
        assumeTrue(RedisServerProcess.tlsSupported(), "redis-server is built without TLS");
        try (RedisServerProcess redis = RedisServerProcess.builder().tls(certs, false).start()) {
            assertThatThrownBy(() -> ping(redis, SslOptions.builder().trustManager(certs.wrongCaCertPem().toFile()),
                    SslVerifyMode.FULL))
                    .isInstanceOf(RedisConnectionException.class)
                    .hasRootCauseInstanceOf(java.security.cert.CertPathBuilderException.class);
            assertThatThrownBy(() -> ping(redis, SslOptions.builder().truststore(certs.wrongTruststoreJks().toFile(),
                    TestCertificates.PASSWORD), SslVerifyMode.CA))
                    .isInstanceOf(RedisConnectionException.class);
            // NONE trusts anything: the only mode where the wrong CA gets through
            assertThat(ping(redis, SslOptions.builder().trustManager(certs.wrongCaCertPem().toFile()), SslVerifyMode.NONE))
                    .isEqualTo("PONG");
        }
    }

    @Test
    void mutualTlsNeedsAClientCertificateFromTheCa() {
        assumeTrue(RedisServerProcess.tlsSupported(), "redis-server is built without TLS");
        try (RedisServerProcess redis = RedisServerProcess.builder().tls(certs, true).start();
             RespClient client = redis.client()) {
            assertThat(client.configGet("tls-auth-clients")).isEqualTo("yes");
            Path ca = certs.caCertPem();

            assertThatThrownBy(() -> ping(redis, SslOptions.builder().trustManager(ca.toFile()), SslVerifyMode.FULL))
                    .isInstanceOf(RedisConnectionException.class);
            assertThatThrownBy(() -> ping(redis, SslOptions.builder().trustManager(ca.toFile())
                    .keystore(certs.untrustedClient().keystoreP12().toFile(), certs.password()), SslVerifyMode.FULL))
                    .isInstanceOf(RedisConnectionException.class);

            // the client key and chain as a PKCS#12 keystore, or as the PEM pair OpenSSL-style clients use
            assertThat(ping(redis, SslOptions.builder().trustManager(ca.toFile())
                    .keystore(certs.client().keystoreP12().toFile(), certs.password()), SslVerifyMode.FULL))
                    .isEqualTo("PONG");
            assertThat(ping(redis, SslOptions.builder().truststore(certs.truststoreJks().toFile(), TestCertificates.PASSWORD)
                    .keyManager(certs.client().certPem().toFile(), certs.client().keyPem().toFile(), null),
                    SslVerifyMode.FULL)).isEqualTo("PONG");

            // RespClient without a client certificate is refused too: with TLS 1.3 the client's handshake
            // completes and the server's rejection shows on the first exchange (an alert or a reset)
            assertThatThrownBy(() -> {
                try (RespClient anonymous = RespClient.connectTls(redis.host(), redis.port(),
                        TestCertificates.sslContext(certs.truststoreP12(), null).getSocketFactory(), null, TIMEOUT)) {
                    anonymous.ping();
                }
            }).isInstanceOf(UncheckedIOException.class);
        }
    }

    @Test
    void fullVerificationRejectsACertificateForAnotherHost() {
        assumeTrue(RedisServerProcess.tlsSupported(), "redis-server is built without TLS");
        try (RedisServerProcess redis = RedisServerProcess.builder()
                .tls(certs, certs.wrongHostServer(), false).start()) {
            SslOptions.Builder trustCa = SslOptions.builder().trustManager(certs.caCertPem().toFile());
            assertThatThrownBy(() -> ping(redis, trustCa, SslVerifyMode.FULL))
                    .isInstanceOf(RedisConnectionException.class)
                    .hasRootCauseInstanceOf(java.security.cert.CertificateException.class);
            assertThatThrownBy(() -> ping(RedisURI.create("rediss://127.0.0.1:" + redis.port()), null, trustCa,
                    SslVerifyMode.FULL)).isInstanceOf(RedisConnectionException.class);
            // CA mode checks the chain only
            assertThat(ping(redis, trustCa, SslVerifyMode.CA)).isEqualTo("PONG");
        }
    }

    private static List<String> subjectAlternativeNames(X509Certificate certificate) throws Exception {
        return certificate.getSubjectAlternativeNames().stream().map(san -> String.valueOf(san.get(1))).toList();
    }

    private static String ping(RedisServerProcess redis, SslOptions.Builder ssl, SslVerifyMode mode) {
        return ping(RedisURI.create(redis.uri()), redis.password(), ssl, mode);
    }

    private static String ping(RedisURI uri, String password, SslOptions.Builder ssl, SslVerifyMode mode) {
        uri.setVerifyPeer(mode);
        uri.setTimeout(TIMEOUT);
        if (password != null) {
            uri.setAuthentication(password);
        }
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .sslOptions(ssl.handshakeTimeout(TIMEOUT).build())
                .socketOptions(SocketOptions.builder().connectTimeout(TIMEOUT).build())
                .build());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return connection.sync().ping();
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
