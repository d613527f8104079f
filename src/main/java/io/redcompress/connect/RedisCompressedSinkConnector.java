package io.redcompress.connect;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.KeyTemplate;
import io.redcompress.connect.redis.RedisConnectivityCheck;

/**
 * Streams Kafka topics into Redis as compressed values in the format of docs/value-format.md.
 * Validation checks what single keys cannot ({@link ConfigurationCheck}): settings against each other, then Redis
 * itself — reachable with these credentials, the right kind, and the ACL user allowed every command on a sample key.
 */
public class RedisCompressedSinkConnector extends SinkConnector {

    private static final Logger log = LoggerFactory.getLogger(RedisCompressedSinkConnector.class);

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
        // a join that can make two records share a key may be what the operator wants: validate() has no warnings
        KeyTemplate.parse(sinkConfig.keyTemplate()).ambiguousJoins().forEach(log::warn);
        List<RedisConnectivityCheck.Problem> problems = ConfigurationCheck.crossField(sinkConfig);
        if (problems.isEmpty()) {
            problems = ConfigurationCheck.redis(sinkConfig, connectorConfigs);
        }
        problems.forEach(p -> addError(values, p.configKey(), p.message()));
        return config;
    }

    private static void addError(Map<String, ConfigValue> values, String key, String message) {
        ConfigValue value = values.get(key);
        if (value != null) {
            value.addErrorMessage(message);
        }
    }
}
