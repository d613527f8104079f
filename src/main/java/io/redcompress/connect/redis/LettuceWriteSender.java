package io.redcompress.connect.redis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.LongAdder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.RedisWrite;

/**
 * Pipelines on one Lettuce connection with auto-flush off: every write of a pipeline is queued, then one flush
 * sends them (in a cluster, Lettuce splits the flush by node). Values arrive already encoded, so Lettuce only moves
 * bytes ({@link ByteArrayCodec}); every reply is read and checked, because a completed command is not a successful
 * one. With redis.wait.replicas, a WAIT per node written to follows the writes in the same flush, and a write counts
 * as acknowledged only when its node's WAIT confirmed enough replicas.
 */
public final class LettuceWriteSender implements RedisWriteSender {

    private static final Logger log = LoggerFactory.getLogger(LettuceWriteSender.class);
    private static final String OK = "OK";

    private final LettuceConnection redis;
    private final int waitReplicas;
    private final long waitTimeoutMillis;
    private final Map<String, LongAdder> acknowledgedPerNode = new ConcurrentHashMap<>();

    private LettuceWriteSender(LettuceConnection redis, int waitReplicas, long waitTimeoutMillis) {
        this.redis = redis;
        this.waitReplicas = waitReplicas;
        this.waitTimeoutMillis = waitTimeoutMillis;
    }

    public static LettuceWriteSender connect(RedisSinkConfig config) {
        LettuceConnection redis = RedisClientFactory.connect(config);
        redis.connection().setAutoFlushCommands(false);
        return new LettuceWriteSender(redis, config.waitReplicas(), config.waitTimeout().toMillis());
    }

    @Override
    public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
        RedisClusterAsyncCommands<byte[], byte[]> commands = redis.commands();
        List<CompletableFuture<WriteResult>> results = new ArrayList<>(writes.size());
        List<String> nodes = new ArrayList<>(writes.size());
        for (RedisWrite write : writes) {
            nodes.add(redis.nodeOf(write.key()));
            results.add(dispatch(commands, write));
        }
        Map<String, CompletableFuture<String>> waits = waitReplicas > 0 ? queueWaits(nodes) : Map.of();
        redis.connection().flushCommands();

        List<CompletableFuture<?>> all = new ArrayList<>(results);
        all.addAll(waits.values());
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            List<WriteResult> settled = new ArrayList<>(writes.size());
            for (int i = 0; i < writes.size(); i++) {
                WriteResult result = results.get(i).join();
                String waitFailure = waits.isEmpty() ? null : waits.get(nodes.get(i)).join();
                if (result.isAcknowledged() && waitFailure != null) {
                    result = WriteResult.failed(result.write(), FailureKind.TRANSIENT, waitFailure, null);
                }
                if (result.isAcknowledged()) {
                    acknowledgedPerNode.computeIfAbsent(nodes.get(i), n -> new LongAdder()).increment();
                }
                settled.add(result);
            }
            return settled;
        });
    }

    /** One WAIT per node written to; each completes with null when enough replicas confirmed, else the reason. */
    private Map<String, CompletableFuture<String>> queueWaits(List<String> nodes) {
        Map<String, CompletableFuture<String>> waits = new LinkedHashMap<>();
        for (String node : nodes) {
            waits.computeIfAbsent(node, n -> {
                try {
                    return redis.waitForReplicas(n, waitReplicas, waitTimeoutMillis).toCompletableFuture()
                            .handle((replicas, error) -> {
                                if (error != null) {
                                    return "WAIT on " + n + " failed: " + unwrap(error).getMessage();
                                }
                                return replicas >= waitReplicas ? null : "WAIT on " + n + ": only " + replicas + " of "
                                        + waitReplicas + " replicas acknowledged within " + waitTimeoutMillis + " ms ("
                                        + RedisSinkConfig.REDIS_WAIT_REPLICAS + ")";
                            });
                } catch (RuntimeException e) {
                    return CompletableFuture.completedFuture("WAIT on " + n + " failed: " + e.getMessage());
                }
            });
        }
        return waits;
    }

    private static CompletableFuture<WriteResult> dispatch(RedisClusterAsyncCommands<byte[], byte[]> commands, RedisWrite write) {
        RedisFuture<?> reply;
        try {
            if (write instanceof RedisWrite.SetValue set) {
                reply = set.ttlMillis() > 0
                        ? commands.set(set.key(), set.encodedValue(), SetArgs.Builder.px(set.ttlMillis()))
                        : commands.set(set.key(), set.encodedValue());
            } else {
                reply = commands.del(write.key());
            }
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(failed(write, e));
        }
        return reply.toCompletableFuture().handle((value, error) -> error != null ? failed(write, error) : checkReply(write, value));
    }

    private static WriteResult checkReply(RedisWrite write, Object reply) {
        if (write instanceof RedisWrite.SetValue && !OK.equals(reply)) {
            return WriteResult.failed(write, FailureKind.TRANSIENT, "SET answered " + reply + " instead of OK", null);
        }
        return WriteResult.acknowledged(write);
    }

    private static WriteResult failed(RedisWrite write, Throwable error) {
        Throwable cause = unwrap(error);
        return WriteResult.failed(write, ReplyClassifier.classify(cause), ReplyClassifier.describe(cause), cause);
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public Map<String, Long> acknowledgedWritesPerNode() {
        Map<String, Long> counts = new TreeMap<>();
        acknowledgedPerNode.forEach((node, count) -> counts.put(node, count.sum()));
        return counts;
    }

    @Override
    public void close() {
        try {
            redis.close();
        } catch (RuntimeException e) {
            log.warn("Closing the Redis connection failed: {}", e.getMessage());
        }
    }
}
