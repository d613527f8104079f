package io.redcompress.connect.redis;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import io.lettuce.core.RedisException;

/** Waits for replies for the operators' tools and the bucket reader, turning any failure into one exception type. */
final class Replies {

    private Replies() {
    }

    /** The reply of one command; a failure of any kind (error reply, timeout, lost connection) as a RedisAccessException. */
    static <T> T await(Future<T> future, String endpoint) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisKeyspace.RedisAccessException("Interrupted while waiting for Redis at " + endpoint, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new RedisKeyspace.RedisAccessException("Redis at " + endpoint + " failed: " + causes(cause), cause);
        }
    }

    /** A call that may fail with a Lettuce exception (a node connection that cannot be opened), as a RedisAccessException. */
    static <T> T call(java.util.function.Supplier<T> action, String endpoint) {
        try {
            return action.get();
        } catch (RedisException e) {
            throw new RedisKeyspace.RedisAccessException("Redis at " + endpoint + " failed: " + causes(e), e);
        }
    }

    /**
     * Connects as redis.mode says and PINGs.
     *
     * @throws RedisKeyspace.RedisAccessException if Redis cannot be reached or refuses the credentials
     */
    static LettuceConnection connect(io.redcompress.connect.config.RedisSinkConfig config, String endpoint) {
        LettuceConnection connection;
        try {
            connection = RedisClientFactory.connect(config);
        } catch (RedisException e) {
            throw new RedisKeyspace.RedisAccessException("Cannot connect to Redis at " + endpoint + ": " + causes(e), e);
        }
        try {
            await(connection.commands().ping(), endpoint);
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
        return connection;
    }

    /** The messages of {@code e} and its causes, at most about 400 characters. */
    static String causes(Throwable e) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = e; t != null && out.length() < 400; t = t.getCause() == t ? null : t.getCause()) {
            if (out.length() > 0) {
                out.append(" <- ");
            }
            out.append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
        }
        return out.toString();
    }
}
