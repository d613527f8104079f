package io.redcompress.connect.redis;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.redcompress.connect.mapping.RedisWrite;

/**
 * The connection to one Redis node (a standalone server, a Sentinel-found master, or one cluster master), auto-flush
 * off. Everything sent on it goes through {@link #send}, which queues a group of writes and its WAIT as one
 * uninterrupted run and flushes it at once, so that {@code ASKING} is directly followed by its command and a WAIT
 * follows the writes it vouches for on the very connection that carried them (WAIT counts only its own
 * connection's writes).
 */
final class NodeLink implements AutoCloseable {

    /** The replies of one group: one future per write, in order, and the WAIT after them (null without WAIT). */
    record Sent(List<CompletableFuture<Object>> replies, CompletableFuture<Long> replicaWait) {

        /** Completes, never exceptionally, once every reply and the WAIT are in. */
        CompletableFuture<Void> allDone() {
            List<CompletableFuture<?>> all = new ArrayList<>(replies);
            if (replicaWait != null) {
                all.add(replicaWait);
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).handle((ignored, error) -> null);
        }
    }

    private final String node;
    private final StatefulRedisConnection<byte[], byte[]> connection;

    NodeLink(String node, StatefulRedisConnection<byte[], byte[]> connection) {
        this.node = node;
        this.connection = connection;
        connection.setAutoFlushCommands(false);
    }

    /** host:port, as the cluster names the node (or the configured endpoint, for a standalone server). */
    String node() {
        return node;
    }

    boolean isOpen() {
        return connection.isOpen();
    }

    /**
     * Queues the writes in order, each one flagged in {@code asking} right after an {@code ASKING}, then, when
     * {@code waitReplicas > 0}, one {@code WAIT}; and flushes. Never throws: a command that cannot be queued gets a
     * failed future.
     */
    synchronized Sent send(List<RedisWrite> writes, BitSet asking, int waitReplicas, long waitTimeoutMillis) {
        RedisAsyncCommands<byte[], byte[]> commands = connection.async();
        List<CompletableFuture<Object>> replies = new ArrayList<>(writes.size());
        CompletableFuture<Long> wait = null;
        try {
            for (int i = 0; i < writes.size(); i++) {
                try {
                    if (asking.get(i)) {
                        // its own reply does not matter: without it, the write is answered MOVED/ASK again
                        commands.asking();
                    }
                    replies.add(dispatch(commands, writes.get(i)));
                } catch (RuntimeException e) {
                    replies.add(CompletableFuture.failedFuture(e));
                }
            }
            if (waitReplicas > 0) {
                try {
                    wait = commands.waitForReplication(waitReplicas, waitTimeoutMillis).toCompletableFuture();
                } catch (RuntimeException e) {
                    wait = CompletableFuture.failedFuture(e);
                }
            }
        } finally {
            connection.flushCommands();
        }
        return new Sent(replies, wait);
    }

    @SuppressWarnings("unchecked")
    private static CompletableFuture<Object> dispatch(RedisAsyncCommands<byte[], byte[]> commands, RedisWrite write) {
        RedisFuture<?> reply;
        if (write instanceof RedisWrite.SetValue set) {
            reply = set.ttlMillis() > 0
                    ? commands.set(set.key(), set.encodedValue(), SetArgs.Builder.px(set.ttlMillis()))
                    : commands.set(set.key(), set.encodedValue());
        } else {
            reply = commands.del(write.key());
        }
        return (CompletableFuture<Object>) reply.toCompletableFuture();
    }

    /** Closes without waiting: whatever is still in flight fails, and is retried like any lost connection. */
    @Override
    public void close() {
        connection.closeAsync();
    }

    @Override
    public String toString() {
        return "NodeLink[" + node + (isOpen() ? "" : ", disconnected") + "]";
    }
}
