package io.redcompress.connect.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;

/**
 * Generates docs/configuration.md from the ConfigDef, so the reference cannot drift from the code.
 * {@code main(path)} writes the file; a unit test fails when the committed file is stale.
 */
public final class ConfigReference {

    private ConfigReference() {
    }

    public static void main(String[] args) throws IOException {
        String markdown = markdown();
        if (args.length == 0) {
            System.out.print(markdown);
        } else {
            Files.writeString(Path.of(args[0]), markdown, StandardCharsets.UTF_8);
        }
    }

    public static String markdown() {
        ConfigDef def = RedisSinkConfig.CONFIG_DEF;
        Map<String, List<ConfigDef.ConfigKey>> byGroup = new LinkedHashMap<>();
        for (String group : def.groups()) {
            byGroup.put(group, new ArrayList<>());
        }
        def.configKeys().values().stream()
                .sorted((a, b) -> Integer.compare(a.orderInGroup, b.orderInGroup))
                .forEach(key -> byGroup.computeIfAbsent(key.group, g -> new ArrayList<>()).add(key));

        StringBuilder out = new StringBuilder();
        out.append("# Configuration reference\n\n")
                .append("<!-- Generated from RedisSinkConfig by io.redcompress.connect.config.ConfigReference; do not edit by hand.\n")
                .append("     Regenerate: ./mvnw -q compile exec:java -Dexec.classpathScope=compile -Dexec.mainClass=io.redcompress.connect.config.ConfigReference "
                        + "-Dexec.args=docs/configuration.md -->\n\n")
                .append("Connector class: `io.redcompress.connect.RedisCompressedSinkConnector`. Besides the keys below, every sink ")
                .append("connector key of Kafka Connect applies (`topics`, `tasks.max`, converters, transforms, and the ")
                .append("`errors.*` keys: set `errors.tolerance=all` and `errors.deadletterqueue.topic.name` to send records that ")
                .append("cannot be written to a dead-letter topic).\n");
        byGroup.forEach((group, keys) -> {
            out.append("\n## ").append(group).append("\n");
            for (ConfigDef.ConfigKey key : keys) {
                out.append("\n### `").append(key.name).append("`\n\n")
                        .append(key.documentation).append("\n\n")
                        .append("- Type: ").append(key.type.name().toLowerCase(java.util.Locale.ROOT)).append('\n')
                        .append("- Default: ").append(defaultValue(key)).append('\n');
                if (key.validator != null) {
                    out.append("- Valid values: ").append(key.validator).append('\n');
                }
                out.append("- Importance: ").append(key.importance.name().toLowerCase(java.util.Locale.ROOT)).append('\n');
            }
        });
        return out.toString();
    }

    private static String defaultValue(ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return "(required)";
        }
        if (key.defaultValue == null) {
            return "(none)";
        }
        // a Password prints as [hidden]; a default is no secret (redis.uri is typed password only because it may hold one)
        String value = key.defaultValue instanceof Password password
                ? password.value() : ConfigDef.convertToString(key.defaultValue, key.type);
        return value.isEmpty() ? "\"\"" : "`" + value + "`";
    }
}
