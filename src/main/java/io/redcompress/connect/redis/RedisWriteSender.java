package io.redcompress.connect.redis;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import io.redcompress.connect.mapping.RedisWrite;

/**
 * Sends one pipeline: queues the writes in order and flushes them together. The returned stage completes,
 * never exceptionally, once every reply is in, with one checked {@link WriteResult} per write, in order.
 * Implementations are used from the task thread only.
 */
public interface RedisWriteSender extends AutoCloseable {

    CompletionStage<List<WriteResult>> send(List<RedisWrite> writes);

    /**
     * Whether the writes of a pipeline sent after another one reach Redis after it, key by key, whatever happens to
     * either on the way. True for one connection; false where a redirect can re-send a write after a later pipeline.
     */
    default boolean keepsOrderAcrossPipelines() {
        return true;
    }

    /** Acknowledged writes per Redis node (host:port), to spot a hot shard; empty when not tracked. */
    default Map<String, Long> acknowledgedWritesPerNode() {
        return Map.of();
    }

    @Override
    void close();
}
