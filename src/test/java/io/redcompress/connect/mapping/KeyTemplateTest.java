package io.redcompress.connect.mapping;

import static io.redcompress.connect.TestRecords.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

class KeyTemplateTest {

    private static String render(String template, SinkRecord record) {
        return new String(KeyTemplate.parse(template).render(record), StandardCharsets.UTF_8);
    }

    @Test
    void topicPartitionOffsetAndLiteralText() {
        SinkRecord r = record().topic("sensors").partition(3).offset(42).key("abc").build();
        assertThat(render("x:${topic}/${partition}/${offset}:${key}!", r)).isEqualTo("x:sensors/3/42:abc!");
    }

    @Test
    void theSampleKeyThatValidationChecksAgainstTheAclIsTheTemplateForARecordOfThatTopic() {
        KeyTemplate template = KeyTemplate.parse("x:${topic}/${partition}/${offset}:${key}:${value.device.serial}!");
        assertThat(new String(template.sampleKey("sensors"), StandardCharsets.UTF_8)).isEqualTo("x:sensors/0/0:sample:sample!");
    }

    @Test
    void keysOfEveryScalarType() {
        assertThat(render("${key}", record().key(17L).build())).isEqualTo("17");
        assertThat(render("${key}", record().key(2.5).build())).isEqualTo("2.5");
        assertThat(render("${key}", record().key(true).build())).isEqualTo("true");
        assertThat(render("${key}", record().key(new java.math.BigDecimal("1.50")).build())).isEqualTo("1.50");
        byte[] raw = {(byte) 0xde, (byte) 0xad, 0x01};
        assertThat(KeyTemplate.parse("k:${key}").render(record().key(raw).build()))
                .containsExactly('k', ':', 0xde - 256, 0xad - 256, 1);
        assertThat(KeyTemplate.parse("${key}").render(record().key(ByteBuffer.wrap(raw)).build())).containsExactly(raw);
    }

    @Test
    void fieldsOfStructAndMapKeysAndValues() {
        Schema keySchema = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
        Schema inner = SchemaBuilder.struct().field("serial", Schema.STRING_SCHEMA).build();
        Schema valueSchema = SchemaBuilder.struct().field("device", inner).field("temp", Schema.FLOAT64_SCHEMA).build();
        Struct value = new Struct(valueSchema).put("device", new Struct(inner).put("serial", "SN-9")).put("temp", 21.5);
        SinkRecord structs = record().key(keySchema, new Struct(keySchema).put("id", 7)).value(valueSchema, value).build();
        assertThat(render("dev:${key.id}:${value.device.serial}", structs)).isEqualTo("dev:7:SN-9");

        Map<String, Object> mapValue = new LinkedHashMap<>();
        mapValue.put("deviceId", "d-1");
        mapValue.put("nested", Map.of("zone", 5L));
        SinkRecord maps = record().key(Map.of("tenant", "acme")).value(mapValue).build();
        assertThat(render("${key.tenant}:${value.deviceId}:${value.nested.zone}", maps)).isEqualTo("acme:d-1:5");
    }

    @Test
    void wholeStructKeyIsItsJson() {
        Schema keySchema = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", Schema.STRING_SCHEMA).build();
        SinkRecord r = record().key(keySchema, new Struct(keySchema).put("a", 1).put("b", "x")).build();
        assertThat(render("${key}", r)).isEqualTo("{\"a\":1,\"b\":\"x\"}");
    }

    @Test
    void missingPiecesAreReportedWithTheirPlaceholder() {
        assertThatThrownBy(() -> render("${key}", record().key(null).build()))
                .hasMessageContaining("record key is null").hasMessageContaining("${key}");
        assertThatThrownBy(() -> render("${value.deviceId}", record().value(Map.of("other", 1)).build()))
                .hasMessageContaining("field 'deviceId' of value is missing");
        assertThatThrownBy(() -> render("${value.deviceId}", record().value("plain text").build()))
                .hasMessageContaining("value is a String, not a Struct or Map");
        Map<String, Object> withNull = new LinkedHashMap<>();
        withNull.put("id", null);
        assertThatThrownBy(() -> render("${key.id}", record().key(withNull).build()))
                .hasMessageContaining("key.id is null");
        assertThatThrownBy(() -> render("${key}", record().key("").build()))
                .hasMessageContaining("empty key");
    }

    @Test
    void badTemplatesAreRejectedAtParseTime() {
        assertThatThrownBy(() -> KeyTemplate.parse("a:${key")).hasMessageContaining("unclosed placeholder");
        assertThatThrownBy(() -> KeyTemplate.parse("${device}")).hasMessageContaining("unknown placeholder ${device}");
        assertThatThrownBy(() -> KeyTemplate.parse("${value..id}")).hasMessageContaining("empty field name");
    }

    @Test
    void knowsWhetherItNeedsTheValue() {
        assertThat(KeyTemplate.parse("${topic}:${key.id}").usesValue()).isFalse();
        assertThat(KeyTemplate.parse("${value.id}").usesValue()).isTrue();
    }

    @Test
    void sampleKeysAndGlobsDescribeTheKeysATemplateRenders() {
        KeyTemplate template = KeyTemplate.parse("dev*:${topic}:${key.id}/${partition}-${offset}");
        assertThat(new String(template.sampleKey("hb"), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("dev*:hb:sample/0-0");
        assertThat(template.glob("hb")).isEqualTo("dev\\*:hb:*/*-*");
        assertThat(template.glob(null)).isEqualTo("dev\\*:*:*/*-*");
    }

    @Test
    void aSchemalessMapKeyGivesTheSameRedisKeyWhateverItsOrder() {
        Map<String, Object> first = new java.util.HashMap<>();
        first.put("Aa", 1L);
        first.put("BB", 2L);
        Map<String, Object> second = new java.util.HashMap<>();
        second.put("BB", 2L);
        second.put("Aa", 1L);
        // the write and its tombstone must meet on one key
        assertThat(render("${topic}:${key}", record().topic("t").key(first).value("v").build()))
                .isEqualTo(render("${topic}:${key}", record().topic("t").key(second).value(null).build()))
                .isEqualTo("t:{\"Aa\":1,\"BB\":2}");
    }

    @Test
    void doubleKeyPartsAreCanonicalPlainDecimals() {
        assertThat(render("${key}", record().key(1.0E10).build())).isEqualTo("10000000000.0");
        assertThat(render("${key.amount}", record().key(Map.of("amount", 1.0E-5)).build())).isEqualTo("0.00001");
        assertThat(render("${key}", record().key(1.0E10f).build())).isEqualTo("10000000000.0");
        assertThat(render("${key}", record().key(Double.NaN).build())).isEqualTo("NaN");
    }

    @Test
    void variablePartsThatCanRunIntoEachOtherAreReported() {
        // 'a' + 'b:c' and 'a:b' + 'c' both give a:b:c
        assertThat(KeyTemplate.parse("${key.a}:${key.b}").ambiguousJoins()).singleElement().asString()
                .contains("${key.a}").contains("${key.b}").contains("':'");
        assertThat(KeyTemplate.parse("${value.a}${value.b}").ambiguousJoins()).hasSize(1);
        assertThat(KeyTemplate.parse("${partition}${offset}").ambiguousJoins()).hasSize(1);
        // a topic name or a number cannot contain ':' or '/', so the join can be read back
        assertThat(KeyTemplate.parse("${topic}:${key}").ambiguousJoins()).isEmpty();
        assertThat(KeyTemplate.parse("${key}:${topic}").ambiguousJoins()).isEmpty();
        assertThat(KeyTemplate.parse("${partition}/${offset}").ambiguousJoins()).isEmpty();
        assertThat(KeyTemplate.parse("dev:${key.id}").ambiguousJoins()).isEmpty();
        // '.' can be in a topic name
        assertThat(KeyTemplate.parse("${topic}.${key}").ambiguousJoins()).hasSize(1);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            // the ends of a topic name's alphabet [a-zA-Z0-9._-] can be in the topic, so they do not separate it...
            "${topic}a${key} | 1", "${topic}z${key} | 1", "${topic}A${key} | 1", "${topic}Z${key} | 1",
            "${topic}0${key} | 1", "${topic}9${key} | 1", "${topic}_${key} | 1", "${topic}-${key} | 1",
            // ...and the characters just outside it do
            "${topic}`${key} | 0", "${topic}{${key} | 0", "${topic}@${key} | 0", "${topic}[${key} | 0",
            "${topic}/${key} | 0", "${topic}:${key} | 0",
            // a partition or an offset has only digits
            "${key}0${partition} | 1", "${key}9${offset} | 1", "${key}/${partition} | 0", "${key}:${offset} | 0",
            // the text between two parts is only what stands between them, not what came before
            "${key.a}:${topic}x${key.b} | 1"})
    void aJoinIsSafeExactlyWhenItsTextHasACharacterOneSideCannotContain(String template, int warnings) {
        assertThat(KeyTemplate.parse(template).ambiguousJoins()).hasSize(warnings);
    }

    @Test
    void aWarningNamesBothPlaceholders() {
        assertThat(KeyTemplate.parse("${topic}0${partition}").ambiguousJoins()).singleElement().asString()
                .contains("joins ${topic} and ${partition} with '0'");
        assertThat(KeyTemplate.parse("${offset}${key.id}").ambiguousJoins()).singleElement().asString()
                .contains("joins ${offset} and ${key.id} with nothing between them");
    }
}
