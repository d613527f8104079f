package io.redcompress.connect.mapping;

/**
 * One record's change to Redis. A write that carries a value only ever carries one that has already been serialised
 * and then encoded in the value format, so nothing downstream can write raw bytes by mistake.
 */
public sealed interface RedisWrite permits RedisWrite.SetValue, RedisWrite.DeleteKey, RedisWrite.SetField,
        RedisWrite.DeleteField, RedisWrite.Append, RedisWrite.KeyCommand {

    RecordId recordId();

    /** The Redis key the write changes: the record's own key, or (in the bucketed layout) its bucket's. */
    byte[] key();

    /** The encoded value written, or null for a delete. */
    default byte[] encodedValue() {
        return null;
    }

    /** The serialised value's length before encoding; 0 for a delete. */
    default int originalLength() {
        return 0;
    }

    /** The bytes of encoded values the write carries; 0 for a delete. */
    default long encodedLength() {
        byte[] encoded = encodedValue();
        return encoded == null ? 0 : encoded.length;
    }

    /** True when the write removes something (DEL, HDEL, SREM, ZREM) rather than writing a value. */
    default boolean removes() {
        return encodedValue() == null;
    }

    /** {@code SET key value [PX ttlMillis]}; ttlMillis 0 means no expiry. */
    record SetValue(RecordId recordId, byte[] key, byte[] encodedValue, int originalLength, long ttlMillis)
            implements RedisWrite {
    }

    /** {@code DEL key}, from a tombstone. */
    record DeleteKey(RecordId recordId, byte[] key) implements RedisWrite {
    }

    /**
     * {@code HSET bucket field value}, then, when ttlMillis is over 0, {@code HPEXPIRE bucket ttlMillis FIELDS 1 field}
     * on the same connection; the write succeeds only when both do.
     */
    record SetField(RecordId recordId, byte[] key, byte[] field, byte[] encodedValue, int originalLength, long ttlMillis)
            implements RedisWrite {
    }

    /**
     * {@code HDEL bucket field}, from a tombstone. While the keyspace is re-bucketed, {@code previousKey} is the bucket
     * the field had under the previous count, deleted from first (see docs/bucketed-layout.md); else null.
     */
    record DeleteField(RecordId recordId, byte[] key, byte[] field, byte[] previousKey) implements RedisWrite {
    }

    /**
     * A write that appends (RPUSH, LPUSH, XADD) or, for a tombstone ({@code command} DEL), deletes the list or stream;
     * sent as one script (docs/commands.md). {@code payload}: the encoded value for a list, the entry's field names
     * and values for a stream, nothing for DEL. {@code maxLength}: LTRIM / MAXLEN ~ after the append (0: none);
     * {@code maxAgeMillis}: a stream's MINID ~ (now - age) instead (0: none).
     * With {@code markKey} (exactly once), the script applies the write only when {@code recordId}'s offset is above
     * its partition's high-water mark in that key, and only when the mark has reached {@code previousOffset} (the
     * partition's previous write to the same slot; {@value #ANY_PREVIOUS}: not known), then raises the mark.
     */
    record Append(RecordId recordId, byte[] key, AppendCommand command, byte[] encodedValue, int originalLength,
                  java.util.List<byte[]> payload, long maxLength, long maxAgeMillis, long ttlMillis, byte[] markKey,
                  long previousOffset)
            implements RedisWrite {

        public static final long ANY_PREVIOUS = -1;

        public boolean exactlyOnce() {
            return markKey != null;
        }

        public Append withPreviousOffset(long previous) {
            return new Append(recordId, key, command, encodedValue, originalLength, payload, maxLength, maxAgeMillis,
                    ttlMillis, markKey, previous);
        }
    }

    /** What an {@link Append} does. */
    enum AppendCommand {
        RPUSH, LPUSH, XADD, DEL
    }

    /**
     * An idempotent command on one key: {@code HSET key field value ...}, {@code SADD key member},
     * {@code ZADD key score member}, {@code SREM key member}, {@code ZREM key member}; with ttlMillis over 0, the key's
     * {@code PEXPIRE} in the same step. {@code arguments}: what follows the key.
     */
    record KeyCommand(RecordId recordId, byte[] key, KeyCommandName command, java.util.List<byte[]> arguments,
                      int originalLength, long encodedLength, long ttlMillis) implements RedisWrite {

        @Override
        public boolean removes() {
            return command == KeyCommandName.SREM || command == KeyCommandName.ZREM;
        }
    }

    /** What a {@link KeyCommand} runs. */
    enum KeyCommandName {
        HSET, SADD, ZADD, SREM, ZREM
    }
}
