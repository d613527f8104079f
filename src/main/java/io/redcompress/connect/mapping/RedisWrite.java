package io.redcompress.connect.mapping;

/**
 * One record's change to Redis. A write that carries a value only ever carries one that has already been serialised
 * and then encoded in the value format, so nothing downstream can write raw bytes by mistake.
 */
public sealed interface RedisWrite permits RedisWrite.SetValue, RedisWrite.DeleteKey, RedisWrite.SetField,
        RedisWrite.DeleteField {

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
}
