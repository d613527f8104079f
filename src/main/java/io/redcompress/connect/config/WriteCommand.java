package io.redcompress.connect.config;

/** The Redis command each record becomes (redis.command). */
public enum WriteCommand {
    /** {@code SET key value} (or the bucketed layout's HSET); tombstone DEL. Idempotent. */
    SET,
    /** {@code RPUSH key value}: appended at the tail of a list. */
    RPUSH,
    /** {@code LPUSH key value}: pushed at the head of a list. */
    LPUSH,
    /** {@code XADD key * <value field> value [extra fields]}: one stream entry per record. */
    XADD,
    /** {@code HSET key field value ...}: a Struct or Map value's top-level fields; tombstone DEL. Idempotent. */
    HSET,
    /** {@code SADD key member}; tombstone SREM where the member comes from the record key. Idempotent. */
    SADD,
    /** {@code ZADD key score member}; tombstone ZREM where the member comes from the record key. Idempotent. */
    ZADD;

    /** A write that a redelivery would apply twice: it appends. */
    public boolean appends() {
        return this == RPUSH || this == LPUSH || this == XADD;
    }

    /** SADD or ZADD: a member per record. */
    public boolean addsMembers() {
        return this == SADD || this == ZADD;
    }

    public boolean isList() {
        return this == RPUSH || this == LPUSH;
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
