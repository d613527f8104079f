package io.redcompress.connect.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.runtime.SinkConnectorConfig;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.redcompress.connect.RedisCompressedSinkConnector;
import io.redcompress.connect.mapping.KeyTemplate;

/**
 * The examples in config/ are what operators copy: they must work as they are on a stock worker and a single-broker
 * cluster, or say in the file what the worker needs.
 */
class ExampleConfigsTest {

    private static final Path PROPERTIES = Path.of("config/redis-compressed-sink.properties");
    private static final Path JSON = Path.of("config/redis-compressed-sink.json");
    private static final Path BUCKETS = Path.of("config/redis-sink-buckets.properties");
    private static final Path STREAM = Path.of("config/redis-sink-stream.properties");
    /** ${provider:path:key}, a config provider reference: resolved only by a worker with config.providers set. */
    private static final Pattern PROVIDER_REFERENCE = Pattern.compile("\\$\\{([A-Za-z0-9_.-]+):[^}]*}");

    private static Map<String, String> properties(String text) throws Exception {
        Properties properties = new Properties();
        try (Reader reader = new StringReader(text)) {
            properties.load(reader);
        }
        Map<String, String> props = new HashMap<>();
        properties.stringPropertyNames().forEach(k -> props.put(k, properties.getProperty(k)));
        return props;
    }

    private static Map<String, String> jsonConfig(String text) throws Exception {
        JsonNode root = new ObjectMapper().readTree(text);
        assertThat(root.get("name").asText()).isNotBlank();
        Map<String, String> props = new HashMap<>();
        root.get("config").fields().forEachRemaining(e -> props.put(e.getKey(), e.getValue().asText()));
        props.putIfAbsent("name", root.get("name").asText()); // as POST /connectors does
        return props;
    }

    /** Every key valid for the connector's ConfigDef and for Connect's own sink keys (cross-field: ExampleConfigsCrossFieldTest). */
    private static void assertValid(Map<String, String> props) {
        assertThat(errors(new RedisCompressedSinkConnector().config(), props)).as("connector keys").isEmpty();
        assertThat(errors(SinkConnectorConfig.configDef(), props)).as("Connect's sink keys (topics, converters, errors.*)").isEmpty();
        RedisSinkConfig config = new RedisSinkConfig(props);
        KeyTemplate template = KeyTemplate.parse(config.keyTemplate());
        assertThat(template.usesValue() && config.nullValueBehavior() == NullValueBehavior.DELETE)
                .as("a template that reads the value cannot delete on tombstones").isFalse();
        assertThat(template.ambiguousJoins()).as("an example must not teach a key template whose parts can collide").isEmpty();
        assertThat(props.get("connector.class")).isEqualTo("io.redcompress.connect.RedisCompressedSinkConnector");
    }

    private static List<String> errors(ConfigDef def, Map<String, String> props) {
        return def.validate(props).stream().filter(v -> !v.errorMessages().isEmpty())
                .map((ConfigValue v) -> v.name() + ": " + v.errorMessages()).toList();
    }

    /**
     * A single broker can hold the dead-letter topic: Connect's default replication factor (3) cannot be met by one,
     * and the topic is created only when the first record fails, so the task dies at the worst moment.
     */
    private static void assertDeadLetterTopicFitsOneBroker(Map<String, String> props) {
        if (props.containsKey("errors.deadletterqueue.topic.name")) {
            assertThat(props.get("errors.deadletterqueue.topic.replication.factor"))
                    .as("errors.deadletterqueue.topic.replication.factor: 1, or -1 for the broker's default").isIn("1", "-1");
        }
    }

    /** Each config provider referenced anywhere in the file (comments too) is set up in the file's own words. */
    private static void assertWorkerNeedsAreWrittenDown(String text) {
        Matcher reference = PROVIDER_REFERENCE.matcher(text.replace("${topic}", "").replace("${key}", ""));
        while (reference.find()) {
            String provider = reference.group(1);
            assertThat(text).as("the file uses ${" + provider + ":...}, so it must say the worker needs config.providers")
                    .contains("config.providers=" + provider)
                    .contains("config.providers." + provider + ".class=");
        }
    }

    /**
     * A properties example's settings, checked as every one must be: valid, its dead-letter topic fits one broker, and
     * what it needs of the worker is written down and commented out.
     */
    private static Map<String, String> propertiesForAStockWorker(String text) throws Exception {
        Map<String, String> props = properties(text);
        assertValid(props);
        assertDeadLetterTopicFitsOneBroker(props);
        assertWorkerNeedsAreWrittenDown(text);
        assertThat(PROVIDER_REFERENCE.matcher(String.join("\n", props.values())).find())
                .as("an active ${provider:...} line fails on a stock worker; keep it commented, with the note").isFalse();
        return props;
    }

    @Test
    void standalonePropertiesWorkOnAStockWorkerOrSayWhatItNeeds() throws Exception {
        propertiesForAStockWorker(Files.readString(PROPERTIES));
    }

    @Test
    void bucketedPropertiesWorkOnAStockWorkerAndPassTheLayoutsCrossFieldChecks() throws Exception {
        String text = Files.readString(BUCKETS);
        Map<String, String> props = propertiesForAStockWorker(text);
        RedisSinkConfig config = new RedisSinkConfig(props);
        assertThat(config.layout()).isEqualTo(RedisLayout.BUCKETS);
        // ConfigurationCheck's rules for buckets: a prefix, and exactly one of the count and the expected keys
        assertThat(config.bucketPrefix()).isNotEmpty();
        assertThat(config.bucketCountSetting() > 0).as("exactly one of redis.bucket.count and .expected.keys")
                .isNotEqualTo(config.bucketExpectedKeys() > 0);
        // the file's comment states the derived count
        assertThat(text).contains("= " + config.bucketLayout().count() + " buckets");
        // ttl.ms with buckets needs Redis 7.4+, which validate() checks against the server: keep it commented here
        assertThat(config.ttlMillis()).isZero();
    }

    @Test
    void streamPropertiesWorkOnAStockWorkerAndAppendExactlyOnce() throws Exception {
        String text = Files.readString(STREAM);
        Map<String, String> props = propertiesForAStockWorker(text);
        RedisSinkConfig config = new RedisSinkConfig(props);
        assertThat(config.command()).isEqualTo(WriteCommand.XADD);
        assertThat(config.exactlyOnceAppends()).as("the example teaches the default guarantee").isTrue();
        // the commented alternative must pass the cross-field checks too, once the operator swaps it in
        Map<String, String> byAge = new HashMap<>(props);
        byAge.remove(RedisSinkConfig.REDIS_STREAM_MAX_LENGTH);
        byAge.put(RedisSinkConfig.REDIS_STREAM_MAX_AGE_MS, "86400000");
        assertValid(byAge);
        assertThat(text).contains("# " + RedisSinkConfig.REDIS_STREAM_MAX_AGE_MS + "=");
    }

    @Test
    void distributedJsonWorksOnAStockWorker() throws Exception {
        String text = Files.readString(JSON);
        Map<String, String> props = jsonConfig(text);
        assertValid(props);
        assertDeadLetterTopicFitsOneBroker(props);
        // JSON has no comments, so it cannot say what the worker needs: it must need nothing
        assertThat(PROVIDER_REFERENCE.matcher(text).results().map(m -> m.group()).toList())
                .as("config provider references, which a stock worker does not resolve").isEmpty();
    }

    @Test
    void theChecksCatchWhatTheOldExamplesGotWrong() throws Exception {
        String stale = "{\"name\":\"n\",\"config\":{\"redis.password\":\"${file:/etc/secrets.properties:redis.password}\","
                + "\"errors.deadletterqueue.topic.name\":\"dlq\",\"errors.deadletterqueue.topic.replication.factor\":\"3\"}}";
        Map<String, String> props = jsonConfig(stale);
        assertThatThrownBy(() -> assertDeadLetterTopicFitsOneBroker(props)).isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertWorkerNeedsAreWrittenDown(stale)).isInstanceOf(AssertionError.class);
        assertWorkerNeedsAreWrittenDown(stale + "\n# config.providers=file\n# config.providers.file.class=x");
    }
}
