package io.redcompress.connect.redis;

import io.redcompress.connect.mapping.RedisWrite;

/** The checked outcome of one command: acknowledged, or failed with a kind and Redis's reason. */
public record WriteResult(RedisWrite write, FailureKind failure, String reason, Throwable cause) {

    public static WriteResult acknowledged(RedisWrite write) {
        return new WriteResult(write, null, null, null);
    }

    public static WriteResult failed(RedisWrite write, FailureKind kind, String reason, Throwable cause) {
        return new WriteResult(write, kind, reason, cause);
    }

    public boolean isAcknowledged() {
        return failure == null;
    }
}
