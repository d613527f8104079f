package io.redcompress.connect;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.KeyTemplate;
import io.redcompress.connect.mapping.RecordMapper;

/** Builds the task's collaborators from its config. */
final class TaskComponents {

    private static final Logger log = LoggerFactory.getLogger(TaskComponents.class);

    private TaskComponents() {
    }

    static ValueEncoder valueEncoder(RedisSinkConfig config) {
        ValueEncoder.Builder builder = ValueEncoder.builder()
                .codec(config.codec())
                .minSizeToCompress(config.compressionMinBytes())
                .checksum(config.checksumEnabled());
        if (config.compressionLevel() != 0) {
            builder.level(config.compressionLevel());
        }
        return builder.build();
    }

    /** Also logs, at WARN, each join of the key template that can make two records share a key (see key.template). */
    static RecordMapper recordMapper(RedisSinkConfig config) {
        KeyTemplate template = KeyTemplate.parse(config.keyTemplate());
        template.ambiguousJoins().forEach(log::warn);
        return new RecordMapper(template, config.nullValueBehavior(), config.maxValueBytes(), config.ttlMillis(), valueEncoder(config));
    }
}
