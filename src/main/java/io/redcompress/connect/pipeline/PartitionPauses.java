package io.redcompress.connect.pipeline;

import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkTaskContext;

/**
 * The one place that pauses and resumes partitions, because three things pause them: a retry backoff, the bound on
 * writes in flight, and records held for their topic's dictionary. A partition is resumed only when no reason to pause
 * it is left, so the end of a backoff never lets a partition with too much in flight run, nor the other way round.
 * Also the one place that asks Connect for an early put(): Connect keeps a single wake-up time, so the earliest one
 * asked for since the last poll is kept.
 * Used from the task thread only.
 */
public final class PartitionPauses {

    public enum Reason {
        /** waiting out a retry backoff, rewound to the record that failed */
        BACKOFF,
        /** too much of the partition, or of the task, is in flight to Redis */
        IN_FLIGHT,
        /**
         * its records are held until their topic's dictionary exists ({@link DictionaryHold}), and the dictionary has
         * the samples it needs: it is being trained or stored, or the partition holds as much as it may
         */
        DICTIONARY
    }

    private final SinkTaskContext context;
    private final Map<TopicPartition, Set<Reason>> paused = new HashMap<>();
    private long wakeUpRequestedMillis = Long.MAX_VALUE;

    public PartitionPauses(SinkTaskContext context) {
        this.context = context;
    }

    public void pause(TopicPartition partition, Reason reason) {
        Set<Reason> reasons = paused.computeIfAbsent(partition, tp -> EnumSet.noneOf(Reason.class));
        if (reasons.isEmpty()) {
            context.pause(partition);
        }
        reasons.add(reason);
    }

    /** Drops one reason; the partition is resumed when it was the last. */
    public void release(TopicPartition partition, Reason reason) {
        Set<Reason> reasons = paused.get(partition);
        if (reasons != null && reasons.remove(reason) && reasons.isEmpty()) {
            paused.remove(partition);
            context.resume(partition);
        }
    }

    public boolean isPaused(TopicPartition partition, Reason reason) {
        Set<Reason> reasons = paused.get(partition);
        return reasons != null && reasons.contains(reason);
    }

    /** Partitions this task no longer owns: forgotten, never resumed by it (Connect may not resume them). */
    public void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(paused::remove);
    }

    /** Resumes each of these partitions that this task does not hold paused (on assignment: see the task's open()). */
    public void resumeUnlessPaused(Collection<TopicPartition> partitions) {
        TopicPartition[] notPaused = partitions.stream().filter(tp -> !paused.containsKey(tp)).toArray(TopicPartition[]::new);
        if (notPaused.length > 0) {
            context.resume(notPaused);
        }
    }

    /** Connect consumed the wake-up time at its last poll: a new put() starts with none asked for. */
    public void pollHappened() {
        wakeUpRequestedMillis = Long.MAX_VALUE;
    }

    /** Asks Connect to call put() again within {@code millis}, unless an earlier call is asked for already. */
    public void wakeUpWithin(long millis) {
        long bounded = Math.max(1, millis);
        if (bounded < wakeUpRequestedMillis) {
            wakeUpRequestedMillis = bounded;
            context.timeout(bounded);
        }
    }
}
