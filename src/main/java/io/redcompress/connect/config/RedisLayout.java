package io.redcompress.connect.config;

/** How records are laid out in Redis (redis.layout). */
public enum RedisLayout {
    /** One Redis key per logical key: {@code SET key value}. */
    KEYS,
    /**
     * Entries packed into small hashes that Redis keeps listpack-encoded: {@code HSET <bucket> <logical key> value},
     * the bucket chosen by CRC-32 of the logical key (docs/bucketed-layout.md).
     */
    BUCKETS;

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
