package io.redcompress.connect;

import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.KeyTemplate;
import io.redcompress.connect.mapping.RecordMapper;

/** Builds the task's collaborators from its config. */
final class TaskComponents {

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

    static RecordMapper recordMapper(RedisSinkConfig config) {
        return new RecordMapper(KeyTemplate.parse(config.keyTemplate()), config.nullValueBehavior(), config.maxValueBytes(),
                config.ttlMillis(), valueEncoder(config));
    }
}
