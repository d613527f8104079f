package io.redcompress.connect.config;

/** What a write that Redis permanently refuses (WRONGTYPE, NOPERM, a value over proto-max-bulk-len) does. */
public enum RejectedWriteBehavior {
    /** Send the record to the dead-letter topic with Redis's reply as the reason; the stream goes on. */
    REPORT,
    /** Fail the task, naming the record and Redis's reply. */
    FAIL;

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
