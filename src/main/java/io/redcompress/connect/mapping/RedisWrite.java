package io.redcompress.connect.mapping;

/**
 * One command for Redis, made from one record. A {@link SetValue} only ever carries a value that has already been
 * serialised and then encoded in the value format, so nothing downstream can write raw bytes by mistake.
 */
public sealed interface RedisWrite permits RedisWrite.SetValue, RedisWrite.DeleteKey {

    RecordId recordId();

    byte[] key();

    /** {@code SET key value [PX ttlMillis]}; ttlMillis 0 means no expiry. */
    record SetValue(RecordId recordId, byte[] key, byte[] encodedValue, int originalLength, long ttlMillis)
            implements RedisWrite {
    }

    /** {@code DEL key}, from a tombstone. */
    record DeleteKey(RecordId recordId, byte[] key) implements RedisWrite {
    }
}
