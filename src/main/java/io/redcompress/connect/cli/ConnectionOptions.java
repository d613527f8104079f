package io.redcompress.connect.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.common.config.ConfigException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.redcompress.connect.config.RedisSinkConfig;
import picocli.CommandLine.Option;

/**
 * Where Redis is and how to reach it, in the connector's own keys: a connector configuration file and/or
 * {@code --set key=value} overrides, validated by {@link RedisSinkConfig} so that an error names the key.
 */
final class ConnectionOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "The connector's configuration: a .properties file, or the connector JSON "
                    + "({\"name\": ..., \"config\": {...}} or the config object alone). Keys that are not the "
                    + "connector's own (connector.class, topics, converters ...) are ignored.")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "A connector setting, over the file's: redis.uri, redis.mode, redis.username, redis.password, "
                    + "redis.ssl.*, compression.dictionary.key.prefix ... Repeatable.")
    Map<String, String> overrides = new LinkedHashMap<>();

    private Map<String, String> fileSettings;

    /**
     * The validated configuration.
     *
     * @throws CliException (exit 2) naming the key or the file at fault
     */
    RedisSinkConfig config() {
        Map<String, String> props = new LinkedHashMap<>();
        fileSettings().forEach((key, value) -> {
            if (RedisSinkConfig.CONFIG_DEF.names().contains(key)) {
                props.put(key, value);
            }
        });
        for (Map.Entry<String, String> override : overrides.entrySet()) {
            if (!RedisSinkConfig.CONFIG_DEF.names().contains(override.getKey())) {
                throw new CliException(ExitCode.USAGE, "--set " + override.getKey() + ": not a setting of the connector "
                        + "(docs/configuration.md lists them)");
            }
            props.put(override.getKey(), override.getValue());
        }
        try {
            return new RedisSinkConfig(props);
        } catch (ConfigException e) {
            throw new CliException(ExitCode.USAGE, "invalid configuration: " + e.getMessage(), e);
        }
    }

    private Map<String, String> fileSettings() {
        if (fileSettings == null) {
            fileSettings = configFile == null ? Map.of() : read(configFile);
        }
        return fileSettings;
    }

    private static Map<String, String> read(Path file) {
        Map<String, String> settings = new LinkedHashMap<>();
        try {
            if (file.getFileName().toString().endsWith(".json")) {
                JsonNode root = new ObjectMapper().readTree(file.toFile());
                if (root == null || !root.isObject()) {
                    throw new CliException(ExitCode.USAGE, "--config " + file + ": not a JSON object");
                }
                JsonNode config = root.has("config") && root.get("config").isObject() ? root.get("config") : root;
                config.fields().forEachRemaining(field -> settings.put(field.getKey(), field.getValue().asText()));
            } else {
                Properties properties = new Properties();
                try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    properties.load(reader);
                }
                properties.stringPropertyNames().forEach(key -> settings.put(key, properties.getProperty(key).trim()));
            }
        } catch (IOException e) {
            throw new CliException(ExitCode.USAGE, "--config " + file + " cannot be read: " + e.getMessage(), e);
        }
        return settings;
    }
}
