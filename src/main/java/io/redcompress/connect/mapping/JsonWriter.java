package io.redcompress.connect.mapping;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;

/**
 * Writes Connect data (Structs, Maps, Lists and primitives, with or without a schema) as compact JSON.
 * Our own small writer rather than Jackson, so the plugin ships no JSON library that could clash with the worker's.
 * Conventions follow JsonConverter where it has one: bytes as base64, Timestamp as epoch millis, Date as epoch days,
 * Time as millis of the day. Decimals are written as plain JSON numbers, and NaN/Infinity as strings, since JSON has
 * no literal for them.
 */
final class JsonWriter {

    private JsonWriter() {
    }

    static byte[] toJson(Object value, Schema schema) {
        StringBuilder out = new StringBuilder(128);
        write(out, value, schema);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String toJsonString(Object value, Schema schema) {
        StringBuilder out = new StringBuilder(64);
        write(out, value, schema);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, Schema schema) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Struct struct) {
            writeStruct(out, struct);
        } else if (value instanceof Map<?, ?> map) {
            writeMap(out, map, schema);
        } else if (value instanceof Collection<?> list) {
            Schema elementSchema = schema == null ? null : schema.valueSchema();
            out.append('[');
            boolean first = true;
            for (Object element : list) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                write(out, element, elementSchema);
            }
            out.append(']');
        } else if (value instanceof String s) {
            writeString(out, s);
        } else if (value instanceof Boolean b) {
            out.append(b.booleanValue());
        } else if (value instanceof BigDecimal decimal) {
            out.append(decimal.toPlainString());
        } else if (value instanceof Double d) {
            writeFloating(out, d, Double.isFinite(d));
        } else if (value instanceof Float f) {
            writeFloating(out, f, Float.isFinite(f));
        } else if (value instanceof Number n) {
            out.append(n);
        } else if (value instanceof byte[] bytes) {
            writeString(out, Base64.getEncoder().encodeToString(bytes));
        } else if (value instanceof ByteBuffer buffer) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            writeString(out, Base64.getEncoder().encodeToString(bytes));
        } else if (value instanceof java.util.Date date) {
            out.append(dateValue(date, schema));
        } else {
            throw new UnmappableValueException("unsupported value type " + value.getClass().getName()
                    + (schema == null ? "" : " for schema type " + schema.type()));
        }
    }

    private static long dateValue(java.util.Date date, Schema schema) {
        String logicalName = schema == null ? null : schema.name();
        if (Date.LOGICAL_NAME.equals(logicalName)) {
            return TimeUnit.MILLISECONDS.toDays(date.getTime());
        }
        if (Time.LOGICAL_NAME.equals(logicalName)) {
            return Math.floorMod(date.getTime(), TimeUnit.DAYS.toMillis(1));
        }
        return date.getTime(); // Timestamp, and schemaless dates
    }

    private static void writeFloating(StringBuilder out, Number n, boolean finite) {
        if (finite) {
            out.append(n);
        } else {
            writeString(out, n.toString());
        }
    }

    private static void writeStruct(StringBuilder out, Struct struct) {
        out.append('{');
        boolean first = true;
        for (Field field : struct.schema().fields()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            writeString(out, field.name());
            out.append(':');
            write(out, struct.get(field), field.schema());
        }
        out.append('}');
    }

    private static void writeMap(StringBuilder out, Map<?, ?> map, Schema schema) {
        Schema keySchema = schema == null ? null : schema.keySchema();
        Schema valueSchema = schema == null ? null : schema.valueSchema();
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            Object key = entry.getKey();
            writeString(out, key instanceof String s ? s : toJsonString(key, keySchema));
            out.append(':');
            write(out, entry.getValue(), valueSchema);
        }
        out.append('}');
    }

    private static void writeString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
