package io.redcompress.connect.mapping;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;

import io.redcompress.connect.config.HashFieldSelection;

/**
 * Records written as parts of a Redis structure at the key key.template renders, every command idempotent: a
 * value's top-level fields as hash fields ({@link #hash}, HSET; tombstone DEL), or a member per record ({@link #set},
 * SADD; {@link #sortedSet}, ZADD), removed by a tombstone when its member can be made without a value. Field values
 * and whole-value members are in the value format; template members are plain text.
 */
public final class StructureLayout implements WriteLayout {

    private enum Kind { HASH, SET, SORTED_SET }

    private static final String TIMESTAMP = "timestamp";

    private final Kind kind;
    private final HashFieldSelection fields;
    /** null: the whole value, encoded */
    private final KeyTemplate member;
    /** null: the record timestamp */
    private final KeyTemplate score;
    private final long ttlMillis;

    private StructureLayout(Kind kind, HashFieldSelection fields, KeyTemplate member, KeyTemplate score, long ttlMillis) {
        this.kind = kind;
        this.fields = fields;
        this.member = member;
        this.score = score;
        this.ttlMillis = ttlMillis;
    }

    public static StructureLayout hash(HashFieldSelection fields, long ttlMillis) {
        return new StructureLayout(Kind.HASH, fields, null, null, ttlMillis);
    }

    /** @param memberTemplate empty: the whole value is the member */
    public static StructureLayout set(String memberTemplate, long ttlMillis) {
        return new StructureLayout(Kind.SET, null, template(memberTemplate), null, ttlMillis);
    }

    /** @param scoreSource {@value #TIMESTAMP} or a template rendering a number */
    public static StructureLayout sortedSet(String memberTemplate, String scoreSource, long ttlMillis) {
        return new StructureLayout(Kind.SORTED_SET, null, template(memberTemplate),
                TIMESTAMP.equals(scoreSource.trim()) ? null : KeyTemplate.parse(scoreSource), ttlMillis);
    }

    private static KeyTemplate template(String text) {
        return text == null || text.isEmpty() ? null : KeyTemplate.parse(text);
    }

    /** True when a tombstone can name its member: a template that reads the key, topic, partition or offset only. */
    public static boolean tombstoneRemoves(String memberTemplate) {
        KeyTemplate template = template(memberTemplate);
        return template != null && !template.usesValue();
    }

    @Override
    public RedisWrite fromRecord(SinkRecord record, RecordId id, byte[] key, PartEncoder encoder) {
        return kind == Kind.HASH ? hashFields(record, id, key, encoder) : addMember(record, id, key, encoder);
    }

    private RedisWrite hashFields(SinkRecord record, RecordId id, byte[] key, PartEncoder encoder) {
        List<byte[]> arguments = new ArrayList<>();
        int original = 0;
        long encoded = 0;
        Object value = record.value();
        if (value instanceof Struct struct) {
            for (Field field : struct.schema().fields()) {
                Object fieldValue = struct.get(field);
                String hashField = fields.hashField(field.name());
                if (hashField != null && fieldValue != null) {
                    byte[] serialized = ValueSerializer.serialize(fieldValue, field.schema());
                    byte[] part = encoder.encodeField(serialized);
                    arguments.add(hashField.getBytes(StandardCharsets.UTF_8));
                    arguments.add(part);
                    original += serialized.length;
                    encoded += part.length;
                }
            }
        } else if (value instanceof Map<?, ?> map) {
            Schema valueSchema = record.valueSchema() == null ? null : record.valueSchema().valueSchema();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                String hashField = entry.getKey() == null ? null : fields.hashField(String.valueOf(entry.getKey()));
                if (hashField != null && entry.getValue() != null) {
                    byte[] serialized = ValueSerializer.serialize(entry.getValue(), valueSchema);
                    byte[] part = encoder.encodeField(serialized);
                    arguments.add(hashField.getBytes(StandardCharsets.UTF_8));
                    arguments.add(part);
                    original += serialized.length;
                    encoded += part.length;
                }
            }
        } else {
            throw new UndecodableRecordException(id, "value is a " + value.getClass().getSimpleName() + ", not a Struct or "
                    + "Map: redis.command=hset writes a value's top-level fields");
        }
        if (arguments.isEmpty()) {
            throw new UndecodableRecordException(id, "value has none of the fields to write (redis.hash.fields"
                    + (fields.all() ? "" : "=" + fields.hashFieldBySource().keySet()) + "), or only null ones");
        }
        return new RedisWrite.KeyCommand(id, key, RedisWrite.KeyCommandName.HSET, List.copyOf(arguments), original, encoded,
                ttlMillis);
    }

    private RedisWrite addMember(SinkRecord record, RecordId id, byte[] key, PartEncoder encoder) {
        byte[] memberBytes;
        int original;
        if (member == null) {
            byte[] serialized = ValueSerializer.serialize(record.value(), record.valueSchema());
            memberBytes = encoder.encodeMember(serialized);
            original = serialized.length;
        } else {
            memberBytes = render(member, record, id, "redis.member.template");
            original = memberBytes.length;
        }
        if (kind == Kind.SET) {
            return new RedisWrite.KeyCommand(id, key, RedisWrite.KeyCommandName.SADD, List.of(memberBytes), original,
                    memberBytes.length, ttlMillis);
        }
        return new RedisWrite.KeyCommand(id, key, RedisWrite.KeyCommandName.ZADD, List.of(score(record, id), memberBytes),
                original, memberBytes.length, ttlMillis);
    }

    private byte[] score(SinkRecord record, RecordId id) {
        if (score == null) {
            if (record.timestamp() == null) {
                throw new UndecodableRecordException(id, "has no timestamp, which redis.zset.score=timestamp takes as the score");
            }
            return Long.toString(record.timestamp()).getBytes(StandardCharsets.US_ASCII);
        }
        String text = new String(render(score, record, id, "redis.zset.score"), StandardCharsets.UTF_8);
        try {
            double number = Double.parseDouble(text.trim());
            if (Double.isNaN(number)) {
                throw new NumberFormatException("NaN");
            }
            return text.trim().getBytes(StandardCharsets.US_ASCII);
        } catch (NumberFormatException e) {
            throw new UndecodableRecordException(id, "redis.zset.score renders '" + text + "', not a number");
        }
    }

    private static byte[] render(KeyTemplate template, SinkRecord record, RecordId id, String configKey) {
        try {
            return template.render(record);
        } catch (UnmappableValueException e) {
            throw new UndecodableRecordException(id, e.getMessage() + " (" + configKey + ")");
        }
    }

    @Override
    public RedisWrite delete(SinkRecord record, RecordId id, byte[] key) {
        if (kind == Kind.HASH) {
            return new RedisWrite.DeleteKey(id, key);
        }
        if (member == null || member.usesValue()) {
            // the connector refuses behavior.on.null.values=delete for such a template (ConfigurationCheck)
            throw new UndecodableRecordException(id, "is a tombstone, and its member cannot be made without a value");
        }
        byte[] memberBytes = render(member, record, id, "redis.member.template");
        return new RedisWrite.KeyCommand(id, key, kind == Kind.SET ? RedisWrite.KeyCommandName.SREM
                : RedisWrite.KeyCommandName.ZREM, List.of(memberBytes), 0, 0, 0);
    }

    @Override
    public RedisWrite set(RecordId id, byte[] logicalKey, byte[] encodedValue, int originalLength, long ttl) {
        throw new UnsupportedOperationException("a structure is written from the record itself: fromRecord");
    }

    @Override
    public RedisWrite delete(RecordId id, byte[] logicalKey) {
        throw new UnsupportedOperationException("a structure's tombstone needs the record: delete(record, id, key)");
    }
}
