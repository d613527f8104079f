package io.redcompress.connect.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * redis.hash.fields: which top-level fields of a value HSET writes, and under which hash field names. Empty: every
 * field, under its own name.
 */
public record HashFieldSelection(Map<String, String> hashFieldBySource) {

    public static final HashFieldSelection ALL = new HashFieldSelection(Map.of());

    public static final ConfigDef.Validator VALIDATOR = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            if (value instanceof List<?> list) {
                parse(list.stream().map(String::valueOf).toList(), name);
            }
        }

        @Override
        public String toString() {
            return "a list of 'name' or 'name:hash-field'";
        }
    };

    public static HashFieldSelection parse(List<String> entries) {
        return parse(entries, RedisSinkConfig.REDIS_HASH_FIELDS);
    }

    private static HashFieldSelection parse(List<String> entries, String configKey) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String entry : entries) {
            String[] parts = entry.trim().split(":", -1);
            if (parts.length > 2 || parts[0].isBlank() || (parts.length == 2 && parts[1].isBlank())) {
                throw new ConfigException(configKey, entry, "each entry is 'name' or 'name:hash-field'");
            }
            String hashField = parts.length == 2 ? parts[1].trim() : parts[0].trim();
            if (fields.containsValue(hashField)) {
                throw new ConfigException(configKey, entry, "two fields would be written to hash field '" + hashField + "'");
            }
            fields.put(parts[0].trim(), hashField);
        }
        return new HashFieldSelection(java.util.Collections.unmodifiableMap(fields));
    }

    public boolean all() {
        return hashFieldBySource.isEmpty();
    }

    /** The hash field {@code source} is written to, or null when it is not selected. */
    public String hashField(String source) {
        return all() ? source : hashFieldBySource.get(source);
    }
}
