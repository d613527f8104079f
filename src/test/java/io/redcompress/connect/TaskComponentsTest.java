package io.redcompress.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RecordMapper;
import io.redcompress.connect.mapping.SettableDictionaries;
import io.redcompress.connect.mapping.ValueDictionaries;
import io.redcompress.connect.pipeline.DictionaryHold;
import io.redcompress.connect.pipeline.PartitionPauses;
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

    @Test
    void recordsWaitForTheirDictionaryOnlyInTheBucketedLayoutWithTrainedDictionariesAndAHold() {
        ValueDictionaries sampling = new SettableDictionaries();
        Map<String, String> buckets = Map.of("compression.codec", "zstd", "compression.dictionary", "auto",
                "redis.layout", "buckets", "redis.bucket.prefix", "b:", "redis.bucket.count", "4");
        assertThat(holds(buckets, sampling)).isTrue();
        assertThat(holds(with(buckets, "compression.dictionary.hold.max.ms", "0"), sampling)).isFalse();
        assertThat(holds(with(buckets, "redis.layout", "keys"), sampling)).as("a value without a dictionary costs its bytes only").isFalse();
        assertThat(holds(with(buckets, "compression.dictionary", "none"), sampling)).isFalse();
    }

    private static Map<String, String> with(Map<String, String> config, String key, String value) {
        Map<String, String> changed = new java.util.HashMap<>(config);
        changed.put(key, value);
        return changed;
    }

    private static boolean holds(Map<String, String> props, ValueDictionaries dictionaries) {
        RedisSinkConfig config = new RedisSinkConfig(props);
        try (RecordMapper mapper = TaskComponents.recordMapper(config)) {
            DictionaryHold hold = TaskComponents.dictionaryHold(config, TaskComponents.writeLayout(config), dictionaries,
                    mapper, new PartitionPauses(new FakeSinkTaskContext(true)), () -> 0);
            SinkRecord record = TestRecords.record().value("{\"t\":1}").build();
            return hold.holds(record, RecordId.of(record));
        }
    }
}
