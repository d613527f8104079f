package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.RedisCompressedSinkConnector;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;
import io.redcompress.connect.testing.TestCertificates;

/**
 * TLS against redis-server --tls-port with certificates made by the test: server TLS with a PEM trust store, mutual
 * TLS with JKS/PKCS12 stores, and validate() naming the key to change for an untrusted CA, a certificate for another
 * host, and a missing client certificate. Skipped where the redis-server binary has no TLS.
 */
class TlsIT {

    private static ConnectAndRedis connect;
    private static TestCertificates certificates;

    @BeforeAll
    static void start() {
        assumeTrue(RedisServerProcess.tlsSupported(), "this redis-server has no TLS support");
        certificates = TestCertificates.shared();
        connect = ConnectAndRedis.start("tls-it", worker -> { });
    }

    @AfterAll
    static void stop() {
        if (connect != null) {
            connect.close();
        }
    }

    private static Map<String, String> tlsProps(RedisServerProcess redis) {
        Map<String, String> props = new HashMap<>();
        props.put("connector.class", ConnectAndRedis.CONNECTOR_CLASS);
        props.put("topics", "t");
        props.put("redis.uri", redis.uri());
        props.put("redis.connect.timeout.ms", "3000"); // lowered, not raised: a refused handshake is reported sooner
        return props;
    }

    private static List<String> errors(Map<String, String> props, String key) {
        return new RedisCompressedSinkConnector().validate(props).configValues().stream()
                .filter(v -> v.name().equals(key)).findFirst().map(ConfigValue::errorMessages).orElseThrow();
    }

    private static void assertNoErrors(Map<String, String> props) {
        assertThat(new RedisCompressedSinkConnector().validate(props).configValues())
                .allSatisfy(v -> assertThat(v.errorMessages()).as(v.name()).isEmpty());
    }

    private void streamThrough(String topic, Map<String, String> tls, RedisServerProcess redis) throws Exception {
        connect.connect.kafka().createTopic(topic, 1);
        try (KafkaProducer<byte[], byte[]> producer = connect.producer()) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(topic, 0, ("k" + i).getBytes(StandardCharsets.UTF_8),
                        ("{\"secure\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
            }
        }
        Map<String, String> config = connect.sinkConfig(topic);
        config.putAll(tls);
        config.remove("topics");
        config.put("topics", topic);
        connect.startConnector(topic, config);
        connect.awaitCommitted(topic, Map.of(new TopicPartition(topic, 0), 20L), Duration.ofSeconds(60));
        try (RespClient client = redis.client()) {
            for (int i = 0; i < 20; i++) {
                assertThat(new String(ValueDecoder.decode(client.get(topic + ":k" + i)), StandardCharsets.UTF_8))
                        .isEqualTo("{\"secure\":" + i + "}");
            }
        }
        connect.connect.deleteConnector(topic);
    }

    @Test
    void serverTlsWithAPemTrustStore() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().tls(certificates, false).start()) {
            Map<String, String> tls = tlsProps(redis);
            tls.put("redis.ssl.truststore.location", certificates.caCertPem().toString());
            tls.put("redis.ssl.truststore.type", "pem");
            assertNoErrors(tls);
            streamThrough("tls-server", tls, redis);

            // an untrusted CA, and the JVM's default trust: the handshake fails, reported on the trust store key
            Map<String, String> wrongCa = new HashMap<>(tls);
            wrongCa.put("redis.ssl.truststore.location", certificates.wrongCaCertPem().toString());
            assertThat(errors(wrongCa, "redis.ssl.truststore.location")).singleElement().asString()
                    .contains("TLS handshake with Redis at localhost:" + redis.port() + " failed");
            Map<String, String> defaultTrust = new HashMap<>(tls);
            defaultTrust.remove("redis.ssl.truststore.location");
            assertThat(errors(defaultTrust, "redis.ssl.truststore.location")).singleElement().asString().contains("TLS handshake");
        }
    }

    @Test
    void hostnameVerificationIsOnByDefault() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().tls(certificates, certificates.wrongHostServer(), false).start()) {
            Map<String, String> tls = tlsProps(redis);
            tls.put("redis.ssl.truststore.location", certificates.caCertPem().toString());
            assertThat(errors(tls, "redis.ssl.truststore.location")).singleElement().asString()
                    .contains("TLS handshake").contains("redis.ssl.endpoint.identification.enabled");
            tls.put("redis.ssl.endpoint.identification.enabled", "false");
            assertNoErrors(tls);
        }
    }

    @Test
    void mutualTlsWithJksTrustStoreAndPkcs12KeyStore() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().tls(certificates, true).start()) {
            Map<String, String> tls = tlsProps(redis);
            tls.put("redis.ssl.truststore.location", certificates.truststoreJks().toString());
            tls.put("redis.ssl.truststore.type", "jks");
            tls.put("redis.ssl.truststore.password", TestCertificates.PASSWORD);
            assertThat(errors(tls, "redis.ssl.truststore.location")).as("no client certificate").singleElement().asString()
                    .contains("TLS handshake").contains("redis.ssl.keystore.location");

            tls.put("redis.ssl.keystore.location", certificates.client().keystoreP12().toString());
            tls.put("redis.ssl.keystore.type", "pkcs12");
            tls.put("redis.ssl.keystore.password", TestCertificates.PASSWORD);
            assertNoErrors(tls);
            streamThrough("tls-mutual", tls, redis);

            Map<String, String> wrongPassword = new HashMap<>(tls);
            wrongPassword.put("redis.ssl.keystore.password", "not-the-password");
            assertThat(errors(wrongPassword, "redis.ssl.keystore.location")).singleElement().asString()
                    .contains("cannot be read as a pkcs12 key store").doesNotContain("not-the-password");
        }
    }
}
