package io.redcompress.connect.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;

class ConfigReferenceTest {

    @Test
    void committedReferenceMatchesTheConfigDef() throws Exception {
        String committed = Files.readString(Path.of("docs/configuration.md"), StandardCharsets.UTF_8);
        assertThat(committed)
                .as("docs/configuration.md is stale: regenerate it with ConfigReference (see the comment at its top)")
                .isEqualTo(ConfigReference.markdown());
    }

    @Test
    void referenceListsEveryKeyInItsGroup() {
        String markdown = ConfigReference.markdown();
        for (String key : RedisSinkConfig.CONFIG_DEF.names()) {
            assertThat(markdown).contains("### `" + key + "`");
        }
        assertThat(markdown).contains("## Connection", "## Keys & values", "## Compression", "## Reliability", "## Errors");
        assertThat(markdown).contains("Valid values: [none, lz4, snappy, zstd, gzip]");
    }

    @Test
    void enumsAreCaseInsensitiveAndErrorsListTheChoices() {
        RedisSinkConfig config = new RedisSinkConfig(Map.of("compression.codec", "ZSTD", "behavior.on.null.values", "Ignore"));
        assertThat(config.codec()).isEqualTo(Codec.ZSTD);
        assertThat(config.nullValueBehavior()).isEqualTo(NullValueBehavior.IGNORE);
        assertThatThrownBy(() -> new RedisSinkConfig(Map.of("compression.codec", "brotli")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("compression.codec")
                .hasMessageContaining("[none, lz4, snappy, zstd, gzip]");
    }

    @Test
    void thePasswordIsHiddenWhenPrinted() {
        RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.password", "s3cr3t-value"));
        assertThat(config.redisPassword().value()).isEqualTo("s3cr3t-value");
        assertThat(config.redisPassword().toString()).doesNotContain("s3cr3t");
        assertThat(config.toString()).doesNotContain("s3cr3t");
    }

    @Test
    void aPasswordInsideRedisUriIsHiddenWhenPrintedAndInTheConfigDump() {
        RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", "redis://writer:s3cr3t-value@redis.internal:6379"));
        assertThat(config.redisUri()).isEqualTo("redis://writer:s3cr3t-value@redis.internal:6379");
        assertThat(config.toString()).doesNotContain("s3cr3t");
        assertThat(config.values().get("redis.uri").toString()).doesNotContain("s3cr3t");
        // what validate() hands back to the worker, which prints each value with ConfigDef.convertToString
        assertThat(RedisSinkConfig.CONFIG_DEF.validate(Map.of("redis.uri", "redis://writer:s3cr3t-value@redis.internal:6379")))
                .filteredOn(v -> v.name().equals("redis.uri")).singleElement()
                .satisfies(v -> assertThat(ConfigDef.convertToString(v.value(),
                        RedisSinkConfig.CONFIG_DEF.configKeys().get("redis.uri").type)).doesNotContain("s3cr3t"));
    }

    @Test
    void anEmptyRedisUriIsRefusedOnRedisUri() {
        assertThatThrownBy(() -> new RedisSinkConfig(Map.of("redis.uri", "")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("redis.uri");
    }
}
