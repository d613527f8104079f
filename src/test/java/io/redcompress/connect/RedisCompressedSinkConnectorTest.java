package io.redcompress.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.testing.RedisClusterProcess;
import io.redcompress.connect.testing.RedisServerProcess;

class RedisCompressedSinkConnectorTest {

    private final RedisCompressedSinkConnector connector = new RedisCompressedSinkConnector();

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static List<String> errors(Config config, String key) {
        return config.configValues().stream().filter(v -> v.name().equals(key)).findFirst()
                .map(ConfigValue::errorMessages).orElseThrow();
    }

    private Map<String, String> props(String... keyValues) throws IOException {
        Map<String, String> props = new HashMap<>();
        props.put("connector.class", RedisCompressedSinkConnector.class.getName());
        props.put("topics", "t");
        props.put("redis.uri", "redis://127.0.0.1:" + closedPort());
        props.put("redis.connect.timeout.ms", "1000");
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put(keyValues[i], keyValues[i + 1]);
        }
        return props;
    }

    @Test
    void aTemplateThatReadsTheValueCannotDeleteOnTombstones() throws IOException {
        Config config = connector.validate(props("key.template", "dev:${value.id}"));
        assertThat(errors(config, "key.template")).singleElement().asString()
                .contains("tombstone").contains("behavior.on.null.values");
    }

    @Test
    void anInvalidTemplateIsReportedOnItsKey() throws IOException {
        Config config = connector.validate(props("key.template", "dev:${nope}"));
        assertThat(errors(config, "key.template")).singleElement().asString().contains("unknown placeholder ${nope}");
    }

    @Test
    void aLevelMustSuitTheCodec() throws IOException {
        assertThat(errors(connector.validate(props("compression.codec", "lz4", "compression.level", "5")), "compression.level"))
                .singleElement().asString().contains("lz4 has no levels");
        assertThat(errors(connector.validate(props("compression.codec", "gzip", "compression.level", "12")), "compression.level"))
                .singleElement().asString().contains("gzip levels are 1-9");
    }

    @Test
    void anUnreachableRedisIsReportedOnRedisUri() throws IOException {
        Map<String, String> props = props("redis.password", "hunter2-secret");
        Config config = connector.validate(props);
        assertThat(errors(config, "redis.uri")).singleElement().asString()
                .contains("Cannot reach Redis at 127.0.0.1:").contains("redis.uri").doesNotContain("hunter2");
    }

    @Test
    void singleKeyErrorsComeFirstAndListChoices() throws IOException {
        Config config = connector.validate(props("compression.codec", "brotli"));
        assertThat(errors(config, "compression.codec")).singleElement().asString().contains("[none, lz4, snappy, zstd, gzip]");
    }

    @Test
    void everyTaskGetsTheConnectorConfig() throws IOException {
        Map<String, String> props = props();
        connector.start(props);
        assertThat(connector.taskConfigs(3)).hasSize(3).allSatisfy(c -> assertThat(c).isEqualTo(props));
        assertThat(connector.taskClass()).isEqualTo(RedisCompressedSinkTask.class);
    }

    @Test
    void wrongCredentialsAreReportedOnRedisPasswordWithoutTheSecret() throws IOException {
        try (RedisServerProcess redis = RedisServerProcess.builder().password("right-horse-battery").start()) {
            Map<String, String> wrong = props("redis.uri", redis.uri(), "redis.password", "wrong-staple-secret");
            assertThat(errors(connector.validate(wrong), "redis.password")).singleElement().asString()
                    .contains("refused the credentials").doesNotContain("wrong-staple-secret").doesNotContain("right-horse");
            Map<String, String> right = props("redis.uri", redis.uri(), "redis.password", "right-horse-battery");
            assertThat(connector.validate(right).configValues()).allSatisfy(v -> assertThat(v.errorMessages()).isEmpty());
        }
    }

    @Test
    void aModeThatDoesNotMatchTheUriIsReportedOnRedisMode() throws IOException {
        assertThat(errors(connector.validate(props("redis.uri", "redis-sentinel://127.0.0.1:26379#mymaster")), "redis.mode"))
                .singleElement().asString().contains("needs redis.mode=sentinel");
        assertThat(errors(connector.validate(props("redis.mode", "sentinel")), "redis.mode"))
                .singleElement().asString().contains("redis.mode=sentinel needs redis.uri=redis-sentinel://");
    }

    @Test
    void anUnreadableTrustStoreIsReportedOnItsKey() throws IOException {
        Config config = connector.validate(props("redis.uri", "rediss://localhost:" + closedPort(),
                "redis.ssl.truststore.location", "/nonexistent/ca.pem"));
        assertThat(errors(config, "redis.ssl.truststore.location")).singleElement().asString()
                .contains("/nonexistent/ca.pem").contains("cannot be read as a pem trust store");
    }

    @Test
    void aClusterNodeConfiguredAsStandaloneIsReportedOnRedisMode() throws IOException {
        try (RedisClusterProcess redis = RedisClusterProcess.builder().masters(1).start()) {
            assertThat(errors(connector.validate(props("redis.uri", redis.seedUri())), "redis.mode")).singleElement().asString()
                    .contains("is a Redis Cluster node").contains("redis.mode=cluster");
        }
    }

    @Test
    void aStandaloneServerConfiguredAsClusterIsReportedOnRedisMode() throws IOException {
        try (RedisServerProcess redis = RedisServerProcess.builder().start()) {
            assertThat(errors(connector.validate(props("redis.mode", "cluster", "redis.uri", redis.uri())), "redis.mode"))
                    .singleElement().asString().contains("is not a Redis Cluster").contains("redis.mode=standalone");
        }
    }
}
