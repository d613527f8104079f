package io.redcompress.connect.pipeline;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

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

    /**
     * A partition's registered offsets not yet below the commit point, ascending, each with its acknowledgement. Records
     * arrive in offset order, so registering is an append and acknowledging usually hits the head; an array, not a
     * map of boxed offsets, because this runs for every record.
     */
    private static final class PartitionState {
        long[] offsets = new long[256];
        boolean[] acknowledged = new boolean[256];
        /** the live entries are [head, tail) */
        int head;
        int tail;
        int unacknowledged;
        /** the offset to commit: every record below it is acknowledged; -1 before anything is */
        long committable = -1;

        /** The index of offset in [head, tail), or -(insertion point) - 1. */
        int indexOf(long offset) {
            if (tail > head && offsets[tail - 1] < offset) {
                return -tail - 1;
            }
            if (tail > head && offsets[head] == offset) {
                return head; // acknowledgements mostly come in offset order
            }
            return Arrays.binarySearch(offsets, head, tail, offset);
        }

        boolean belowCommitPoint(long offset) {
            return committable >= 0 && offset < committable;
        }

        void insert(int at, long offset) {
            if (tail == offsets.length) {
                makeRoom();
                at = -indexOf(offset) - 1;
            }
            System.arraycopy(offsets, at, offsets, at + 1, tail - at);
            System.arraycopy(acknowledged, at, acknowledged, at + 1, tail - at);
            offsets[at] = offset;
            acknowledged[at] = false;
            tail++;
            unacknowledged++;
        }

        private void makeRoom() {
            int live = tail - head;
            if (live * 2 > offsets.length) {
                offsets = Arrays.copyOf(offsets, offsets.length * 2);
                acknowledged = Arrays.copyOf(acknowledged, acknowledged.length * 2);
            }
            System.arraycopy(offsets, head, offsets, 0, live);
            System.arraycopy(acknowledged, head, acknowledged, 0, live);
            head = 0;
            tail = live;
        }

        void acknowledge(int index) {
            if (!acknowledged[index]) {
                acknowledged[index] = true;
                unacknowledged--;
            }
            while (head < tail && acknowledged[head]) {
                committable = offsets[head] + 1;
                head++;
            }
            if (head == tail) {
                head = 0;
                tail = 0;
            }
        }
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
        if (state.belowCommitPoint(id.offset())) {
            return false;
        }
        int index = state.indexOf(id.offset());
        return index < 0 || !state.acknowledged[index];
    }

    /** Registers a record about to be written; registering one that is already registered changes nothing. */
    public void register(RecordId id) {
        PartitionState state = partitions.computeIfAbsent(id.topicPartition(), tp -> new PartitionState());
        if (state.belowCommitPoint(id.offset())) {
            return;
        }
        int index = state.indexOf(id.offset());
        if (index < 0) {
            state.insert(-index - 1, id.offset());
        }
    }

    public void acknowledge(RecordId id) {
        PartitionState state = partitions.get(id.topicPartition());
        int index = state == null ? -1 : state.indexOf(id.offset());
        if (index < 0) {
            throw new IllegalStateException("Record " + id + " was acknowledged without being registered");
        }
        state.acknowledge(index);
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
            if (state == null || state.unacknowledged == 0) {
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
