package io.redcompress.connect.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.junit.jupiter.api.Test;

/** The JSON of a value is a function of the value alone: map order and the JDK's number printing do not show. */
class JsonWriterTest {

    private static String json(Object value) {
        return JsonWriter.toJsonString(value, null);
    }

    @Test
    void mapsAreWrittenWithSortedKeysWhateverTheirIterationOrder() {
        // "Aa" and "BB" have the same hashCode, so a HashMap iterates them in insertion order
        Map<String, Object> first = new HashMap<>();
        first.put("Aa", 1);
        first.put("BB", 2);
        Map<String, Object> second = new HashMap<>();
        second.put("BB", 2);
        second.put("Aa", 1);
        assertThat(json(first)).isEqualTo(json(second)).isEqualTo("{\"Aa\":1,\"BB\":2}");
    }

    @Test
    void nestedMapsAndMapsInListsAreSortedToo() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", 1);
        inner.put("a", 2);
        Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("list", List.of(inner));
        outer.put("map", inner);
        assertThat(json(outer)).isEqualTo("{\"list\":[{\"a\":2,\"z\":1}],\"map\":{\"a\":2,\"z\":1}}");
    }

    @Test
    void nonStringKeysAreSortedByTheirRenderedText() {
        Schema schema = SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build();
        Map<Integer, String> map = new LinkedHashMap<>();
        map.put(9, "nine");
        map.put(10, "ten");
        assertThat(JsonWriter.toJsonString(map, schema)).isEqualTo("{\"10\":\"ten\",\"9\":\"nine\"}");
    }

    @Test
    void doublesAreWrittenAsPlainShortestDecimals() {
        assertThat(json(1.0E10)).isEqualTo("10000000000.0");
        assertThat(json(-1.0E10)).isEqualTo("-10000000000.0");
        assertThat(json(1.0E-5)).isEqualTo("0.00001");
        assertThat(json(21.5)).isEqualTo("21.5");
        assertThat(json(3.0)).isEqualTo("3.0");
        assertThat(json(0.1 + 0.2)).isEqualTo("0.30000000000000004");
        // JDK 17 prints these with one digit too many (9.999999999999999E22, 5.6843418860808015E-14); JDK 19+ does not
        assertThat(json(1.0E23)).isEqualTo("100000000000000000000000.0");
        assertThat(json(Math.pow(2, -44))).isEqualTo("0.00000000000005684341886080802");
        assertThat(json(0.0)).isEqualTo("0.0");
        assertThat(json(-0.0)).isEqualTo("-0.0");
        assertThat(json(Double.NaN)).isEqualTo("\"NaN\"");
        assertThat(json(Double.NEGATIVE_INFINITY)).isEqualTo("\"-Infinity\"");
    }

    @Test
    void floatsAreWrittenAsTheShortestDecimalOfTheFloat() {
        assertThat(json(1.0E10f)).isEqualTo("10000000000.0");
        assertThat(json(0.1f)).isEqualTo("0.1");
        assertThat(json(1.0E-5f)).isEqualTo("0.00001");
        assertThat(json(Float.POSITIVE_INFINITY)).isEqualTo("\"Infinity\"");
    }

    @Test
    void everyDoubleReadsBackAsItself() {
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 5_000; i++) {
            double d = Double.longBitsToDouble(random.nextLong());
            if (Double.isFinite(d)) {
                String text = json(d);
                assertThat(Double.parseDouble(text)).as(text).isEqualTo(d);
                assertThat(text).doesNotContain("E");
            }
        }
    }
}
