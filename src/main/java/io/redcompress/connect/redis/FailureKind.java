package io.redcompress.connect.redis;

/**
 * The kinds of failed write. What decides the kind is who the reply is about: the one record, the moment, or
 * the configuration — a reply every record would get is a setting to change, never a reason to dead-letter records.
 */
public enum FailureKind {
    /** The connection, the server's state or the cluster's shape: the same write can succeed later. Retry, never skip. */
    TRANSIENT,
    /**
     * Redis refused this one write for good, for something about its key or value (a key outside the ACL user's key
     * patterns, a value over proto-max-bulk-len): retrying cannot help, and the next record may well succeed.
     */
    PERMANENT,
    /**
     * Redis refused the write because of a setting every record shares (the ACL user may not run the command, ttl.ms
     * overflows Redis's expiry): every record would be refused alike, so the task stops and names the setting.
     */
    FATAL,
    /**
     * The write has no verdict of its own: it went in a batch Redis refused (an MSET), or its append script stopped at an
     * earlier write (refused for good, and dead-lettered, or failed transiently, which then is the failure that counts).
     * It is sent again at once, in order from there (after a refused batch, one command per record), without counting
     * as a retry of max.retries.
     */
    RESEND
}
