package io.redcompress.connect.mapping;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.sink.SinkRecord;

import io.redcompress.connect.config.StreamExtraField;
import io.redcompress.connect.layout.RedisSlot;

/**
 * Records appended to lists (RPUSH, LPUSH) or streams (XADD) at the key key.template renders; a tombstone deletes the
 * list or stream. With exactly once, each write names the high-water mark key of its key's slot:
 * {@code <mark prefix>{<slot tag>}} (docs/commands.md).
 */
public final class AppendLayout implements WriteLayout {

    private final RedisWrite.AppendCommand command;
    private final long maxLength;
    private final long maxAgeMillis;
    private final byte[] valueField;
    private final List<StreamExtraField> extraFields;
    /** {@code <redis.exactly.once.key.prefix><connector>:}, or null for at least once */
    private final String markPrefix;

    private AppendLayout(RedisWrite.AppendCommand command, long maxLength, long maxAgeMillis, String valueField,
                         List<StreamExtraField> extraFields, String markPrefix) {
        this.command = command;
        this.maxLength = maxLength;
        this.maxAgeMillis = maxAgeMillis;
        this.valueField = valueField.getBytes(StandardCharsets.UTF_8);
        this.extraFields = List.copyOf(extraFields);
        this.markPrefix = markPrefix;
    }

    /** RPUSH or LPUSH, LTRIM to {@code maxLength} newest when over 0. */
    public static AppendLayout list(RedisWrite.AppendCommand command, long maxLength, String markPrefix) {
        if (command != RedisWrite.AppendCommand.RPUSH && command != RedisWrite.AppendCommand.LPUSH) {
            throw new IllegalArgumentException("not a list command: " + command);
        }
        return new AppendLayout(command, maxLength, 0, "value", List.of(), markPrefix);
    }

    /**
     * XADD with the value in {@code valueField}, then the extra fields; MAXLEN ~ {@code maxLength} when over 0, or
     * MINID ~ (now - {@code maxAgeMillis}) when that is over 0.
     */
    public static AppendLayout stream(long maxLength, long maxAgeMillis, String valueField,
                                      List<StreamExtraField> extraFields, String markPrefix) {
        return new AppendLayout(RedisWrite.AppendCommand.XADD, maxLength, maxAgeMillis, valueField, extraFields,
                markPrefix);
    }

    /**
     * The prefix of the mark keys of one connector: braces in its name are replaced, so that the only hash tag of a
     * mark key is its slot's.
     */
    public static String markPrefix(String keyPrefix, String connector) {
        return keyPrefix.replace('{', '_').replace('}', '_') + connector.replace('{', '_').replace('}', '_') + ":";
    }

    @Override
    public RedisWrite set(RecordId id, byte[] logicalKey, byte[] encodedValue, int originalLength, long ttlMillis) {
        return set(null, id, logicalKey, encodedValue, originalLength, ttlMillis);
    }

    @Override
    public RedisWrite set(SinkRecord record, RecordId id, byte[] logicalKey, byte[] encodedValue, int originalLength,
                          long ttlMillis) {
        List<byte[]> payload;
        if (command == RedisWrite.AppendCommand.XADD) {
            payload = new ArrayList<>(2 + 2 * extraFields.size());
            payload.add(valueField);
            payload.add(encodedValue);
            for (StreamExtraField extra : extraFields) {
                byte[] value = extraValue(extra, record, id);
                if (value != null) {
                    payload.add(extra.name().getBytes(StandardCharsets.UTF_8));
                    payload.add(value);
                }
            }
        } else {
            payload = List.of(encodedValue);
        }
        return new RedisWrite.Append(id, logicalKey, command, encodedValue, originalLength, payload, maxLength, maxAgeMillis,
                ttlMillis, markKey(logicalKey), RedisWrite.Append.ANY_PREVIOUS);
    }

    @Override
    public RedisWrite delete(RecordId id, byte[] logicalKey) {
        return new RedisWrite.Append(id, logicalKey, RedisWrite.AppendCommand.DEL, null, 0, List.of(), 0, 0, 0,
                markKey(logicalKey), RedisWrite.Append.ANY_PREVIOUS);
    }

    private byte[] markKey(byte[] logicalKey) {
        if (markPrefix == null) {
            return null;
        }
        return (markPrefix + "{" + RedisSlot.tag(RedisSlot.of(logicalKey)) + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] extraValue(StreamExtraField extra, SinkRecord record, RecordId id) {
        String text = switch (extra.source()) {
            case KEY -> record == null || record.key() == null ? null : String.valueOf(record.key());
            case TIMESTAMP -> record == null || record.timestamp() == null ? null : Long.toString(record.timestamp());
            case TOPIC -> id.topicPartition().topic();
            case PARTITION -> Integer.toString(id.topicPartition().partition());
            case OFFSET -> Long.toString(id.offset());
            case HEADER -> header(record, extra.header());
        };
        return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(SinkRecord record, String name) {
        if (record == null) {
            return null;
        }
        Header header = record.headers().lastWithName(name);
        if (header == null || header.value() == null) {
            return null;
        }
        Object value = header.value();
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
    }
}
