package io.redcompress.connect.redis;

import io.redcompress.connect.mapping.RedisWrite;

/**
 * The checked outcome of one command: acknowledged, or failed with a kind and Redis's reason. An acknowledged
 * {@code duplicate} is an exactly-once append Redis found at or below its high-water mark: applied before, nothing done.
 */
public record WriteResult(RedisWrite write, FailureKind failure, String reason, Throwable cause, boolean duplicate) {

    public static WriteResult acknowledged(RedisWrite write) {
        return new WriteResult(write, null, null, null, false);
    }

    /** An exactly-once append whose record was applied before: acknowledged, nothing written. */
    public static WriteResult duplicate(RedisWrite write) {
        return new WriteResult(write, null, null, null, true);
    }

    public static WriteResult failed(RedisWrite write, FailureKind kind, String reason, Throwable cause) {
        return new WriteResult(write, kind, reason, cause, false);
    }

    public boolean isAcknowledged() {
        return failure == null;
    }
}
