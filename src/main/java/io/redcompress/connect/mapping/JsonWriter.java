package io.redcompress.connect.mapping;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
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
 * <p>
 * The output is canonical, because it also makes Redis keys (a write and its tombstone must meet on one key): a Map's
 * entries are written sorted by their rendered key (String order; equal keys by their rendered value), whatever the
 * Map's iteration order; Struct fields in schema order. Doubles and floats: see {@link #canonicalNumber(Number)}.
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
            out.append(canonicalNumber(n));
        } else {
            writeString(out, n.toString());
        }
    }

    /**
     * A finite double or float as the shortest decimal that reads back as the same double (float); of two such
     * decimals, the nearer. Written plain, never with an exponent, and with at least one digit after the point:
     * 1.0E10 is 10000000000.0, 1.0E-5 is 0.00001, 3 is 3.0; -0.0 stays -0.0. The same on every JDK (JDK 17's
     * Double.toString sometimes prints one digit too many, e.g. 9.999999999999999E22 for 1.0E23).
     */
    static String canonicalNumber(Number n) {
        boolean isFloat = n instanceof Float;
        double d = n.doubleValue();
        if (d == 0) {
            return Double.doubleToRawLongBits(d) < 0 ? "-0.0" : "0.0";
        }
        String printed = isFloat ? Float.toString(n.floatValue()) : Double.toString(d);
        BigDecimal digits = new BigDecimal(printed).stripTrailingZeros();
        // up to 15 significant digits (6 for a float) two decimals cannot read back as the same double (float), so the
        // printed digits are the shortest; longer ones may not be, and are searched for
        if (digits.precision() > (isFloat ? 6 : 15)) {
            digits = shortest(digits, d, isFloat);
        }
        String plain = digits.toPlainString();
        return plain.indexOf('.') < 0 ? plain + ".0" : plain;
    }

    /**
     * The least number of digits is searched around the printed digits (cheap: at most 17 of them); the digits of that
     * length nearest to the exact value are then chosen, so the result does not depend on how the JDK printed.
     */
    private static BigDecimal shortest(BigDecimal printed, double d, boolean isFloat) {
        // if some decimal of p digits reads back, one of p + 1 digits does too (the same number): search for the least p;
        // the ones that read back form an interval around the number, so one is next to the printed digits
        int low = 1;
        int high = printed.precision();
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (nearest(printed, d, isFloat, middle) != null) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        BigDecimal exact = isFloat ? new BigDecimal((double) (float) d) : new BigDecimal(d);
        BigDecimal found = nearest(exact, d, isFloat, low);
        return (found != null ? found : printed).stripTrailingZeros();
    }

    /** The decimal of {@code precision} digits just below or above {@code around} that reads back, the nearer one; or null. */
    private static BigDecimal nearest(BigDecimal around, double d, boolean isFloat, int precision) {
        BigDecimal down = around.round(new MathContext(precision, RoundingMode.FLOOR));
        BigDecimal up = around.round(new MathContext(precision, RoundingMode.CEILING));
        boolean downReadsBack = readsBack(down, d, isFloat);
        boolean upReadsBack = readsBack(up, d, isFloat);
        if (downReadsBack && upReadsBack) {
            return around.subtract(down).compareTo(up.subtract(around)) <= 0 ? down : up;
        }
        return downReadsBack ? down : upReadsBack ? up : null;
    }

    private static boolean readsBack(BigDecimal decimal, double d, boolean isFloat) {
        return isFloat ? decimal.floatValue() == (float) d : decimal.doubleValue() == d;
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
        List<String[]> entries = new ArrayList<>(map.size());
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            Object key = entry.getKey();
            entries.add(new String[] {key instanceof String s ? s : toJsonString(key, keySchema), toJsonString(entry.getValue(), valueSchema)});
        }
        entries.sort(Comparator.<String[], String>comparing(e -> e[0]).thenComparing(e -> e[1]));
        out.append('{');
        boolean first = true;
        for (String[] entry : entries) {
            if (!first) {
                out.append(',');
            }
            first = false;
            writeString(out, entry[0]);
            out.append(':').append(entry[1]);
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
