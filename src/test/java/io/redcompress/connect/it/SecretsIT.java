package io.redcompress.connect.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfo;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.testing.LogCapture;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/**
 * Credentials never leak: not in validation results, not in a failed task's trace, not in any log line, with the
 * connector's and Lettuce's loggers at DEBUG, wherever the operator put the password (redis.password or inside
 * redis.uri). Wrong credentials are reported on the key that holds the password, and a task that cannot start says
 * so in the same words.
 */
class SecretsIT {

    private static final String RIGHT = "Right-Horse-Battery-7319";
    private static final String WRONG = "Wrong-Staple-Secret-4821";
    private static final String ROTATED = "Rotated-Lantern-Quartz-5560";
    private static ConnectAndRedis cluster;

    @BeforeAll
    static void startCluster() {
        cluster = ConnectAndRedis.start("secrets-it", worker -> { });
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void credentialsAppearNowhereAndWrongOnesAreReportedOnRedisPassword() throws Exception {
        String topic = "secrets";
        cluster.connect.kafka().createTopic(topic, 1);
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient admin = redis.client();
             LogCapture logs = LogCapture.start()) {
            admin.command("ACL", "SETUSER", "writer", "on", ">" + RIGHT, "~secrets:*", "+@all");
            Map<String, String> config = cluster.sinkConfig(topic);
            config.put("redis.uri", redis.uri());
            config.put("redis.username", "writer");
            config.put("redis.password", WRONG);
            config.put("redis.connect.timeout.ms", "2000"); // lowered, not raised: the failure under test comes sooner

            // validation (PUT /connector-plugins/.../config/validate): the error names the key, the secret stays hidden
            config.put("name", "validated");
            ConfigInfos validation = cluster.connect.validateConnectorConfig(ConnectAndRedis.CONNECTOR_CLASS, config);
            config.remove("name");
            assertThat(validation.configs().stream().filter(c -> !c.configValue().errors().isEmpty())
                    .map(c -> c.configValue().name() + ": " + c.configValue().errors()))
                    .singleElement().asString().startsWith("redis.password: ");
            String passwordErrors = validation.configs().stream()
                    .filter(c -> c.configValue().name().equals("redis.password"))
                    .findFirst().orElseThrow().configValue().errors().toString();
            assertThat(passwordErrors).contains("refused the credentials").contains("redis.username").contains("redis.password");
            assertThat(validation.toString()).doesNotContain(WRONG).doesNotContain(RIGHT);

            // creating the connector runs the same validation: refused, with the same words
            assertThatThrownBy(() -> cluster.connect.configureConnector("wrong-password", config))
                    .hasMessageContaining("refused the credentials").hasMessageNotContaining(WRONG).hasMessageNotContaining(RIGHT);

            // the right password works
            config.put("redis.password", RIGHT);
            try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
                producer.send(new ProducerRecord<>(topic, 0, "k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)));
            }
            cluster.startConnector("secrets", config);
            cluster.awaitCommitted("secrets", Map.of(new TopicPartition(topic, 0), 1L), Duration.ofSeconds(60));
            assertThat(ValueDecoder.decode(admin.get("secrets:k"))).isEqualTo("v".getBytes(StandardCharsets.UTF_8));

            // the password is rotated in Redis but not in Connect: a restarted task cannot start, and says why
            admin.command("ACL", "SETUSER", "writer", "resetpass", ">" + ROTATED);
            cluster.connect.restartConnectorAndTasks("secrets", false, true, false);
            String trace = cluster.awaitTaskFailed("secrets", "the task started with a stale password");
            assertThat(trace).contains("refused the credentials").contains("config key: redis.password");
            cluster.connect.deleteConnector("secrets");

            for (String secret : new String[] {RIGHT, WRONG, ROTATED}) {
                assertThat(trace).doesNotContain(secret);
                assertThat(workerLogs(logs)).as("captured logs").isNotEmpty().doesNotContain(secret);
            }
        }
    }

    @Test
    void aPasswordGivenOnlyInsideRedisUriAppearsNowhereAndWrongOnesAreReportedOnRedisUri() throws Exception {
        String topic = "secrets-in-uri";
        cluster.connect.kafka().createTopic(topic, 1);
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient admin = redis.client();
             LogCapture logs = LogCapture.start()) {
            admin.command("ACL", "SETUSER", "writer", "on", ">" + RIGHT, "~" + topic + ":*", "+@all");
            Map<String, String> config = cluster.sinkConfig(topic);
            config.put("redis.uri", withCredentials(redis.uri(), "writer", WRONG)); // no redis.username, no redis.password
            config.put("redis.connect.timeout.ms", "2000"); // lowered, not raised: the failure under test comes sooner

            // validation: the error is on redis.uri, the key that holds the password, and the response (as the REST
            // API serialises it) shows no password, not even as the value of redis.uri
            config.put("name", "validated-uri");
            ConfigInfos validation = cluster.connect.validateConnectorConfig(ConnectAndRedis.CONNECTOR_CLASS, config);
            config.remove("name");
            assertThat(validation.configs().stream().filter(c -> !c.configValue().errors().isEmpty())
                    .map(c -> c.configValue().name() + ": " + c.configValue().errors()))
                    .singleElement().asString().startsWith("redis.uri: ").contains("refused the credentials");
            ConfigInfo uri = validation.configs().stream().filter(c -> c.configValue().name().equals("redis.uri"))
                    .findFirst().orElseThrow();
            assertThat(uri.configValue().value()).doesNotContain(WRONG);
            String response = new ObjectMapper().writeValueAsString(validation);
            assertThat(response).contains("redis.uri").doesNotContain(WRONG).doesNotContain(RIGHT);

            assertThatThrownBy(() -> cluster.connect.configureConnector("wrong-uri-password", config))
                    .hasMessageContaining("refused the credentials").hasMessageNotContaining(WRONG).hasMessageNotContaining(RIGHT);

            // the right password in the URI works, and the worker logs the connector's config dump
            config.put("redis.uri", withCredentials(redis.uri(), "writer", RIGHT));
            try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
                producer.send(new ProducerRecord<>(topic, 0, "k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)));
            }
            cluster.startConnector("secrets-in-uri", config);
            cluster.awaitCommitted("secrets-in-uri", Map.of(new TopicPartition(topic, 0), 1L), Duration.ofSeconds(60));
            assertThat(ValueDecoder.decode(admin.get(topic + ":k"))).isEqualTo("v".getBytes(StandardCharsets.UTF_8));
            assertThat(logs.text()).as("the config dump was captured").contains("RedisSinkConfig values").contains("redis.uri = [hidden]");

            // rotated in Redis, not in the URI: the restarted task fails on redis.uri
            admin.command("ACL", "SETUSER", "writer", "resetpass", ">" + ROTATED);
            cluster.connect.restartConnectorAndTasks("secrets-in-uri", false, true, false);
            String trace = cluster.awaitTaskFailed("secrets-in-uri", "the task started with a stale password in redis.uri");
            assertThat(trace).contains("refused the credentials").contains("config key: redis.uri");
            cluster.connect.deleteConnector("secrets-in-uri");

            for (String secret : new String[] {RIGHT, WRONG, ROTATED}) {
                assertThat(trace).doesNotContain(secret);
                assertThat(workerLogs(logs)).as("captured logs").doesNotContain(secret);
            }
        }
    }

    /**
     * What was logged, less the test harness's echo of {@code PUT /connectors/<name>/config} responses: Connect's REST
     * API returns a connector's config as submitted (so does {@code GET /connectors/<name>/config}), which is why
     * operators put secrets in config providers; that echo is the test's REST client, not a worker log line. The
     * echoed validate responses ({@code PUT /connector-plugins/.../config/validate}) stay in and are checked.
     */
    private static String workerLogs(LogCapture logs) {
        return logs.text().lines()
                .filter(line -> !line.matches(".*EmbeddedConnect - PUT response for URL=\\S+/connectors/[^/\\s]+/config is .*"))
                .collect(Collectors.joining("\n"));
    }

    /** redis://host:port with user:password@ put in front of the host. */
    private static String withCredentials(String uri, String user, String password) {
        int hostStart = uri.indexOf("://") + 3;
        return uri.substring(0, hostStart) + user + ":" + password + "@" + uri.substring(hostStart);
    }
}
