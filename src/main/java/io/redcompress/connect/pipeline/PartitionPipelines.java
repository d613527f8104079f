package io.redcompress.connect.pipeline;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.metrics.SinkMetrics;
import io.redcompress.connect.redis.FailureKind;
import io.redcompress.connect.redis.RedisWriteSender;
import io.redcompress.connect.redis.WriteResult;

/**
 * One pipeline per partition and put(): the partition's writes in offset order, flushed together, every reply checked.
 * Pipelines stay in flight across put() calls, queued per partition in the order they were sent, and are settled
 * strictly in that order: a pipeline is settled only once every earlier one of its partition is.
 *
 * <p>Settling walks the replies in order, acknowledging each success, handing each permanent rejection to the
 * {@link RejectedWriteHandler}, failing the task at a setting-level refusal, and stopping at the first transient
 * failure: that write, every later one of the pipeline and every later pipeline of the partition stay unacknowledged
 * and are abandoned (their replies, whatever they say, are ignored), to be delivered and sent again in order after the
 * rewind. Re-sending what may have been applied already is harmless, as SET and DEL are idempotent (and an
 * exactly-once append is skipped by its mark), and it keeps a tombstone after the write it deletes and a newer value
 * after an older one: had a later pipeline's success counted, the re-sent older writes would land after it. An
 * exactly-once append refused for good also ends the settling of its pipeline: the partition is written again from the
 * next offset at once (see {@link #afterRefusedAppend}).
 *
 * <p>Used from the task thread only; the sender completes the replies on its own threads.
 */
public final class PartitionPipelines {

    private static final Logger log = LoggerFactory.getLogger(PartitionPipelines.class);

    /** Per record, beyond its key and value bytes: the SinkRecord, the write and their bookkeeping, roughly. */
    static final long RECORD_OVERHEAD_BYTES = 256;

    /** A partition's pipeline on the wire. */
    public static final class InFlight {
        private final TopicPartition partition;
        private final List<PendingWrite> writes;
        private final CompletableFuture<List<WriteResult>> replies;
        private final long sentAtNanos;
        private final long bytes;
        private volatile long repliedAtNanos;

        InFlight(TopicPartition partition, List<PendingWrite> writes, CompletableFuture<List<WriteResult>> replies,
                 long sentAtNanos, long bytes) {
            this.partition = partition;
            this.writes = writes;
            this.replies = replies;
            this.sentAtNanos = sentAtNanos;
            this.bytes = bytes;
            replies.whenComplete((results, error) -> repliedAtNanos = System.nanoTime());
        }

        public TopicPartition partition() {
            return partition;
        }

        public List<PendingWrite> writes() {
            return writes;
        }
    }

    /** What one round of settling found: the partitions to retry, and those whose pipelines all went through. */
    public record Settled(List<PartitionFailure> failures, Set<TopicPartition> succeeded) {
    }

    private static final class PartitionQueue {
        final ArrayDeque<InFlight> pipelines = new ArrayDeque<>();
        int records;
    }

    private final RedisWriteSender sender;
    private final OffsetTracker offsets;
    private final RejectedWriteHandler rejectedWrites;
    private final Duration replyTimeout;
    private final SinkMetrics metrics;
    private final Map<TopicPartition, PartitionQueue> queues = new LinkedHashMap<>();
    private final Set<TopicPartition> partitionsWithDuplicates = new HashSet<>();
    private long bytesInFlight;

    public PartitionPipelines(RedisWriteSender sender, OffsetTracker offsets, RejectedWriteHandler rejectedWrites,
                              Duration replyTimeout, SinkMetrics metrics) {
        this.sender = sender;
        this.offsets = offsets;
        this.rejectedWrites = rejectedWrites;
        this.replyTimeout = replyTimeout;
        this.metrics = metrics;
    }

    /** Sends each partition's writes as one pipeline and returns at once; the pipelines are settled later. */
    public List<InFlight> send(Map<TopicPartition, List<PendingWrite>> writesByPartition) {
        List<InFlight> sent = new ArrayList<>(writesByPartition.size());
        writesByPartition.forEach((partition, writes) -> {
            if (writes.isEmpty()) {
                return;
            }
            List<RedisWrite> commands = new ArrayList<>(writes.size());
            long bytes = 0;
            for (PendingWrite write : writes) {
                commands.add(write.write());
                bytes += estimatedBytes(write.write());
            }
            long now = System.nanoTime();
            InFlight pipeline = new InFlight(partition, writes, sender.send(commands).toCompletableFuture(), now, bytes);
            PartitionQueue queue = queues.computeIfAbsent(partition, tp -> new PartitionQueue());
            queue.pipelines.addLast(pipeline);
            queue.records += writes.size();
            bytesInFlight += bytes;
            sent.add(pipeline);
        });
        metrics.inFlight(recordsInFlight(), bytesInFlight);
        return sent;
    }

    /** Heap a write holds while in flight: its key and value, the record's original value, and the objects around them. */
    private static long estimatedBytes(RedisWrite write) {
        long bytes = RECORD_OVERHEAD_BYTES + write.key().length;
        bytes += write.encodedLength() + write.originalLength();
        if (write instanceof RedisWrite.SetField set) {
            bytes += set.field().length;
        }
        return bytes;
    }

    /**
     * Settles every pipeline whose replies are in, in order per partition, without waiting; a pipeline without all its
     * replies after the reply timeout counts as failed.
     */
    public Settled settleReady() {
        return settle(false, null);
    }

    /** Waits for every pipeline in flight (each at most until its reply timeout) and settles them all. */
    public Settled settleAll() {
        return settle(true, null);
    }

    /**
     * Whether a partition may have several pipelines in flight. Not when the sender follows cluster redirects: a write
     * redirected from an earlier pipeline is re-sent after a later pipeline may have gone straight to the new node,
     * which would put an older value (or a tombstone) after a newer one.
     */
    public boolean allowsOverlappingPipelines() {
        return sender.keepsOrderAcrossPipelines();
    }

    /** Waits for the pipelines in flight of these partitions only and settles them. */
    public Settled settleAll(Set<TopicPartition> partitions) {
        return settle(true, partitions);
    }

    /** Forgets the pipelines in flight of partitions this task no longer owns: nothing of them is acknowledged. */
    public void abandon(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            partitionsWithDuplicates.remove(partition); // its next owner, maybe this task again, says it once more
            PartitionQueue queue = queues.remove(partition);
            if (queue != null) {
                dropAll(queue);
            }
        }
        metrics.inFlight(recordsInFlight(), bytesInFlight);
    }

    public boolean isEmpty() {
        return queues.isEmpty();
    }

    /** Records of the partition sent and not yet settled. */
    public int recordsInFlight(TopicPartition partition) {
        PartitionQueue queue = queues.get(partition);
        return queue == null ? 0 : queue.records;
    }

    /** Estimated heap held by the writes in flight, all partitions. */
    public long bytesInFlight() {
        return bytesInFlight;
    }

    /** Partitions with at least one pipeline in flight. */
    public Set<TopicPartition> partitionsInFlight() {
        return queues.keySet();
    }

    /** Forgets a partition's pipelines in flight: their replies, whatever they say, count for nothing. */
    private void dropAll(PartitionQueue queue) {
        queue.pipelines.forEach(abandoned -> bytesInFlight -= abandoned.bytes);
        queue.pipelines.clear();
        queue.records = 0;
    }

    private long recordsInFlight() {
        long records = 0;
        for (PartitionQueue queue : queues.values()) {
            records += queue.records;
        }
        return records;
    }

    private Settled settle(boolean wait, Set<TopicPartition> only) {
        if (queues.isEmpty()) {
            return new Settled(List.of(), Set.of());
        }
        List<PartitionFailure> failures = new ArrayList<>();
        Set<TopicPartition> succeeded = new HashSet<>();
        Iterator<Map.Entry<TopicPartition, PartitionQueue>> partitions = queues.entrySet().iterator();
        while (partitions.hasNext()) {
            Map.Entry<TopicPartition, PartitionQueue> entry = partitions.next();
            if (only != null && !only.contains(entry.getKey())) {
                continue;
            }
            PartitionQueue queue = entry.getValue();
            while (!queue.pipelines.isEmpty()) {
                InFlight pipeline = queue.pipelines.peekFirst();
                if (!wait && !pipeline.replies.isDone() && System.nanoTime() - pipeline.sentAtNanos < replyTimeout.toNanos()) {
                    break;
                }
                queue.pipelines.pollFirst();
                queue.records -= pipeline.writes.size();
                bytesInFlight -= pipeline.bytes;
                PartitionFailure failure = settle(pipeline);
                if (failure != null) {
                    failures.add(failure);
                    succeeded.remove(entry.getKey());
                    // every later pipeline of the partition is sent again after the rewind, in order
                    dropAll(queue);
                    break;
                }
                succeeded.add(entry.getKey());
            }
            if (queue.pipelines.isEmpty()) {
                partitions.remove();
            }
        }
        metrics.inFlight(recordsInFlight(), bytesInFlight);
        return new Settled(failures, succeeded);
    }

    private PartitionFailure settle(InFlight pipeline) {
        List<WriteResult> results;
        try {
            long remainingNanos = pipeline.sentAtNanos + replyTimeout.toNanos() - System.nanoTime();
            results = pipeline.replies.get(Math.max(0, remainingNanos), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return failure(pipeline, "no reply from Redis within " + replyTimeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            return failure(pipeline, "pipeline failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failure(pipeline, "interrupted while waiting for Redis", e);
        }
        metrics.pipelineCompleted(pipeline.repliedAtNanos == 0 ? System.nanoTime() - pipeline.sentAtNanos
                : pipeline.repliedAtNanos - pipeline.sentAtNanos);
        List<PendingWrite> writes = pipeline.writes;
        if (results.size() != writes.size()) {
            // a short list would leave the tail unacknowledged forever while put() returns: a stall nobody sees
            throw new ConnectException("Redis sender returned " + results.size() + " results for a pipeline of "
                    + writes.size() + " writes of partition " + pipeline.partition + " starting at "
                    + writes.get(0).write().recordId() + "; nothing of it is committed. This is a bug in the "
                    + "connector: please report it.");
        }
        SinkMetrics.Written written = metrics.newWritten();
        try {
            for (int i = 0; i < results.size(); i++) {
                WriteResult result = results.get(i);
                PendingWrite write = writes.get(i);
                if (result.isAcknowledged()) {
                    offsets.acknowledge(write.write().recordId());
                    if (result.duplicate()) {
                        written.addDuplicate();
                        logFirstDuplicate(write.write().recordId());
                    } else {
                        written.add(write.write());
                    }
                } else if (result.failure() == FailureKind.FATAL) {
                    throw new ConnectException("Redis refused the write of record " + write.write().recordId() + " with a reply "
                            + "that concerns a setting, not the record: " + result.reason() + ". The task stops; nothing from "
                            + "this record on is committed, and it resumes there once the setting is changed.", result.cause());
                } else if (result.failure() == FailureKind.PERMANENT) {
                    rejectedWrites.rejected(write, result.reason(), result.cause());
                    offsets.acknowledge(write.write().recordId());
                    metrics.rejected();
                    if (write.write() instanceof RedisWrite.Append append && append.exactlyOnce()) {
                        return afterRefusedAppend(append, result.reason());
                    }
                } else {
                    return new PartitionFailure(pipeline.partition, write.write().recordId(), result.reason(), result.cause(),
                            result.failure() != FailureKind.RESEND);
                }
            }
            return null;
        } finally {
            metrics.written(written);
        }
    }

    /**
     * An exactly-once append refused for good (dead-lettered) did not raise its slot's high-water mark, so every later
     * append of the partition to that slot, sent chained to it (docs/design/commands-exactly-once.md), would be refused
     * as a GAP, again after each backoff, until max.retries ran out. The partition is written again from the next
     * offset at once, without counting a retry; its appends then start a new chain. Later pipelines of the partition are
     * abandoned with it; whatever of them Redis applied is a duplicate by its mark when it comes again.
     */
    private static PartitionFailure afterRefusedAppend(RedisWrite.Append refused, String reply) {
        RecordId id = refused.recordId();
        return new PartitionFailure(id.topicPartition(), new RecordId(id.topicPartition(), id.offset() + 1),
                "the append at offset " + id.offset() + " was refused for good (" + reply + ") and dead-lettered; the "
                        + "partition's later appends are sent again from offset " + (id.offset() + 1)
                        + " without waiting for that record's high-water mark", null, false);
    }

    /** Once per partition: records skipped by their high-water mark are expected after a redelivery, not otherwise. */
    private void logFirstDuplicate(RecordId id) {
        if (partitionsWithDuplicates.add(id.topicPartition())) {
            log.info("Partition {}: the record at offset {} was applied before (at or below its exactly-once high-water "
                    + "mark) and is skipped; further such records of the partition are only counted "
                    + "(duplicates-skipped-total). Expected after a redelivery (a restart, a rebalance, a retry); after "
                    + "offsets rewound on purpose, delete the connector's marks to write those records again "
                    + "(docs/commands.md).", id.topicPartition(), id.offset());
        }
    }

    private static PartitionFailure failure(InFlight pipeline, String reason, Throwable cause) {
        return new PartitionFailure(pipeline.partition, pipeline.writes.get(0).write().recordId(), reason, cause);
    }
}
