package io.redcompress.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.redcompress.connect.config.RedisSinkConfig;

/**
 * Every properties file in config/ passes the cross-field checks validate() applies before it asks Redis, so that an
 * example cannot teach a combination the connector refuses (config/ExampleConfigsTest checks each file's own promises).
 */
class ExampleConfigsCrossFieldTest {

    @Test
    void everyExamplePassesTheCrossFieldChecks() throws Exception {
        List<Path> examples;
        try (Stream<Path> files = Files.list(Path.of("config"))) {
            examples = files.filter(p -> p.toString().endsWith(".properties")).sorted().toList();
        }
        assertThat(examples).as("the examples in config/").hasSizeGreaterThanOrEqualTo(3);
        for (Path example : examples) {
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(example)) {
                properties.load(reader);
            }
            Map<String, String> props = new HashMap<>();
            properties.stringPropertyNames().forEach(k -> props.put(k, properties.getProperty(k)));
            assertThat(ConfigurationCheck.crossField(new RedisSinkConfig(props))).as(example.toString()).isEmpty();
        }
    }
}
