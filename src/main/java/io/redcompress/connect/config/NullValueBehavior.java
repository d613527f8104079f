package io.redcompress.connect.config;

/** What a tombstone (a record whose value is null) does to Redis. */
public enum NullValueBehavior {
    /** {@code DEL key}: the usual meaning of a tombstone in a compacted topic. */
    DELETE,
    /** Skip the record; its offset is still committed. */
    IGNORE,
    /** Fail the task, naming the record. */
    FAIL;

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
