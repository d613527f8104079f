package io.redcompress.connect.mapping;

import static io.redcompress.connect.TestRecords.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.EncodingSession;
import io.redcompress.connect.codec.TestPayloads;
import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.config.NullValueBehavior;

class RecordMapperTest {

    private static final ValueEncoder LZ4 = ValueEncoder.builder().codec(Codec.LZ4).minSizeToCompress(0).build();

    private static RecordMapper mapper(NullValueBehavior nulls) {
        return new RecordMapper(KeyTemplate.parse("${topic}:${key}"), nulls, 1024, 0, LZ4);
    }

    private static RedisWrite.SetValue set(SinkRecord record) {
        return (RedisWrite.SetValue) mapper(NullValueBehavior.DELETE).map(record).orElseThrow();
    }

    /** What Redis would hold, decoded: the serialised value before compression. */
    private static String stored(SinkRecord record) {
        return new String(ValueDecoder.decode(set(record).encodedValue()), StandardCharsets.UTF_8);
    }

    @Test
    void bytesAreStoredAsTheyAre() {
        byte[] raw = new byte[300];
        Arrays.fill(raw, (byte) 7);
        raw[0] = (byte) 0xF5; // even bytes that look like our own header come back unchanged
        assertThat(ValueDecoder.decode(set(record().value(Schema.BYTES_SCHEMA, raw).build()).encodedValue())).containsExactly(raw);
        assertThat(ValueDecoder.decode(set(record().value(ByteBuffer.wrap(raw)).build()).encodedValue())).containsExactly(raw);
    }

    @Test
    void stringsAreUtf8() {
        assertThat(stored(record().value("héllo wörld €").build())).isEqualTo("héllo wörld €");
    }

    @Test
    void structsBecomeJsonBeforeTheyAreCompressed() {
        Schema schema = SchemaBuilder.struct()
                .field("deviceId", Schema.STRING_SCHEMA)
                .field("temp", Schema.FLOAT64_SCHEMA)
                .field("ok", Schema.BOOLEAN_SCHEMA)
                .field("count", Schema.OPTIONAL_INT64_SCHEMA)
                .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
                .field("attrs", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build())
                .field("raw", Schema.BYTES_SCHEMA)
                .field("price", Decimal.schema(2))
                .field("at", Timestamp.SCHEMA)
                .build();
        Struct value = new Struct(schema)
                .put("deviceId", "d\"1\n")
                .put("temp", 21.5)
                .put("ok", true)
                .put("count", null)
                .put("tags", List.of("a", "b"))
                .put("attrs", Map.of("x", 1))
                .put("raw", new byte[] {1, 2, 3})
                .put("price", new BigDecimal("9.99"))
                .put("at", new java.util.Date(1_700_000_000_000L));
        assertThat(stored(record().value(schema, value).build())).isEqualTo(
                "{\"deviceId\":\"d\\\"1\\n\",\"temp\":21.5,\"ok\":true,\"count\":null,\"tags\":[\"a\",\"b\"],"
                        + "\"attrs\":{\"x\":1},\"raw\":\"AQID\",\"price\":9.99,\"at\":1700000000000}");
    }

    @Test
    void schemalessMapsListsAndNumbersBecomeJson() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("level", "INFO");
        map.put("n", 3L);
        map.put("nested", List.of(1.5, Double.NaN));
        assertThat(stored(record().value(map).build())).isEqualTo("{\"level\":\"INFO\",\"n\":3,\"nested\":[1.5,\"NaN\"]}");
        assertThat(stored(record().value(List.of("a", 1L)).build())).isEqualTo("[\"a\",1]");
        assertThat(stored(record().value(42).build())).isEqualTo("42");
    }

    @Test
    void unsupportedTypesAreUndecodableRecordsNamingTheRecord() {
        SinkRecord r = record().topic("t").partition(2).offset(9).value(new Object()).build();
        assertThatThrownBy(() -> mapper(NullValueBehavior.DELETE).map(r))
                .isInstanceOf(UndecodableRecordException.class)
                .hasMessageContaining("topic=t partition=2 offset=9")
                .hasMessageContaining("unsupported value type java.lang.Object");
    }

    @Test
    void valuesOverTheLimitAreUndecodable() {
        SinkRecord r = record().value(new byte[1025]).build();
        assertThatThrownBy(() -> mapper(NullValueBehavior.DELETE).map(r))
                .isInstanceOf(UndecodableRecordException.class)
                .hasMessageContaining("1025 bytes, over max.value.bytes=1024");
    }

    @Test
    void aRecordWaitingForItsDictionaryOffersTheBytesMapWouldCompressAndNothingForWhatMapRefuses() {
        RecordMapper mapper = mapper(NullValueBehavior.DELETE);
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("b", 2);
        value.put("a", 1);
        assertThat(new String(mapper.serializedValue(record().value(value).build()), StandardCharsets.UTF_8))
                .isEqualTo(stored(record().value(value).build()));
        assertThat(mapper.serializedValue(record().tombstone().build())).isNull();
        assertThat(mapper.serializedValue(record().value(new byte[1025]).build())).isNull();
        assertThat(mapper.serializedValue(record().value(new Object()).build())).isNull();
    }

    @Test
    void aValueOfExactlyTheLimitIsWritten() {
        SinkRecord r = record().value(new byte[1024]).build();
        assertThat(mapper(NullValueBehavior.DELETE).map(r)).get().isInstanceOfSatisfying(RedisWrite.SetValue.class,
                set -> assertThat(set.originalLength()).isEqualTo(1024));
    }

    @Test
    void unusableKeysAreUndecodable() {
        assertThatThrownBy(() -> mapper(NullValueBehavior.DELETE).map(record().key(null).build()))
                .isInstanceOf(UndecodableRecordException.class)
                .hasMessageContaining("record key is null");
    }

    @Test
    void tombstonesFollowTheConfiguredBehaviour() {
        SinkRecord tombstone = record().key("gone").tombstone().build();
        assertThat(mapper(NullValueBehavior.DELETE).map(tombstone)).get().isInstanceOfSatisfying(RedisWrite.DeleteKey.class,
                del -> assertThat(new String(del.key(), StandardCharsets.UTF_8)).isEqualTo("devices:gone"));
        assertThat(mapper(NullValueBehavior.IGNORE).map(tombstone)).isEmpty();
        assertThatThrownBy(() -> mapper(NullValueBehavior.FAIL).map(tombstone))
                .isInstanceOf(ConnectException.class)
                .isNotInstanceOf(UndecodableRecordException.class)
                .hasMessageContaining("behavior.on.null.values=fail");
    }

    @Test
    void ttlAndOriginalCoordinatesTravelWithTheWrite() {
        RecordMapper withTtl = new RecordMapper(KeyTemplate.parse("${key}"), NullValueBehavior.DELETE, 1024, 5000, LZ4);
        SinkRecord original = record().topic("raw").partition(1).offset(77).build();
        SinkRecord renamed = original.newRecord("renamed", 1, original.keySchema(), original.key(), original.valueSchema(),
                original.value(), original.timestamp());
        RedisWrite.SetValue write = (RedisWrite.SetValue) withTtl.map(renamed).orElseThrow();
        assertThat(write.ttlMillis()).isEqualTo(5000);
        assertThat(write.recordId()).isEqualTo(new RecordId("raw", 1, 77));
    }

    @Test
    void byteArrayValuesReachTheEncoderWithoutACopy() {
        byte[] raw = {1, 2, 3};
        assertThat(ValueSerializer.serialize(raw, Schema.BYTES_SCHEMA)).isSameAs(raw);
        assertThat(ValueSerializer.serialize(raw, null)).isSameAs(raw);
    }

    @Test
    void oneEncodingSessionServesEveryRecordAndCountsWhatCompressionDid() {
        RecordMapper mapper = new RecordMapper(KeyTemplate.parse("${key}"), NullValueBehavior.DELETE, 1024, 0,
                ValueEncoder.builder().codec(Codec.LZ4).build());
        String heartbeat = new String(TestPayloads.heartbeat190(), StandardCharsets.UTF_8);
        for (int i = 0; i < 100; i++) {
            RedisWrite.SetValue write = (RedisWrite.SetValue) mapper.map(record().value(heartbeat).build()).orElseThrow();
            assertThat(ValueDecoder.decode(write.encodedValue())).isEqualTo(TestPayloads.heartbeat190());
        }
        mapper.map(record().tombstone().build());
        mapper.map(record().value("short").build());
        // lz4 never shrinks the heartbeat: 64 attempts, then one probe in 32
        assertThat(mapper.encodingStats()).isEqualTo(new EncodingSession.Stats(101, 65, 0, 35));
        mapper.close();
    }

    @Test
    void closeEndsTheEncodingSession() {
        RecordMapper mapper = mapper(NullValueBehavior.DELETE);
        mapper.map(record().build());
        mapper.close();
        mapper.close();
        assertThatThrownBy(() -> mapper.map(record().build())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("EncodingSession is closed");
        assertThat(mapper.map(record().tombstone().build())).as("a tombstone encodes nothing").isPresent();
    }
}
