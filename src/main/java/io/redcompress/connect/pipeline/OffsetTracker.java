package io.redcompress.connect.pipeline;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import io.redcompress.connect.mapping.RecordId;

/**
 * Which offsets are safe to commit. A record is registered before it is sent and acknowledged only when its write
 * succeeded (or it was settled another way: sent to the dead-letter topic, or an ignored tombstone). Per partition,
 * the committable offset is the end of the contiguous run of acknowledged records + 1. Keyed by the original
 * topic/partition/offset, so topic-renaming SMTs do not confuse it. Used from the task thread only.
 */
public final class OffsetTracker {

    private static final class PartitionState {
        /** offset -> acknowledged, for every registered record not yet below the commit point */
        final TreeMap<Long, Boolean> pending = new TreeMap<>();
        /** the offset to commit: every record below it is acknowledged; -1 before anything is */
        long committable = -1;
    }

    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();

    /**
     * True when the record still has to be written: it is new, or it was sent and not acknowledged (a redelivery
     * after a retriable failure). False for a record already settled, which must not be sent or reported twice.
     */
    public boolean needsWrite(RecordId id) {
        PartitionState state = partitions.get(id.topicPartition());
        if (state == null) {
            return true;
        }
        if (state.committable >= 0 && id.offset() < state.committable) {
            return false;
        }
        return !Boolean.TRUE.equals(state.pending.get(id.offset()));
    }

    /** Registers a record about to be written; registering one that is already registered changes nothing. */
    public void register(RecordId id) {
        PartitionState state = partitions.computeIfAbsent(id.topicPartition(), tp -> new PartitionState());
        if (state.committable >= 0 && id.offset() < state.committable) {
            return;
        }
        state.pending.putIfAbsent(id.offset(), Boolean.FALSE);
    }

    public void acknowledge(RecordId id) {
        PartitionState state = partitions.get(id.topicPartition());
        if (state == null || !state.pending.containsKey(id.offset())) {
            throw new IllegalStateException("Record " + id + " was acknowledged without being registered");
        }
        state.pending.put(id.offset(), Boolean.TRUE);
        while (!state.pending.isEmpty() && state.pending.firstEntry().getValue()) {
            long offset = state.pending.pollFirstEntry().getKey();
            state.committable = offset + 1;
        }
    }

    /**
     * The offsets to commit, given what Connect has consumed for each partition. Where every record this tracker
     * registered is acknowledged, Connect's consumed offset is safe and is used: it also covers records that never
     * reached the task (dropped by a converter or SMT with errors.tolerance=all, or filtered out), which would
     * otherwise hold the commit back forever when they end a partition. Where a record is still unacknowledged,
     * the end of the contiguous acknowledged run + 1 is used, or nothing when there is none. Never an offset beyond
     * what Connect consumed (after a rewind for a retry, Connect's offset is the record to write again), and never a
     * partition Connect did not ask about.
     */
    public Map<TopicPartition, OffsetAndMetadata> committableOffsets(Map<TopicPartition, OffsetAndMetadata> consumed) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        consumed.forEach((tp, consumedOffset) -> {
            if (consumedOffset == null) {
                return;
            }
            PartitionState state = partitions.get(tp);
            boolean allSettled = state == null || !state.pending.containsValue(Boolean.FALSE);
            if (allSettled) {
                offsets.put(tp, consumedOffset);
            } else if (state.committable >= 0) {
                // never past what Connect consumed: the worker ignores such an offset, with a WARN each time
                offsets.put(tp, new OffsetAndMetadata(Math.min(state.committable, consumedOffset.offset())));
            }
        });
        return offsets;
    }

    /** The end of each partition's contiguous acknowledged run + 1; only partitions with progress appear. */
    public Map<TopicPartition, OffsetAndMetadata> acknowledgedOffsets() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        partitions.forEach((tp, state) -> {
            if (state.committable >= 0) {
                offsets.put(tp, new OffsetAndMetadata(state.committable));
            }
        });
        return offsets;
    }

    /** Forgets partitions this task no longer owns (on close after a rebalance). */
    public void forget(Collection<TopicPartition> topicPartitions) {
        topicPartitions.forEach(partitions::remove);
    }
}
