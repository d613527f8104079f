package io.redcompress.connect.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.DictionaryResolver;
import io.redcompress.connect.codec.DictionaryTrainer;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;
import io.redcompress.connect.config.HashFieldSelection;
import io.redcompress.connect.config.NullValueBehavior;

class StructureLayoutTest {

    private static final Schema READING = SchemaBuilder.struct().name("reading")
            .field("device", Schema.STRING_SCHEMA).field("temperature", Schema.FLOAT64_SCHEMA)
            .field("note", Schema.OPTIONAL_STRING_SCHEMA).build();

    private final ValueEncoder encoder = ValueEncoder.builder().codec(Codec.LZ4).minSizeToCompress(16).build();

    @Test
    void aStructsTopLevelFieldsBecomeHashFieldsEachInTheValueFormat() {
        RecordMapper mapper = mapper(StructureLayout.hash(HashFieldSelection.parse(List.of("device", "temperature:t")), 0));
        Struct value = new Struct(READING).put("device", "d-1").put("temperature", 21.5).put("note", "x".repeat(100));
        RedisWrite.KeyCommand write = (RedisWrite.KeyCommand) mapper.map(record(value, READING, 7)).orElseThrow();
        assertThat(write.command()).isEqualTo(RedisWrite.KeyCommandName.HSET);
        assertThat(new String(write.key(), StandardCharsets.UTF_8)).isEqualTo("h:k");
        assertThat(write.arguments()).hasSize(4);
        assertThat(text(write.arguments().get(0))).isEqualTo("device");
        assertThat(decoded(write.arguments().get(1))).isEqualTo("d-1");
        assertThat(text(write.arguments().get(2))).isEqualTo("t");
        assertThat(decoded(write.arguments().get(3))).isEqualTo("21.5");
    }

    @Test
    void aMapValueWritesEveryNonNullEntryAndAScalarGoesToTheDeadLetterTopic() {
        RecordMapper mapper = mapper(StructureLayout.hash(HashFieldSelection.ALL, 0));
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("a", "1");
        map.put("b", null);
        map.put("c", Map.of("nested", true));
        RedisWrite.KeyCommand write = (RedisWrite.KeyCommand) mapper.map(record(map, null, 1)).orElseThrow();
        assertThat(write.arguments().stream().map(StructureLayoutTest::text).toList()).contains("a", "c").doesNotContain("b");
        assertThat(decoded(write.arguments().get(3))).isEqualTo("{\"nested\":true}");
        assertThatThrownBy(() -> mapper.map(record("plain", null, 2))).isInstanceOf(UndecodableRecordException.class)
                .hasMessageContaining("offset=2").hasMessageContaining("not a Struct or Map");
        assertThat(mapper.map(record(null, null, 3)).orElseThrow()).isInstanceOf(RedisWrite.DeleteKey.class);
    }

    @Test
    void membersAreTheEncodedValueOrATemplateAndScoresComeFromTheTimestampOrAField() {
        RecordMapper sets = mapper(StructureLayout.set("", 0));
        RedisWrite.KeyCommand first = (RedisWrite.KeyCommand) sets.map(record("same value", null, 1)).orElseThrow();
        RedisWrite.KeyCommand again = (RedisWrite.KeyCommand) sets.map(record("same value", null, 2)).orElseThrow();
        assertThat(first.arguments().get(0)).as("a member is the same bytes every time").isEqualTo(again.arguments().get(0));
        assertThat(decoded(first.arguments().get(0))).isEqualTo("same value");

        RecordMapper scored = mapper(StructureLayout.sortedSet("${value.device}", "${value.temperature}", 0));
        Struct value = new Struct(READING).put("device", "d-1").put("temperature", 21.5);
        RedisWrite.KeyCommand zadd = (RedisWrite.KeyCommand) scored.map(record(value, READING, 4)).orElseThrow();
        assertThat(zadd.arguments().stream().map(StructureLayoutTest::text).toList()).containsExactly("21.5", "d-1");

        RecordMapper byTime = mapper(StructureLayout.sortedSet("${key}", "timestamp", 0));
        RedisWrite.KeyCommand timed = (RedisWrite.KeyCommand) byTime.map(record("v", null, 5)).orElseThrow();
        assertThat(text(timed.arguments().get(0))).isEqualTo("1700000000000");
        RedisWrite.KeyCommand removed = (RedisWrite.KeyCommand) byTime.map(record(null, null, 6)).orElseThrow();
        assertThat(removed.command()).isEqualTo(RedisWrite.KeyCommandName.ZREM);
        assertThat(text(removed.arguments().get(0))).isEqualTo("k");

        Struct noNumber = new Struct(SchemaBuilder.struct().field("device", Schema.STRING_SCHEMA)
                .field("temperature", Schema.STRING_SCHEMA).build()).put("device", "d").put("temperature", "warm");
        assertThatThrownBy(() -> scored.map(record(noNumber, noNumber.schema(), 8)))
                .isInstanceOf(UndecodableRecordException.class).hasMessageContaining("'warm', not a number");
    }

    @Test
    void hashFieldsUseTheTopicsDictionaryAndFeedItsTrainingWhileMembersNeverDo() {
        List<byte[]> samples = new java.util.ArrayList<>();
        for (int i = 0; i < 400; i++) {
            samples.add(("{\"state\":\"online\",\"firmware\":\"4.2." + (i % 7) + "\",\"battery\":" + (i % 100)
                    + ",\"rssi\":-" + (40 + i % 50) + ",\"site\":\"plant-" + (i % 3) + "\"}").getBytes(StandardCharsets.UTF_8));
        }
        ZstdDictionary dictionary = DictionaryTrainer.train(samples, 2048);
        List<String> sampled = new java.util.ArrayList<>();
        ValueDictionaries dictionaries = new ValueDictionaries() {
            @Override
            public ZstdDictionary forTopic(String topic) {
                return dictionary;
            }

            @Override
            public void encoded(String topic, byte[] original, int storedLength, ZstdDictionary used) {
                assertThat(used).isSameAs(dictionary);
                sampled.add(topic + ":" + text(original));
            }
        };
        ValueEncoder zstd = ValueEncoder.builder().codec(Codec.ZSTD).minSizeToCompress(16).build();
        ValueDecoder decoder = ValueDecoder.builder().dictionaries(DictionaryResolver.of(dictionary)).build();
        String status = text(samples.get(3));

        RecordMapper hashes = new RecordMapper(KeyTemplate.parse("h:${key}"), NullValueBehavior.DELETE, 1 << 20, 0, zstd,
                dictionaries, StructureLayout.hash(HashFieldSelection.ALL, 0));
        RedisWrite.KeyCommand hset = (RedisWrite.KeyCommand) hashes.map(record(Map.of("status", status), null, 1)).orElseThrow();
        assertThat(ValueDecoder.header(hset.arguments().get(1)).usesDictionary()).isTrue();
        assertThat(new String(decoder.decodeValue(hset.arguments().get(1)), StandardCharsets.UTF_8)).isEqualTo(status);
        assertThat(sampled).containsExactly("t:" + status);

        RecordMapper sets = new RecordMapper(KeyTemplate.parse("s:${key}"), NullValueBehavior.DELETE, 1 << 20, 0, zstd,
                dictionaries, StructureLayout.set("", 0));
        RedisWrite.KeyCommand sadd = (RedisWrite.KeyCommand) sets.map(record(status, null, 2)).orElseThrow();
        assertThat(ValueDecoder.header(sadd.arguments().get(0)).usesDictionary()).as("a member never names a dictionary").isFalse();
        assertThat(sampled).as("nor feeds one").hasSize(1);
    }

    @Test
    void aTombstoneRemovesOnlyAMemberItCanName() {
        assertThat(StructureLayout.tombstoneRemoves("${key}")).isTrue();
        assertThat(StructureLayout.tombstoneRemoves("${value.device}")).isFalse();
        assertThat(StructureLayout.tombstoneRemoves("")).isFalse();
    }

    private RecordMapper mapper(WriteLayout layout) {
        return new RecordMapper(KeyTemplate.parse("h:${key}"), NullValueBehavior.DELETE, 1 << 20, 0, encoder,
                ValueDictionaries.NONE, layout);
    }

    private static SinkRecord record(Object value, Schema schema, long offset) {
        return new SinkRecord("t", 0, Schema.STRING_SCHEMA, "k", schema, value, offset, 1_700_000_000_000L,
                org.apache.kafka.common.record.TimestampType.CREATE_TIME);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String decoded(byte[] encoded) {
        return new String(ValueDecoder.decode(encoded), StandardCharsets.UTF_8);
    }
}
