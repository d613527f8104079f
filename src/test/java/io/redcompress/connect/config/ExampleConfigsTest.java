package io.redcompress.connect.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.redcompress.connect.mapping.KeyTemplate;

/** The examples in config/ are what operators copy: they must be valid, key template and all. */
class ExampleConfigsTest {

    private static void assertValid(Map<String, String> props) {
        RedisSinkConfig config = new RedisSinkConfig(props);
        KeyTemplate template = KeyTemplate.parse(config.keyTemplate());
        assertThat(template.usesValue() && config.nullValueBehavior() == NullValueBehavior.DELETE)
                .as("a template that reads the value cannot delete on tombstones").isFalse();
        assertThat(props.get("connector.class")).isEqualTo("io.redcompress.connect.RedisCompressedSinkConnector");
    }

    @Test
    void standaloneProperties() throws Exception {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("config/redis-compressed-sink.properties"))) {
            properties.load(reader);
        }
        Map<String, String> props = new HashMap<>();
        properties.stringPropertyNames().forEach(k -> props.put(k, properties.getProperty(k)));
        assertValid(props);
    }

    @Test
    void distributedJson() throws Exception {
        JsonNode root = new ObjectMapper().readTree(Path.of("config/redis-compressed-sink.json").toFile());
        Map<String, String> props = new HashMap<>();
        root.get("config").fields().forEachRemaining(e -> props.put(e.getKey(), e.getValue().asText()));
        assertThat(root.get("name").asText()).isNotBlank();
        assertValid(props);
    }
}
