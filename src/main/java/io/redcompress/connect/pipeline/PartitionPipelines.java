package io.redcompress.connect.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;

import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.metrics.SinkMetrics;
import io.redcompress.connect.redis.FailureKind;
import io.redcompress.connect.redis.RedisWriteSender;
import io.redcompress.connect.redis.WriteResult;

/**
 * One pipeline per partition: the partition's writes in offset order, flushed together, every reply checked.
 * Sending and settling are separate steps so that pipelines can stay in flight while the task does other work;
 * settling walks the replies in order, acknowledging each success, handing each permanent rejection to the
 * {@link RejectedWriteHandler}, failing the task at a setting-level refusal, and stopping at the first transient failure: that write and every later one of the
 * partition stay unacknowledged, to be sent again in order (re-sending the later ones is harmless, as SET and DEL
 * are idempotent, and keeps a tombstone after the write it deletes).
 */
public final class PartitionPipelines {

    /** A partition's pipeline on the wire. */
    public record InFlight(TopicPartition partition, List<PendingWrite> writes,
                           CompletionStage<List<WriteResult>> replies, long sentAtNanos) {
    }

    private final RedisWriteSender sender;
    private final OffsetTracker offsets;
    private final RejectedWriteHandler rejectedWrites;
    private final Duration replyTimeout;
    private final SinkMetrics metrics;

    public PartitionPipelines(RedisWriteSender sender, OffsetTracker offsets, RejectedWriteHandler rejectedWrites,
                              Duration replyTimeout, SinkMetrics metrics) {
        this.sender = sender;
        this.offsets = offsets;
        this.rejectedWrites = rejectedWrites;
        this.replyTimeout = replyTimeout;
        this.metrics = metrics;
    }

    public List<InFlight> send(Map<TopicPartition, List<PendingWrite>> writesByPartition) {
        List<InFlight> inFlight = new ArrayList<>(writesByPartition.size());
        writesByPartition.forEach((partition, writes) -> {
            if (!writes.isEmpty()) {
                List<RedisWrite> commands = writes.stream().map(PendingWrite::write).toList();
                inFlight.add(new InFlight(partition, writes, sender.send(commands), System.nanoTime()));
            }
        });
        return inFlight;
    }

    /** Waits for every pipeline and settles its replies; returns the partitions that must be retried. */
    public List<PartitionFailure> settle(List<InFlight> pipelines) {
        List<PartitionFailure> failures = new ArrayList<>();
        for (InFlight pipeline : pipelines) {
            PartitionFailure failure = settle(pipeline);
            if (failure != null) {
                failures.add(failure);
            }
        }
        return failures;
    }

    private PartitionFailure settle(InFlight pipeline) {
        List<WriteResult> results;
        try {
            results = pipeline.replies().toCompletableFuture().get(replyTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return new PartitionFailure(pipeline.partition(), pipeline.writes().get(0).write().recordId(),
                    "no reply from Redis within " + replyTimeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            return new PartitionFailure(pipeline.partition(), pipeline.writes().get(0).write().recordId(),
                    "pipeline failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new PartitionFailure(pipeline.partition(), pipeline.writes().get(0).write().recordId(),
                    "interrupted while waiting for Redis", e);
        }
        metrics.pipelineCompleted(System.nanoTime() - pipeline.sentAtNanos());
        if (results.size() != pipeline.writes().size()) {
            // a short list would leave the tail unacknowledged forever while put() returns: a stall nobody sees
            throw new ConnectException("Redis sender returned " + results.size() + " results for a pipeline of "
                    + pipeline.writes().size() + " writes of partition " + pipeline.partition() + " starting at "
                    + pipeline.writes().get(0).write().recordId() + "; nothing of it is committed. This is a bug in the "
                    + "connector: please report it.");
        }
        for (int i = 0; i < results.size(); i++) {
            WriteResult result = results.get(i);
            PendingWrite write = pipeline.writes().get(i);
            if (result.isAcknowledged()) {
                offsets.acknowledge(write.write().recordId());
                metrics.written(write.write());
            } else if (result.failure() == FailureKind.FATAL) {
                throw new ConnectException("Redis refused the write of record " + write.write().recordId() + " with a reply "
                        + "that concerns a setting, not the record: " + result.reason() + ". The task stops; nothing from "
                        + "this record on is committed, and it resumes there once the setting is changed.", result.cause());
            } else if (result.failure() == FailureKind.PERMANENT) {
                rejectedWrites.rejected(write, result.reason(), result.cause());
                offsets.acknowledge(write.write().recordId());
                metrics.rejected();
            } else {
                return new PartitionFailure(pipeline.partition(), write.write().recordId(), result.reason(), result.cause());
            }
        }
        return null;
    }
}
