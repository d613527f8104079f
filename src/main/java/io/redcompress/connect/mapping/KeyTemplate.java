package io.redcompress.connect.mapping;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * A parsed key.template: literal text plus ${topic}, ${partition}, ${offset}, ${key}, ${key.a.b} and ${value.a.b}.
 * Parsed once at start; {@link #render} runs per record and fails with a reason that names what was missing.
 */
public final class KeyTemplate {

    private sealed interface Part permits Literal, Topic, Partition, Offset, RecordField {
    }

    private record Literal(byte[] bytes) implements Part {
    }

    private record Topic() implements Part {
    }

    private record Partition() implements Part {
    }

    private record Offset() implements Part {
    }

    /** ${key}, ${value.x}: the record key or value, or a (nested) field of it when path is not empty. */
    private record RecordField(boolean fromValue, List<String> path, String placeholder) implements Part {
    }

    /** As {@link #VALIDATOR}, for a template that may be left empty. */
    public static final ConfigDef.Validator OPTIONAL_VALIDATOR = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            if (value != null && !((String) value).isEmpty()) {
                VALIDATOR.ensureValid(name, value);
            }
        }

        @Override
        public String toString() {
            return "empty, or " + VALIDATOR;
        }
    };

    /** For the config: a template that does not parse is refused with the reason, at validate and at task start alike. */
    public static final ConfigDef.Validator VALIDATOR = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null) {
                throw new ConfigException(name, null, "a key template is required");
            }
            try {
                parse((String) value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "literal text with ${topic}, ${partition}, ${offset}, ${key}, ${key.<field>}, ${value}, ${value.<field>}";
        }
    };

    private final String template;
    private final List<Part> parts;
    /** {@link #recordPart}, made once: a method reference on {@code this} is a new object each time it is evaluated */
    private final BiFunction<Part, SinkRecord, byte[]> recordPart = this::recordPart;

    private KeyTemplate(String template, List<Part> parts) {
        this.template = template;
        this.parts = parts;
    }

    /** @throws IllegalArgumentException with a message fit for the config error on key.template */
    public static KeyTemplate parse(String template) {
        List<Part> parts = new ArrayList<>();
        int i = 0;
        while (i < template.length()) {
            int open = template.indexOf("${", i);
            if (open < 0) {
                parts.add(literal(template.substring(i)));
                break;
            }
            if (open > i) {
                parts.add(literal(template.substring(i, open)));
            }
            int close = template.indexOf('}', open + 2);
            if (close < 0) {
                throw new IllegalArgumentException("unclosed placeholder starting at position " + open + " in '" + template + "'");
            }
            parts.add(placeholder(template.substring(open + 2, close).trim(), template));
            i = close + 1;
        }
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("the key template is empty");
        }
        return new KeyTemplate(template, List.copyOf(parts));
    }

    private static Literal literal(String text) {
        return new Literal(text.getBytes(StandardCharsets.UTF_8));
    }

    private static Part placeholder(String name, String template) {
        switch (name) {
            case "topic":
                return new Topic();
            case "partition":
                return new Partition();
            case "offset":
                return new Offset();
            case "key":
                return new RecordField(false, List.of(), "${key}");
            case "value":
                return new RecordField(true, List.of(), "${value}");
            default:
                break;
        }
        for (String root : List.of("key", "value")) {
            if (name.startsWith(root + ".")) {
                List<String> path = List.of(name.substring(root.length() + 1).split("\\.", -1));
                if (path.stream().anyMatch(String::isEmpty)) {
                    throw new IllegalArgumentException("placeholder ${" + name + "} has an empty field name in '" + template + "'");
                }
                return new RecordField(root.equals("value"), path, "${" + name + "}");
            }
        }
        throw new IllegalArgumentException("unknown placeholder ${" + name + "} in '" + template
                + "'; use ${topic}, ${partition}, ${offset}, ${key}, ${key.<field>}, ${value} or ${value.<field>}");
    }

    /** True when a key needs the record value, which a tombstone does not have. */
    public boolean usesValue() {
        return parts.stream().anyMatch(p -> p instanceof RecordField f && f.fromValue());
    }

    /**
     * Where two variable parts meet with nothing between them that tells them apart, so that two different records
     * can get the same Redis key: in {@code ${key.a}:${key.b}}, a='x', b='y:z' and a='x:y', b='z' both give x:y:z.
     * Parts are joined as they are, never escaped (escaping would change every existing key). A join is safe when the
     * text between the parts has a character that one side can never contain: a topic name has only
     * {@code [a-zA-Z0-9._-]}, a partition or offset only digits; a key or value may hold anything.
     *
     * @return one message per ambiguous join, for a WARN at task start; empty when every join can be read back
     */
    public List<String> ambiguousJoins() {
        List<String> warnings = new ArrayList<>();
        Part previousVariable = null;
        StringBuilder between = new StringBuilder();
        for (Part part : parts) {
            if (part instanceof Literal literal) {
                between.append(new String(literal.bytes(), StandardCharsets.UTF_8));
                continue;
            }
            if (previousVariable != null && !separates(between, previousVariable) && !separates(between, part)) {
                warnings.add("key.template '" + template + "' joins " + placeholderOf(previousVariable) + " and " + placeholderOf(part)
                        + (between.length() == 0 ? " with nothing between them" : " with '" + between + "'")
                        + ", which the values themselves may contain, so two different records can get the same Redis key (and a "
                        + "tombstone can delete another record's key); use a separator that cannot occur in one of the two parts");
            }
            previousVariable = part;
            between.setLength(0);
        }
        return List.copyOf(warnings);
    }

    /** True when {@code between} has a character {@code part}'s text can never contain. */
    private static boolean separates(CharSequence between, Part part) {
        java.util.function.IntPredicate alphabet;
        if (part instanceof Topic) {
            alphabet = c -> c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-';
        } else if (part instanceof Partition || part instanceof Offset) {
            alphabet = c -> c >= '0' && c <= '9';
        } else {
            return false; // a record key or value (field) may contain anything
        }
        return between.chars().anyMatch(alphabet.negate());
    }

    private static String placeholderOf(Part part) {
        if (part instanceof Topic) {
            return "${topic}";
        }
        if (part instanceof Partition) {
            return "${partition}";
        }
        if (part instanceof Offset) {
            return "${offset}";
        }
        return ((RecordField) part).placeholder();
    }

    public byte[] render(SinkRecord record) {
        byte[] key = join(recordPart, record);
        if (key.length == 0) {
            throw new UnmappableValueException("key template '" + template + "' produced an empty key");
        }
        return key;
    }

    /** What a variable part renders to for a record. */
    private byte[] recordPart(Part part, SinkRecord record) {
        if (part instanceof Topic) {
            return topicBytes(record.topic());
        } else if (part instanceof Partition) {
            return utf8(String.valueOf(record.kafkaPartition()));
        } else if (part instanceof Offset) {
            return utf8(String.valueOf(record.kafkaOffset()));
        }
        return renderField(record, (RecordField) part);
    }

    /**
     * The literal parts as they are, each variable part as {@code variable} renders it from {@code source}; one
     * exact-size array. The source is passed, not captured, so a record's render builds no function object.
     */
    private <T> byte[] join(BiFunction<Part, T, byte[]> variable, T source) {
        byte[][] pieces = new byte[parts.size()][];
        for (int i = 0; i < pieces.length; i++) {
            Part part = parts.get(i);
            pieces[i] = part instanceof Literal literal ? literal.bytes() : variable.apply(part, source);
        }
        return concat(pieces);
    }

    private static byte[] concat(byte[][] pieces) {
        int length = 0;
        for (byte[] piece : pieces) {
            length += piece.length;
        }
        byte[] joined = new byte[length];
        int at = 0;
        for (byte[] piece : pieces) {
            System.arraycopy(piece, 0, joined, at, piece.length);
            at += piece.length;
        }
        return joined;
    }

    /** A topic's UTF-8 bytes, kept for the last topic seen: a batch's records mostly share one. Never written to. */
    private record TopicBytes(String topic, byte[] bytes) {
    }

    private volatile TopicBytes lastTopic = new TopicBytes("", new byte[0]);

    private byte[] topicBytes(String topic) {
        TopicBytes last = lastTopic;
        if (!last.topic().equals(topic)) {
            last = new TopicBytes(topic, utf8(topic));
            lastTopic = last;
        }
        return last.bytes();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] renderField(SinkRecord record, RecordField field) {
        String side = field.fromValue() ? "value" : "key";
        Object current = field.fromValue() ? record.value() : record.key();
        Schema schema = field.fromValue() ? record.valueSchema() : record.keySchema();
        if (current == null) {
            throw new UnmappableValueException("record " + side + " is null but key.template uses " + field.placeholder());
        }
        String walked = side;
        for (String name : field.path()) {
            if (current instanceof Struct struct) {
                Field f = struct.schema().field(name);
                if (f == null) {
                    throw new UnmappableValueException("field '" + name + "' of " + walked + " is missing (key.template uses "
                            + field.placeholder() + ")");
                }
                current = struct.get(f);
                schema = f.schema();
            } else if (current instanceof Map<?, ?> map) {
                if (!map.containsKey(name)) {
                    throw new UnmappableValueException("field '" + name + "' of " + walked + " is missing (key.template uses "
                            + field.placeholder() + ")");
                }
                current = map.get(name);
                schema = schema == null ? null : schema.valueSchema();
            } else {
                throw new UnmappableValueException(walked + " is a " + current.getClass().getSimpleName()
                        + ", not a Struct or Map, so " + field.placeholder() + " cannot be read from it");
            }
            walked = walked + "." + name;
            if (current == null) {
                throw new UnmappableValueException(walked + " is null (key.template uses " + field.placeholder() + ")");
            }
        }
        return scalarBytes(current, schema);
    }

    private static byte[] scalarBytes(Object value, Schema schema) {
        byte[] raw = RawBytes.of(value);
        if (raw != null) {
            return raw;
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.toPlainString().getBytes(StandardCharsets.UTF_8);
        }
        if ((value instanceof Double d && Double.isFinite(d)) || (value instanceof Float f && Float.isFinite(f))) {
            return JsonWriter.canonicalNumber((Number) value).getBytes(StandardCharsets.UTF_8);
        }
        if (value instanceof Number || value instanceof Boolean || value instanceof Character) {
            return value.toString().getBytes(StandardCharsets.UTF_8);
        }
        // Structs, Maps, Lists and dates: their JSON form, which is stable for a given schema
        return JsonWriter.toJson(value, schema);
    }

    /** The text every variable part of a sample key stands for: {@link #sampleKey}. */
    public static final String SAMPLE_VALUE = "sample";

    /**
     * The key this template renders for a record of {@code topic}, partition 0, offset 0, whose key and value fields
     * are all {@value #SAMPLE_VALUE}: what validation checks against the ACL user's key patterns.
     */
    public byte[] sampleKey(String topic) {
        return join((part, sampleTopic) -> part instanceof Topic ? utf8(sampleTopic)
                : part instanceof Partition || part instanceof Offset ? utf8("0") : utf8(SAMPLE_VALUE), topic);
    }

    /**
     * Every key this template can render, as a Redis glob: the literal text escaped, each variable part {@code *},
     * the topic literal when it is known (null: any topic).
     */
    public String glob(String topic) {
        StringBuilder glob = new StringBuilder();
        for (Part part : parts) {
            if (part instanceof Literal literal) {
                escapeGlob(glob, new String(literal.bytes(), StandardCharsets.UTF_8));
            } else if (part instanceof Topic && topic != null) {
                escapeGlob(glob, topic);
            } else {
                glob.append('*');
            }
        }
        return glob.toString();
    }

    private static void escapeGlob(StringBuilder glob, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                glob.append('\\');
            }
            glob.append(c);
        }
    }

    @Override
    public String toString() {
        return template;
    }
}
