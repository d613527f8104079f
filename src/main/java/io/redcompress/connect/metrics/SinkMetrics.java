package io.redcompress.connect.metrics;

import java.util.concurrent.TimeUnit;

import io.redcompress.connect.mapping.RedisWrite;

/**
 * What operators watch, per task: records written and deleted, bytes before and after compression, records sent
 * to the dead-letter topic, retries and pipeline latency. Updated from the task thread only.
 */
public final class SinkMetrics {

    private long valuesWritten;
    private long keysDeleted;
    private long originalBytes;
    private long encodedBytes;
    private long deadLettered;
    private long rejectedByRedis;
    private long retries;
    private long pipelines;
    private long pipelineNanosTotal;
    private long pipelineNanosMax;

    public void written(RedisWrite write) {
        if (write instanceof RedisWrite.SetValue set) {
            valuesWritten++;
            originalBytes += set.originalLength();
            encodedBytes += set.encodedValue().length;
        } else {
            keysDeleted++;
        }
    }

    public void deadLettered() {
        deadLettered++;
    }

    public void rejected() {
        rejectedByRedis++;
    }

    public void retried() {
        retries++;
    }

    public void pipelineCompleted(long nanos) {
        pipelines++;
        pipelineNanosTotal += nanos;
        pipelineNanosMax = Math.max(pipelineNanosMax, nanos);
    }

    public Snapshot snapshot() {
        return new Snapshot(valuesWritten, keysDeleted, originalBytes, encodedBytes, deadLettered, rejectedByRedis,
                retries, pipelines,
                pipelines == 0 ? 0 : TimeUnit.NANOSECONDS.toMicros(pipelineNanosTotal / pipelines),
                TimeUnit.NANOSECONDS.toMicros(pipelineNanosMax));
    }

    public record Snapshot(long valuesWritten, long keysDeleted, long originalBytes, long encodedBytes,
                           long deadLettered, long rejectedByRedis, long retries, long pipelines,
                           long meanPipelineMicros, long maxPipelineMicros) {

        /** encoded / original: 0.25 means values take a quarter of their original size in Redis. */
        public double compressionRatio() {
            return originalBytes == 0 ? 1.0 : (double) encodedBytes / originalBytes;
        }

        @Override
        public String toString() {
            return String.format("values written=%d, keys deleted=%d, bytes original=%d encoded=%d (ratio %.3f), "
                            + "dead-lettered=%d, rejected by Redis=%d, retries=%d, pipelines=%d (mean %d us, max %d us)",
                    valuesWritten, keysDeleted, originalBytes, encodedBytes, compressionRatio(), deadLettered,
                    rejectedByRedis, retries, pipelines, meanPipelineMicros, maxPipelineMicros);
        }
    }
}
