package io.redcompress.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.testing.LogCapture;

class TaskComponentsTest {

    @Test
    void aKeyTemplateWhosePartsCanRunIntoEachOtherIsLoggedAtWarnWhenATaskStarts() {
        try (LogCapture logs = LogCapture.start()) {
            TaskComponents.recordMapper(new RedisSinkConfig(Map.of("key.template", "${key.tenant}:${key.id}")));
            assertThat(logs.text()).contains("WARN io.redcompress.connect.TaskComponents - key.template '${key.tenant}:${key.id}' joins "
                    + "${key.tenant} and ${key.id} with ':'");
        }
    }

    @Test
    void theDefaultKeyTemplateLogsNoWarning() {
        try (LogCapture logs = LogCapture.start()) {
            TaskComponents.recordMapper(new RedisSinkConfig(Map.of()));
            assertThat(logs.text()).doesNotContain("WARN");
        }
    }

    @Test
    void zstdCompressesAtLevelOneUnlessALevelIsSetAndGzipKeepsItsDefault() {
        assertThat(TaskComponents.valueEncoder(new RedisSinkConfig(Map.of("compression.codec", "zstd"))).level()).isEqualTo(1);
        assertThat(TaskComponents.valueEncoder(new RedisSinkConfig(Map.of("compression.codec", "zstd",
                "compression.level", "3"))).level()).isEqualTo(3);
        assertThat(TaskComponents.valueEncoder(new RedisSinkConfig(Map.of("compression.codec", "gzip"))).level()).isEqualTo(6);
    }
}
