package io.redcompress.connect;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.config.NullValueBehavior;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.KeyTemplate;
import io.redcompress.connect.redis.RedisConnectivityCheck;

/**
 * Streams Kafka topics into Redis as compressed values in the format of docs/value-format.md.
 * Validation checks what single keys cannot: the key template against tombstone handling, the level against the
 * codec, and that Redis answers PING with these credentials.
 */
public class RedisCompressedSinkConnector extends SinkConnector {

    private Map<String, String> props;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public ConfigDef config() {
        return RedisSinkConfig.CONFIG_DEF;
    }

    @Override
    public void start(Map<String, String> props) {
        new RedisSinkConfig(props); // fail at once on a bad config, not in every task
        this.props = Map.copyOf(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return RedisCompressedSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>(maxTasks);
        for (int i = 0; i < maxTasks; i++) {
            configs.add(new HashMap<>(props));
        }
        return configs;
    }

    @Override
    public void stop() {
        // nothing held: tasks own their Redis connections
    }

    @Override
    public Config validate(Map<String, String> connectorConfigs) {
        Config config = super.validate(connectorConfigs);
        Map<String, ConfigValue> values = new HashMap<>();
        config.configValues().forEach(v -> values.put(v.name(), v));
        boolean singleKeysValid = config.configValues().stream().allMatch(v -> v.errorMessages().isEmpty());
        if (!singleKeysValid) {
            return config;
        }
        RedisSinkConfig sinkConfig = new RedisSinkConfig(connectorConfigs);
        checkKeyTemplate(sinkConfig, values);
        checkCompressionLevel(sinkConfig, values);
        boolean crossFieldValid = config.configValues().stream().allMatch(v -> v.errorMessages().isEmpty());
        if (crossFieldValid) {
            Optional<RedisConnectivityCheck.Problem> problem = RedisConnectivityCheck.ping(sinkConfig);
            problem.ifPresent(p -> addError(values, p.configKey(), p.message()));
        }
        return config;
    }

    private static void checkKeyTemplate(RedisSinkConfig config, Map<String, ConfigValue> values) {
        KeyTemplate template;
        try {
            template = KeyTemplate.parse(config.keyTemplate());
        } catch (IllegalArgumentException e) {
            addError(values, RedisSinkConfig.KEY_TEMPLATE, "Invalid key template: " + e.getMessage());
            return;
        }
        if (template.usesValue() && config.nullValueBehavior() == NullValueBehavior.DELETE) {
            addError(values, RedisSinkConfig.KEY_TEMPLATE, "key.template '" + config.keyTemplate() + "' reads the record value, "
                    + "which a tombstone does not have, so tombstones cannot be turned into DEL; build the key from "
                    + "${topic}/${partition}/${key} only, or set " + RedisSinkConfig.BEHAVIOR_ON_NULL_VALUES + "=ignore or fail");
        }
    }

    private static void checkCompressionLevel(RedisSinkConfig config, Map<String, ConfigValue> values) {
        int level = config.compressionLevel();
        if (level == 0) {
            return;
        }
        Codec codec = config.codec();
        String problem = switch (codec) {
            case ZSTD -> level > 22 ? "zstd levels are 1-22" : null;
            case GZIP -> level > 9 ? "gzip levels are 1-9" : null;
            default -> "codec " + codec.name().toLowerCase(java.util.Locale.ROOT) + " has no levels; leave "
                    + RedisSinkConfig.COMPRESSION_LEVEL + " at 0";
        };
        if (problem != null) {
            addError(values, RedisSinkConfig.COMPRESSION_LEVEL, RedisSinkConfig.COMPRESSION_LEVEL + "=" + level + " is not valid: " + problem);
        }
    }

    private static void addError(Map<String, ConfigValue> values, String key, String message) {
        ConfigValue value = values.get(key);
        if (value != null) {
            value.addErrorMessage(message);
        }
    }
}
