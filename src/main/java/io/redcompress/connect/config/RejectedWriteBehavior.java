package io.redcompress.connect.config;

/**
 * What a write that Redis refuses for a reason of its own record does (a key outside the ACL user's key patterns, a
 * value over proto-max-bulk-len). A refusal every record would get is a setting and always fails the task.
 */
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
