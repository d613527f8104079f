package io.redcompress.connect.config;

import java.util.List;
import java.util.Locale;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** One entry of redis.stream.extra.fields: a field XADD adds after the value, named as configured. */
public record StreamExtraField(Source source, String name, String header) {

    /** Where the field's value comes from. */
    public enum Source {
        KEY, TIMESTAMP, TOPIC, PARTITION, OFFSET, HEADER
    }

    private static final String HEADER_PREFIX = "header.";

    public static final ConfigDef.Validator VALIDATOR = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            if (value instanceof List<?> list) {
                for (Object entry : list) {
                    parse(String.valueOf(entry), name);
                }
            }
        }

        @Override
        public String toString() {
            return "a list of: key, timestamp, topic, partition, offset, header.<name>";
        }
    };

    public static StreamExtraField parse(String entry) {
        return parse(entry, RedisSinkConfig.REDIS_STREAM_EXTRA_FIELDS);
    }

    private static StreamExtraField parse(String entry, String configKey) {
        String trimmed = entry.trim();
        if (trimmed.startsWith(HEADER_PREFIX) && trimmed.length() > HEADER_PREFIX.length()) {
            return new StreamExtraField(Source.HEADER, trimmed, trimmed.substring(HEADER_PREFIX.length()));
        }
        for (Source source : Source.values()) {
            if (source != Source.HEADER && source.name().equalsIgnoreCase(trimmed)) {
                return new StreamExtraField(source, source.name().toLowerCase(Locale.ROOT), null);
            }
        }
        throw new ConfigException(configKey, entry, "each entry must be one of key, timestamp, topic, partition, offset, "
                + "header.<name>");
    }
}
