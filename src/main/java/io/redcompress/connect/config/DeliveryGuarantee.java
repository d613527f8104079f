package io.redcompress.connect.config;

/** What redis.delivery.guarantee promises for writes that append (RPUSH, LPUSH, XADD). */
public enum DeliveryGuarantee {
    /**
     * Each record's effect applied once however often Connect delivers it: the write and a per-partition high-water
     * mark go in one script (docs/commands.md).
     */
    EXACTLY_ONCE,
    /** Plain commands: a redelivered record (after a crash, a retry, a rebalance) is appended again. */
    AT_LEAST_ONCE;

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
