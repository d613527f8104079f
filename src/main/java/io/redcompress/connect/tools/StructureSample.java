package io.redcompress.connect.tools;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import io.redcompress.connect.codec.ValueDecoder;
import io.redcompress.connect.redis.RedisKeyspace;

/**
 * The first elements of a list, hash, set, sorted set or stream the connector wrote (redis.command rpush/lpush, hset,
 * sadd, zadd, xadd), each stored value reported on its own, so that one that does not decode leaves the others
 * readable. Never reads more than the limit: LRANGE, HSCAN, SSCAN, ZRANGE and XRANGE COUNT, and the structure's length
 * (LLEN, HLEN, SCARD, ZCARD, XLEN) for what is left.
 *
 * @param type     the Redis type, one of {@link #TYPES}
 * @param length   how many elements the structure holds
 * @param elements the elements read, at most the limit
 */
public record StructureSample(String type, long length, List<Element> elements) {

    /** The types read, as TYPE names them. */
    public static final List<String> TYPES = List.of("list", "hash", "set", "zset", "stream");

    /** How many characters of a hash field's name or a stream field's name are shown. */
    static final int LABEL_CHARS = 80;

    /** What a stored part is meant to hold, which says whether a part not in the value format is a finding. */
    public enum Role {
        /** In the value format by design: a list element, a hash field's value, a stream entry's value field. */
        VALUE,
        /** A set or sorted-set member: the whole value in the value format, or plain text from redis.member.template. */
        MEMBER,
        /** Plain text by design: a stream entry's other fields (key, timestamp, headers ...). */
        TEXT
    }

    /** What a part turned out to be. */
    public enum Kind {
        /** In the value format, and decoded. */
        DECODED,
        /** Plain text by design: a {@link Role#TEXT} field, or a member not in the value format. */
        TEXT,
        /** Not in the value format where it should be: a finding. */
        FOREIGN,
        /** In the value format, but it does not decode (damaged, unknown dictionary ...): a finding. */
        UNDECODABLE,
        /** A stream entry without the value field: a finding. */
        MISSING;

        public boolean finding() {
            return this == FOREIGN || this == UNDECODABLE || this == MISSING;
        }
    }

    /**
     * One stored part of an element.
     *
     * @param name   the stream field's name, or null for the element's only part
     * @param role   what it is meant to hold
     * @param stored the stored bytes, or null when a stream entry has no value field
     * @param report the value report, or null for {@link Role#TEXT} and a missing value field
     */
    public record Part(String name, Role role, byte[] stored, ValueReport report) {

        public Kind kind() {
            if (stored == null) {
                return Kind.MISSING;
            }
            if (role == Role.TEXT) {
                return Kind.TEXT;
            }
            return switch (report.outcome()) {
                case DECODED -> Kind.DECODED;
                case UNDECODABLE -> Kind.UNDECODABLE;
                case FOREIGN -> role == Role.MEMBER ? Kind.TEXT : Kind.FOREIGN;
            };
        }
    }

    /**
     * One element: a list index ({@code [0]}), a hash field, a set member, a sorted-set member's score
     * ({@code score 21.5}) or a stream entry id, with its parts (one, or a stream entry's fields).
     */
    public record Element(String label, List<Part> parts) {
    }

    /** Whether {@code type} (as TYPE says it) is one this reads. */
    public static boolean readable(String type) {
        return TYPES.contains(type);
    }

    /**
     * Reads up to {@code limit} elements of the structure at {@code key}, whose TYPE is {@code type}, decoding with
     * {@code decoder}; in a stream, {@code streamValueField} (redis.stream.value.field) holds the value.
     *
     * @throws IllegalArgumentException for a type not in {@link #TYPES}, or a limit below 1
     */
    public static StructureSample read(RedisKeyspace keyspace, byte[] key, String type, int limit, String streamValueField,
                                       ValueDecoder decoder) {
        if (!readable(type)) {
            throw new IllegalArgumentException("not a structure this reads: " + type);
        }
        if (limit < 1) {
            throw new IllegalArgumentException("limit below 1: " + limit);
        }
        List<Element> elements = new ArrayList<>();
        switch (type) {
            case "list" -> {
                int index = 0;
                for (byte[] element : keyspace.listElements(key, limit)) {
                    elements.add(single("[" + index++ + "]", Role.VALUE, element, decoder));
                }
            }
            case "hash" -> {
                for (Map.Entry<byte[], byte[]> field : keyspace.hashEntries(key, "*", limit)) {
                    elements.add(single(Preview.of(field.getKey(), LABEL_CHARS), Role.VALUE, field.getValue(), decoder));
                }
            }
            case "set" -> {
                for (byte[] member : keyspace.setMembers(key, limit)) {
                    elements.add(single("member", Role.MEMBER, member, decoder));
                }
            }
            case "zset" -> {
                for (Map.Entry<byte[], Double> member : keyspace.sortedSetMembers(key, limit)) {
                    elements.add(single("score " + score(member.getValue()), Role.MEMBER, member.getKey(), decoder));
                }
            }
            default -> {
                for (RedisKeyspace.StreamEntry entry : keyspace.streamEntries(key, limit)) {
                    elements.add(streamEntry(entry, streamValueField, decoder));
                }
            }
        }
        return new StructureSample(type, keyspace.length(key, type), List.copyOf(elements));
    }

    private static Element single(String label, Role role, byte[] stored, ValueDecoder decoder) {
        return new Element(label, List.of(new Part(null, role, stored, ValueReport.of(stored, decoder))));
    }

    private static Element streamEntry(RedisKeyspace.StreamEntry entry, String valueField, ValueDecoder decoder) {
        byte[] valueName = valueField.getBytes(StandardCharsets.UTF_8);
        List<Part> parts = new ArrayList<>();
        boolean found = false;
        for (Map.Entry<byte[], byte[]> field : entry.fields()) {
            String name = Preview.of(field.getKey(), LABEL_CHARS);
            if (!found && Arrays.equals(field.getKey(), valueName)) {
                found = true;
                parts.add(new Part(name, Role.VALUE, field.getValue(), ValueReport.of(field.getValue(), decoder)));
            } else {
                parts.add(new Part(name, Role.TEXT, field.getValue(), null));
            }
        }
        if (!found) {
            parts.add(0, new Part(valueField, Role.VALUE, null, null));
        }
        return new Element(entry.id(), List.copyOf(parts));
    }

    /** A score as Redis prints it: whole numbers without a fraction, {@code inf} and {@code -inf}. */
    static String score(double score) {
        if (Double.isInfinite(score)) {
            return score > 0 ? "inf" : "-inf";
        }
        return BigDecimal.valueOf(score).stripTrailingZeros().toPlainString();
    }

    /** How many elements are not read. */
    public long notRead() {
        return Math.max(0, length - elements.size());
    }

    /** How many parts read are of each kind (kinds with none left out), in the order of {@link Kind}. */
    public Map<Kind, Long> kinds() {
        Map<Kind, Long> kinds = new EnumMap<>(Kind.class);
        elements.forEach(element -> element.parts().forEach(part -> kinds.merge(part.kind(), 1L, Long::sum)));
        return kinds;
    }

    /** Whether any part read is a finding ({@link Kind#finding()}). */
    public boolean hasFindings() {
        return kinds().keySet().stream().anyMatch(Kind::finding);
    }
}
