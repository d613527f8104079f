package io.redcompress.connect.redis;

/** How a failed write is handled: retried with backoff, or settled for that one record. */
public enum FailureKind {
    /** The connection, the server's state or the cluster's shape: the same write can succeed later. Retry, never skip. */
    TRANSIENT,
    /** Redis refused this write for good (WRONGTYPE, NOPERM, value too large): retrying cannot help. */
    PERMANENT
}
