package io.redcompress.connect.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.RedisWrite;

/**
 * Pipelines on one Lettuce connection with auto-flush off: every write of a pipeline is queued, then one flush
 * sends them. Values arrive already encoded, so Lettuce only moves bytes ({@link ByteArrayCodec}); every reply is
 * read and checked, because a completed command is not a successful one.
 */
public final class LettuceWriteSender implements RedisWriteSender {

    private static final Logger log = LoggerFactory.getLogger(LettuceWriteSender.class);
    private static final String OK = "OK";

    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;

    private LettuceWriteSender(RedisClient client, StatefulRedisConnection<byte[], byte[]> connection) {
        this.client = client;
        this.connection = connection;
    }

    public static LettuceWriteSender connect(RedisSinkConfig config) {
        RedisClient client = RedisClientFactory.createClient(config);
        try {
            StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE);
            connection.setAutoFlushCommands(false);
            return new LettuceWriteSender(client, connection);
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw e;
        }
    }

    @Override
    public CompletionStage<List<WriteResult>> send(List<RedisWrite> writes) {
        RedisAsyncCommands<byte[], byte[]> commands = connection.async();
        List<CompletableFuture<WriteResult>> results = new ArrayList<>(writes.size());
        for (RedisWrite write : writes) {
            results.add(dispatch(commands, write));
        }
        connection.flushCommands();
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> results.stream().map(CompletableFuture::join).toList());
    }

    private static CompletableFuture<WriteResult> dispatch(RedisAsyncCommands<byte[], byte[]> commands, RedisWrite write) {
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
        String reason = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        return WriteResult.failed(write, ReplyClassifier.classify(cause), reason, cause);
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (RuntimeException e) {
            log.warn("Closing the Redis connection failed: {}", e.getMessage());
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
